"""Oracle evaluation: perfect heatmaps + tags decoded by the codec must give
AP ~ 1 with MMPose's CocoMetric (checks grouping, adjust/refine and the
prediction format CocoMetric expects of bottom-up models)."""
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))

COCO_DIR = '/work/shared/data/coco'
CROWDPOSE_DIR = '/work/shared/data/crowdpose'


def _require(path):
    if not osp.isfile(path):
        pytest.skip(f'shared data not available: {path} is absent')


def test_oracle_coco():
    ann = osp.join(COCO_DIR, 'test_coco.json')
    _require(ann)
    from oracle_eval import oracle_eval
    results = oracle_eval(ann, COCO_DIR, 'coco', verbose=False)
    assert results['AP'] >= 0.99, results
    assert results['AR'] >= 0.99, results


def test_oracle_crowdpose():
    ann = osp.join(CROWDPOSE_DIR, 'test_crowdpose.json')
    _require(ann)
    from oracle_eval import oracle_eval
    results = oracle_eval(ann, CROWDPOSE_DIR, 'crowdpose', verbose=False)
    assert results['AP'] >= 0.99, results


def test_oracle_cli():
    ann = osp.join(COCO_DIR, 'test_coco.json')
    _require(ann)
    out = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'analysis',
                                  'oracle_eval.py'), ann, COCO_DIR],
        capture_output=True, text=True, check=True, cwd=ROOT).stdout
    line = [x for x in out.splitlines() if x.startswith('AP: ')][0]
    assert float(line.split()[1]) >= 0.99


def test_oracle_coco_half_resolution():
    """At 1/2 of the image size (HigherHRNet's output level for an input of
    the image's size) the quantisation costs nothing on these people."""
    ann = osp.join(COCO_DIR, 'test_coco.json')
    _require(ann)
    from oracle_eval import oracle_eval
    results = oracle_eval(ann, COCO_DIR, 'coco', stride=2, verbose=False)
    assert results['AP'] >= 0.99, results
