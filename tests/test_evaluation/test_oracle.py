"""Oracle evaluation: perfect heatmaps + tags decoded by the codec must give
AP ~ 1 with MMPose's CocoMetric (checks grouping, adjust/refine and the
prediction format CocoMetric expects of bottom-up models). Runs on
../shared/data (skipped where it is absent)."""
import subprocess
import sys

from higherhrnet_plugin.analysis.oracle_eval import oracle_eval


def test_oracle_coco(shared_coco):
    results = oracle_eval(str(shared_coco / 'test_coco.json'),
                          str(shared_coco), 'coco', verbose=False)
    assert results['AP'] >= 0.99, results
    assert results['AR'] >= 0.99, results


def test_oracle_crowdpose(shared_crowdpose):
    results = oracle_eval(str(shared_crowdpose / 'test_crowdpose.json'),
                          str(shared_crowdpose), 'crowdpose', verbose=False)
    assert results['AP'] >= 0.99, results


def test_oracle_cli(shared_coco, repo_root):
    out = subprocess.run(
        [sys.executable, str(repo_root / 'tools/analysis/oracle_eval.py'),
         str(shared_coco / 'test_coco.json'), str(shared_coco)],
        capture_output=True, text=True, check=True, cwd=repo_root).stdout
    line = [x for x in out.splitlines() if x.startswith('AP: ')][0]
    assert float(line.split()[1]) >= 0.99


def test_oracle_cli_missing_image_is_a_one_line_error(shared_coco, repo_root,
                                                      tmp_path):
    proc = subprocess.run(
        [sys.executable, str(repo_root / 'tools/analysis/oracle_eval.py'),
         str(shared_coco / 'test_coco.json'), str(tmp_path)],
        capture_output=True, text=True, cwd=repo_root)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0], proc.stderr


def test_oracle_coco_half_resolution(shared_coco):
    """At 1/2 of the image size (HigherHRNet's output level for an input of
    the image's size) the quantisation costs nothing on these people."""
    results = oracle_eval(str(shared_coco / 'test_coco.json'),
                          str(shared_coco), 'coco', stride=2, verbose=False)
    assert results['AP'] >= 0.99, results
