"""tools/demo.py end to end on a tiny synthetic set: data generation,
training, test metrics and the pictures."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
DEMO = ROOT / 'tools' / 'demo.py'
KEYS = ('coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AP (M)', 'coco/AP (L)',
        'coco/AR')


def _run(tmp_path, *extra):
    data, work = tmp_path / 'data', tmp_path / 'work'
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run(
        [sys.executable, str(DEMO), '--data-root', str(data), '--work-dir',
         str(work), '--num-train', '4', '--num-val', '1', '--epochs', '1',
         '--batch-size', '2', '--num-workers', '0', '--val-interval', '0',
         '--num-vis', '1', *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data, work


def _check(data, work, levels):
    assert (data / 'annotations' / 'person_keypoints_train.json').is_file()
    metrics = json.loads((work / 'metrics.json').read_text())
    for key in KEYS:
        assert key in metrics and isinstance(metrics[key], float)
    assert (work / 'epoch_1.pth').is_file()
    vis = work / 'vis'
    for kind in ('pose', 'heatmaps', 'tags'):
        pngs = list(vis.glob(f'{kind}_*.png'))
        assert len(pngs) == 1, kind
        assert pngs[0].read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    cfg = next(work.glob('*.py')).read_text()
    assert f'num_deconv_layers={levels - 1}' in cfg.replace(' ', '')


def test_demo_tiny_run(tmp_path):
    data, work = _run(tmp_path)
    _check(data, work, levels=2)


@pytest.mark.parametrize('extra', [('--baseline', )])
def test_demo_tiny_baseline(tmp_path, extra):
    data, work = _run(tmp_path, *extra)
    _check(data, work, levels=1)


@pytest.mark.parametrize('sec,expected', [(1.0, 4), (100.0, 1),
                                          (0.001, 30)])
def test_time_budget_fits_epochs(tmp_path, monkeypatch, synthetic_coco, sec,
                                 expected):
    # 10 images at batch 8 = 2 iterations per epoch; 0.14 min = 8.4 s
    from higherhrnet_plugin.demo import schedule
    from higherhrnet_plugin.demo.config import build_demo_cfg
    cfg = build_demo_cfg(str(synthetic_coco(10, 1)), str(tmp_path / 'work'))
    monkeypatch.setattr(schedule, 'seconds_per_iter', lambda cfg: sec)
    # at most the config's 30 epochs, at least one
    assert schedule.fit_epochs(cfg, 0.14) == expected


def test_seconds_per_iter_measures_training_steps(tmp_path, synthetic_coco):
    from higherhrnet_plugin.demo.config import build_demo_cfg
    from higherhrnet_plugin.demo.schedule import seconds_per_iter
    cfg = build_demo_cfg(str(synthetic_coco(4, 1)), str(tmp_path / 'work'),
                         batch_size=2, num_workers=0)
    # 4 steps from a split of 2 batches: the loader is cycled
    sec = seconds_per_iter(cfg, steps=2, warmup=2)
    assert 0 < sec < 60


def test_non_positive_time_budget_is_a_one_line_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(DEMO), '--data-root', str(tmp_path / 'data'),
         '--work-dir', str(tmp_path / 'work'), '--time-budget', '0'],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and '--time-budget' in lines[0]
    assert not (tmp_path / 'work').exists()
