"""A few real training iterations through tools/train.py and mim on CPU."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from repo_paths import DEMO_CONFIG, REPO, SHARED_COCO


def _losses(work_dir):
    logs = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    return [json.loads(line) for line in logs[-1].read_text().splitlines()
            if '"loss"' in line]


def _train_cmd(work_dir, epochs, extra=()):
    # 4 images, batch 2: two iterations an epoch
    return [
        '--work-dir', str(work_dir), '--no-validate', '--cfg-options',
        f'data_root={SHARED_COCO}/',
        f'train_dataloader.dataset.data_root={SHARED_COCO}/',
        'train_dataloader.dataset.ann_file=test_coco.json',
        'train_dataloader.dataset.data_prefix.img=',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'randomness.seed=0', 'train_dataloader.sampler.shuffle=False',
        # no augmentation: odd iterations see one batch, even ones the other
        'train_dataloader.dataset.pipeline.1.shift_prob=0',
        'train_dataloader.dataset.pipeline.1.scale_prob=0',
        'train_dataloader.dataset.pipeline.1.rotate_prob=0',
        'train_dataloader.dataset.pipeline.2.prob=0.0',
        f'train_cfg.max_epochs={epochs}',
        'default_hooks.logger.interval=1',
        f'default_hooks.checkpoint.interval={epochs}',
        'default_hooks.checkpoint.save_best=None',
        'param_scheduler=[]',
        *extra,
    ]


@pytest.fixture
def shared_coco():
    if not SHARED_COCO.is_dir():
        pytest.skip(f'{SHARED_COCO} is absent (it comes with the shared data)')


def test_train_py_runs_and_writes_a_checkpoint(shared_coco, tmp_path):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    subprocess.run([sys.executable, str(REPO / 'tools/train.py'),
                    str(DEMO_CONFIG), *_train_cmd(tmp_path, 5)],
                   check=True, env=env, cwd=tmp_path, capture_output=True)
    assert (tmp_path / 'epoch_5.pth').is_file()
    losses = [row['loss'] for row in _losses(tmp_path)]
    assert len(losses) == 10 and all(v == v for v in losses)  # no NaN
    # the same batch later in training: lower (after Adam's first step,
    # which lifts the near-zero initial heatmaps everywhere)
    assert losses[8] < losses[2] and losses[9] < losses[3]


@pytest.mark.skipif(shutil.which('mim') is None and not (
    Path(sys.executable).parent / 'mim').exists(), reason='mim not installed')
def test_mim_train_mmpose_runs(shared_coco, tmp_path):
    mim = shutil.which('mim') or str(Path(sys.executable).parent / 'mim')
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='',
               PATH=f'{Path(sys.executable).parent}:{os.environ["PATH"]}')
    subprocess.run([mim, 'train', 'mmpose', str(DEMO_CONFIG),
                    *_train_cmd(tmp_path, 1)], check=True, env=env,
                   cwd=tmp_path, capture_output=True)
    assert (tmp_path / 'epoch_1.pth').is_file()


@pytest.mark.parametrize('tool,args,culprit', [
    ('train.py', ['missing_config.py'], 'missing_config.py'),
    ('train.py', [str(DEMO_CONFIG), '--resume', 'no_such.pth'], 'no_such.pth'),
    ('test.py', [str(DEMO_CONFIG), 'no_such.pth'], 'no_such.pth'),
])
def test_bad_input_gives_one_line_error(tmp_path, tool, args, culprit):
    run = subprocess.run([sys.executable, str(REPO / 'tools' / tool), *args,
                          '--work-dir', str(tmp_path / 'wd')],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and culprit in lines[0]


def test_test_py_cfg_options_address_the_config_as_written(tmp_path):
    """--cfg-options are merged before --dump turns test_evaluator into a
    list, so `test_evaluator.ann_file=` still names the config's key."""
    import argparse
    import runpy

    from mmengine.config import Config
    merge_args = runpy.run_path(str(REPO / 'tools/test.py'))['merge_args']
    args = argparse.Namespace(
        checkpoint='ckpt.pth', work_dir=str(tmp_path), config=str(DEMO_CONFIG),
        dump=str(tmp_path / 'preds.pkl'), tta=False, batch_size=None,
        fuse_conv_bn=False, channels_last=False, compile=False,
        launcher='none',
        cfg_options={'test_evaluator.ann_file': 'other.json'})
    cfg = merge_args(Config.fromfile(str(DEMO_CONFIG)), args)
    assert cfg.test_evaluator[0].ann_file == 'other.json'
    assert cfg.test_evaluator[1].type == 'DumpResults'
    assert cfg.load_from == 'ckpt.pth'


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_bad_dataset_gives_one_line_error(tmp_path, tool):
    ann = tmp_path / 'truncated.json'
    ann.write_text('{"images": [{"id": 1, "file_name": "a.jpg"')
    ckpt = tmp_path / 'unused.pth'
    ckpt.write_bytes(b'')
    args = [str(ckpt)] if tool == 'test.py' else ['--no-validate']
    split = 'test' if tool == 'test.py' else 'train'
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools' / tool), str(DEMO_CONFIG), *args,
         '--work-dir', str(tmp_path / 'wd'), '--cfg-options',
         f'{split}_dataloader.dataset.data_root={tmp_path}/',
         f'{split}_dataloader.dataset.ann_file=truncated.json',
         f'{split}_dataloader.num_workers=0',
         f'{split}_dataloader.persistent_workers=False'],
        capture_output=True, text=True, cwd=tmp_path,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''))
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert 'Traceback' not in run.stderr
    assert 'truncated.json' in lines[-1]
