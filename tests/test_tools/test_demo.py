"""tools/demo.py end to end on a tiny synthetic set: data generation,
training, test metrics and the pictures."""
import json
import os
import subprocess
import sys

import pytest

from repo_paths import REPO

DEMO = REPO / 'tools' / 'demo.py'
KEYS = ('coco/AP', 'coco/AP .5', 'coco/AP .75', 'coco/AP (M)', 'coco/AP (L)',
        'coco/AR')


def _run(tmp_path, *extra):
    data, work = tmp_path / 'data', tmp_path / 'work'
    # a cold inductor cache of its own: auto never compiles here
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='',
               TORCHINDUCTOR_CACHE_DIR=str(tmp_path / 'inductor'))
    proc = subprocess.run(
        [sys.executable, str(DEMO), '--data-root', str(data), '--work-dir',
         str(work), '--num-train', '4', '--num-val', '1', '--epochs', '1',
         '--batch-size', '2', '--num-workers', '0', '--val-interval', '0',
         '--num-vis', '1', '--fast-path', 'eager', *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data, work


def _check(data, work, levels):
    assert (data / 'annotations' / 'person_keypoints_train.json').is_file()
    metrics = json.loads((work / 'metrics.json').read_text())
    for key in KEYS:
        assert key in metrics and isinstance(metrics[key], float)
    # where the time went, stage by stage, adding up to the whole run
    times = metrics['time_s']
    stages = ('imports', 'generation', 'setup', 'compile', 'training',
              'validation', 'test', 'threshold', 'pictures')
    assert set(stages) <= set(times) and times['training'] > 0
    assert sum(times[k] for k in stages) <= times['total'] + 0.5
    assert metrics['fast_path'] == 'eager' and metrics['epochs'] == 1
    # the pictures' threshold, chosen on the val split, and how
    thr = metrics['keypoint_threshold']
    assert isinstance(thr['kpt_thr'], float) and thr['images'] == 1
    assert thr['rule'].startswith(('lowest score', 'fallback 0.1: '))
    assert (work / 'epoch_1.pth').is_file()
    vis = work / 'vis'
    for kind in ('pose', 'heatmaps', 'tags'):
        pngs = list(vis.glob(f'{kind}_*.png'))
        assert len(pngs) == 1, kind
        assert pngs[0].read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # the labels beside the prediction, under a title band
    import cv2
    pose = cv2.imread(str(next(vis.glob('pose_*.png'))))
    assert pose.shape == (320 + 28, 2 * 320, 3)
    assert (work / 'learning_curve.png').read_bytes()[:4] == b'\x89PNG'
    cfg = next(work.glob('*.py')).read_text()
    assert f'num_deconv_layers={levels - 1}' in cfg.replace(' ', '')


def test_demo_tiny_run(tmp_path):
    data, work = _run(tmp_path)
    _check(data, work, levels=2)


@pytest.mark.parametrize('extra', [('--baseline', )])
def test_demo_tiny_baseline(tmp_path, extra):
    data, work = _run(tmp_path, *extra)
    _check(data, work, levels=1)


@pytest.mark.parametrize('sec,overhead,expected', [(1.0, 0, 4), (100.0, 0, 1),
                                                   (0.01, 0, 420),
                                                   (1.0, 4.2, 2)])
def test_time_budget_fits_epochs(tmp_path, synthetic_coco, capsys, sec,
                                 overhead, expected):
    # 10 images at batch 8 = 2 iterations per epoch, 8.4 s
    from higherhrnet_plugin.demo import schedule
    from higherhrnet_plugin.demo.config import build_demo_cfg
    cfg = build_demo_cfg(str(synthetic_coco(10, 1)), str(tmp_path / 'work'),
                         batch_size=8)
    # as many as fit, more than the config's 30 too, and at least one
    assert schedule.fit_epochs(cfg, 8.4, sec, overhead) == expected
    line = capsys.readouterr().out
    assert f'{expected} epoch(s) fit the 8 s left' in line
    # a slower machine than the config's 30 epochs need says so
    assert ('fewer than the config\'s 30' in line) == (expected < 30)


def test_fixed_epochs_stretch_the_config_schedule(tmp_path, synthetic_coco):
    from higherhrnet_plugin.demo.config import build_demo_cfg
    from higherhrnet_plugin.demo.main_job import _plan
    from higherhrnet_plugin.engine.hooks import TrainTimeHook
    cfg = build_demo_cfg(str(synthetic_coco(10, 1)), str(tmp_path / 'work'),
                         epochs=45)
    # no budget, no calibration: the 45 epochs and the config's lr schedule
    _, _, hook = _plan(cfg, 'eager', None, None, 0.0, 0.0, {})
    assert type(hook) is TrainTimeHook
    assert cfg.train_cfg.max_epochs == 45
    cosine = [s for s in cfg.param_scheduler
              if s['type'] == 'CosineAnnealingLR']
    assert cosine[0]['T_max'] == 45 and cosine[0]['end'] == 45


@pytest.mark.parametrize('timings,budget,expected', [
    # channels_last steps faster
    ({'eager': (0.8, 0), 'channels_last': (0.7, 0)}, 600, 'channels_last'),
    # compile steps fastest, and its 20 s pay off in 10 minutes ...
    ({'eager': (0.8, 0), 'channels_last': (0.7, 0),
      'compile': (0.5, 20)}, 600, 'compile'),
    # ... but not in one
    ({'eager': (0.8, 0), 'channels_last': (0.7, 0),
      'compile': (0.5, 20)}, 60, 'channels_last'),
    # a compile longer than the budget trains nothing
    ({'eager': (0.8, 0), 'compile+channels_last': (0.1, 130)}, 120,
     'eager'),
    # a tie goes to the simpler
    ({'eager': (0.5, 0), 'channels_last': (0.5, 0)}, 600, 'eager'),
])
def test_fast_path_choice_counts_compile_against_the_budget(
        timings, budget, expected):
    from higherhrnet_plugin.demo.fast_path import choose_fast_path
    assert choose_fast_path(timings, budget) == expected


def test_fast_path_choice_for_a_fixed_schedule():
    from higherhrnet_plugin.demo.fast_path import choose_fast_path
    timings = {'eager': (0.8, 0), 'compile': (0.5, 20)}
    # 100 steps: 80 s eager against 70 s compiled; 50 steps: 40 against 45
    assert choose_fast_path(timings, None, steps=100) == 'compile'
    assert choose_fast_path(timings, None, steps=50) == 'eager'


def test_calibration_times_each_candidate_on_the_train_loader(
        tmp_path, synthetic_coco, monkeypatch):
    from higherhrnet_plugin.demo.config import build_demo_cfg
    from higherhrnet_plugin.demo.fast_path import (compile_is_cached,
                                                   pick_fast_path)
    monkeypatch.setenv('TORCHINDUCTOR_CACHE_DIR', str(tmp_path / 'ind'))
    cfg = build_demo_cfg(str(synthetic_coco(4, 1)), str(tmp_path / 'work'),
                         batch_size=2, num_workers=0)
    # a cold cache: auto calibrates the eager candidates only
    assert not compile_is_cached(cfg, 'compile')
    choice, timings, spent = pick_fast_path(cfg, 'auto', 600.0)
    assert set(timings) == {'eager', 'channels_last', 'bf16',
                            'channels_last+bf16'} and choice in timings
    for t in timings.values():
        assert 0 < t['s_per_step'] < 60 and t['overhead_s'] == 0
    assert spent > 0


@pytest.mark.parametrize('option,value,words', [
    ('--time-budget', '0', ('0', )),
    ('--fast-path', 'turbo', ("'turbo'", 'compile+channels_last')),
])
def test_bad_option_is_a_one_line_error(tmp_path, option, value, words):
    proc = subprocess.run(
        [sys.executable, str(DEMO), '--data-root', str(tmp_path / 'data'),
         '--work-dir', str(tmp_path / 'work'), option, value],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0]
    assert all(w in lines[0] for w in words)
    # nothing written: not the data, not the work dir
    assert not (tmp_path / 'data').exists()
    assert not (tmp_path / 'work').exists()


def test_a_data_root_of_another_scene_is_refused_in_one_line(tmp_path):
    from higherhrnet_plugin.synthetic_coco import make_synthetic_coco
    data = tmp_path / 'data'
    make_synthetic_coco(str(data), num_train=1, num_val=1, scene='hard')
    before = sorted(p.stat().st_mtime_ns for p in data.rglob('*'))
    proc = subprocess.run(
        [sys.executable, str(DEMO), '--data-root', str(data), '--work-dir',
         str(tmp_path / 'work'), '--num-train', '1', '--num-val', '1'],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('demo: ') \
        and 'hard' in lines[0] and 'easy' in lines[0], proc.stderr
    assert sorted(p.stat().st_mtime_ns for p in data.rglob('*')) == before
    assert not (tmp_path / 'work').exists()


def test_inductor_cache_is_ours_unless_the_user_chose_one(monkeypatch):
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    from higherhrnet_plugin.demo.fast_path import use_inductor_cache
    ours = os.path.expanduser('~/.cache/higherhrnet_plugin/inductor')
    # inductor writes its default into the variable when first asked
    monkeypatch.setenv('TORCHINDUCTOR_CACHE_DIR', default_cache_dir())
    assert use_inductor_cache() == ours
    monkeypatch.delenv('TORCHINDUCTOR_CACHE_DIR')
    assert use_inductor_cache() == ours
    monkeypatch.setenv('TORCHINDUCTOR_CACHE_DIR', '/tmp/the_users_own')
    assert use_inductor_cache() == '/tmp/the_users_own'
