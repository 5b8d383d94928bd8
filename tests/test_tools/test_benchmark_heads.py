"""tools/analysis/benchmark_heads.py: measures heads in subprocesses, writes
results.json/.md/.png, reports failures instead of crashing."""
import json
import os
import subprocess
import sys

import pytest

from repo_paths import DEMO_CONFIG, REPO

TOOL = str(REPO / 'tools/analysis/benchmark_heads.py')
CID = ('mmpose::body_2d_keypoint/cid/coco/'
        'cid_hrnet-w32_8xb20-140e_coco-512x512.py')


def run_tool(*args):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_benchmark_two_heads_and_a_broken_one(tmp_path):
    broken = tmp_path / 'broken.py'
    broken.write_text(f"_base_ = ['{DEMO_CONFIG}']\n"
                      "model = dict(head=dict(type='NoSuchHead'))\n")
    out = tmp_path / 'out'
    proc = run_tool('--configs', f'ours={DEMO_CONFIG}', f'cid={CID}',
                    f'broken={broken}', '--shape', '64', '--warmup', '0',
                    '--repeats', '1', '--threads', '1', '--out', str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((out / 'results.json').read_text())
    assert [r['name'] for r in results] == ['ours', 'cid', 'broken']
    for r in results[:2]:
        assert r['status'] == 'ok', r
        for key in ('params', 'flops', 'forward_ms', 'decode_ms', 'e2e_ms',
                    'peak_mb', 'people'):
            assert r[key] is not None and r[key] >= 0, (key, r)
        assert r['flip_test'] is False
        assert r['settings']['shape'] == 64
    assert results[0]['head'] == 'HigherHRNetHead'
    assert results[1]['head'] == 'CIDHead'
    assert results[0]['params'] < results[1]['params']
    bad = results[2]
    assert bad['status'].startswith('build')
    assert 'NoSuchHead' in bad['reason'] and '\n' not in bad['reason']
    md = (out / 'results.md').read_text()
    assert '| ours |' in md and '| cid |' in md and 'NoSuchHead' in md
    assert (out / 'results.png').read_bytes()[:4] == b'\x89PNG'


def test_missing_config_is_a_one_line_error(tmp_path):
    proc = run_tool('--configs', 'configs/no/such_config.py', '--out',
                    str(tmp_path))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and 'configs/no/such_config.py' in lines[0]


RTMO = ('mmpose::body_2d_keypoint/rtmo/coco/'
        'rtmo-s_8xb32-600e_coco-640x640.py')


def test_train_budget_tiny(tmp_path):
    # each head's small variant builds, trains a few iterations and is
    # evaluated (RTMO's narrowed neck and head must agree on channels); one
    # run of the tool for both heads
    out = tmp_path / 'out'
    proc = run_tool('--configs', f'ours={DEMO_CONFIG}', f'rtmo-s={RTMO}',
                    '--skip-measure', '--train-budget', '0.05',
                    '--num-train', '4', '--num-val', '2', '--num-workers',
                    '0', '--threads', '1', '--out', str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((out / 'results.json').read_text())
    assert [r['name'] for r in results] == ['ours', 'rtmo-s']
    for r in results:
        assert r['train_status'] == 'ok', r
        assert r['train_iters'] >= 1
        for key in ('train_AP', 'train_AP (M)', 'train_AP (L)'):
            assert key in r
    assert 'AP (budget)' in (out / 'results.md').read_text()


@pytest.mark.parametrize('name', ['dekr-w32', 'cid-w32'])
def test_small_variants_share_the_demo_backbone(tmp_path, name):
    # equal terms: DEKR's and CID's small variants get the demo's backbone
    # (type, stem and widths), with all four branches for their heads
    import torch
    from mmpose.registry import MODELS

    from higherhrnet_plugin.analysis.head_configs import (DEFAULT_HEADS,
                                                          resolve_config)
    from higherhrnet_plugin.analysis.small_head_variants import \
        small_variant
    from higherhrnet_plugin.demo.config import build_demo_cfg
    dirs = dict(work_dir=str(tmp_path / 'w'),
                data_root=str(tmp_path / 'data'), num_workers=0)
    cfg = small_variant(resolve_config(dict(DEFAULT_HEADS)[name]), **dirs)
    demo_backbone = build_demo_cfg(dirs['data_root'],
                                   dirs['work_dir']).model.backbone
    backbone = cfg.model.backbone
    assert backbone.type == demo_backbone.type
    assert backbone.stem_channels == demo_backbone.stem_channels
    assert backbone.extra.stage4.multiscale_output is True
    model = MODELS.build(cfg.model)
    feats = model.extract_feat(torch.rand(1, 3, 64, 64))
    # the neck concatenates the four branches at 1/4 for the head
    assert [tuple(f.shape) for f in feats] == [
        (1, sum(backbone.extra.stage4.num_channels), 16, 16)]


def test_budget_schedule_follows_the_demo_config_in_fractions(tmp_path):
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        budget_schedule
    from higherhrnet_plugin.demo.config import build_demo_cfg
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        lr_factor
    cfg = build_demo_cfg(str(tmp_path / 'data'), str(tmp_path / 'w'),
                         num_workers=0, val_interval=0)
    # 400 images at batch 4, 30 epochs: 3000 iterations, warm-up 100 of them
    sched = budget_schedule(cfg, num_train=400)
    assert sched == dict(warm_end=100 / 3000, warm_start=0.01, steps=[],
                         cosine=1e-5 / 3e-3)
    assert lr_factor(0.0, **sched) == pytest.approx(0.01)
    # half-way through the warm-up, the cosine has barely started
    assert lr_factor(50 / 3000, **sched) == pytest.approx(0.505, rel=1e-2)
    assert lr_factor(0.5, **sched) == pytest.approx(
        sched['cosine'] + (1 - sched['cosine']) * 0.5)
    assert lr_factor(1.0, **sched) == pytest.approx(sched['cosine'])
    # a step decay: gamma once each milestone is passed
    assert lr_factor(0.75, steps=[(0.5, 0.1), (0.7, 0.1)]) == \
        pytest.approx(0.01)


def test_wall_clock_budget_hook_sets_the_lr_and_stops(monkeypatch):
    from types import SimpleNamespace

    from higherhrnet_plugin.engine.hooks import (WallClockBudgetHook,
                                                 wall_clock_budget_hook)
    clock = [100.0]
    monkeypatch.setattr(wall_clock_budget_hook.time, 'perf_counter',
                        lambda: clock[0])
    groups = [dict(lr=0.1), dict(lr=0.01)]
    runner = SimpleNamespace(
        optim_wrapper=SimpleNamespace(param_groups=groups),
        train_loop=SimpleNamespace(stop_training=False), iter=0)
    hook = WallClockBudgetHook(10.0, dict(warm_end=0.5, warm_start=0.2))
    hook.before_train(runner)
    clock[0] += 2.5  # a quarter of the budget: 0.2 + 0.8 * 0.5 of the lr
    hook.before_train_iter(runner, 0)
    assert [g['lr'] for g in groups] == pytest.approx([0.06, 0.006])
    hook.after_train_iter(runner, 0)
    assert not runner.train_loop.stop_training
    clock[0] += 7.5
    runner.iter = 41
    hook.after_train_iter(runner, 41)
    assert runner.train_loop.stop_training and hook.iters == 42
