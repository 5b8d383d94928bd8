"""Training killed mid-epoch and continued with ``tools/train.py --resume``
reproduces the uninterrupted run's losses, data augmentation included.

MMEngine checkpoints do not hold the random generators' states, so on its own
a resumed run draws other augmentations than the uninterrupted one (see
``EpochSeedHook``); with the hook every epoch's randomness is a function of
(seed, epoch, rank) and the losses agree.
"""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from higherhrnet_plugin.engine import EpochSeedHook
from repo_paths import DEMO_CONFIG, REPO


class RandomDraws(Dataset):
    """Each item is what an augmentation would draw: numpy, random, torch."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        import random
        return (float(np.random.rand()), random.random(),
                float(torch.rand(())))


def _draws(loader, hook, epochs, seed=0):
    runner = SimpleNamespace(seed=seed, epoch=0,
                             train_loop=SimpleNamespace(dataloader=loader))
    if hook:
        hook.before_train(runner)
    out = {}
    for epoch in epochs:
        runner.epoch = epoch
        if hook:
            hook.before_train_epoch(runner)
        out[epoch] = [torch.stack(batch).tolist() for batch in loader]
    return out


@pytest.mark.parametrize('workers,persistent', [(0, False), (2, True),
                                                (2, False)])
def test_epoch_seed_hook_makes_epochs_independent_of_history(
        workers, persistent):
    def loader():
        # MMEngine's default worker_init_fn: the hook replaces it
        from functools import partial

        from mmengine.dataset import worker_init_fn
        init = partial(worker_init_fn, num_workers=workers, rank=0,
                       seed=0) if workers else None
        return DataLoader(RandomDraws(), batch_size=2, num_workers=workers,
                          persistent_workers=persistent, worker_init_fn=init)

    full = _draws(loader(), EpochSeedHook(), range(3))
    resumed = _draws(loader(), EpochSeedHook(), [2])
    assert resumed[2] == full[2]
    assert full[0] != full[1] != full[2]  # new augmentations every epoch
    if workers == 0 or persistent:
        # without the hook the resumed epoch differs from the full run's
        assert _draws(loader(), None, [2])[2] != _draws(
            loader(), None, range(3))[2]


def _write_config(path, data_root, kill_at=None):
    hooks = ["dict(type='SyncBuffersHook')", "dict(type='EpochSeedHook')"]
    if kill_at:
        hooks.append(f"dict(type='KillAtIterHook', kill_at={kill_at})")
    path.write_text(f"""
_base_ = [{str(DEMO_CONFIG)!r}]
custom_imports = dict(
    imports=['higherhrnet_plugin', 'higherhrnet_plugin.engine', 'kill_hook'],
    allow_failed_imports=False)
custom_hooks = [{', '.join(hooks)}]
randomness = dict(seed=0)
train_cfg = dict(max_epochs=3, val_interval=100)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, save_best=None))
# the demo's loader: 2 persistent workers, augmentation on; 4 images, batch
# 2: 2 iterations an epoch
train_dataloader = dict(batch_size=2, num_workers=2, persistent_workers=True,
                        dataset=dict(data_root={str(data_root) + '/'!r}))
val_dataloader = val_cfg = val_evaluator = None
""")


def _train(cfg, work_dir, *extra):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=os.pathsep.join(
                   [str(Path(__file__).parent),
                    os.environ.get('PYTHONPATH', '')]))
    return subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'), str(cfg),
         '--work-dir', str(work_dir), *extra],
        env=env, cwd=work_dir.parent, capture_output=True, text=True,
        timeout=600)


def _losses(scalars):
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    return {row['step']: row['loss'] for row in rows if 'loss' in row}


def _snapshot(work_dir):
    return {p.relative_to(work_dir): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in work_dir.rglob('*') if p.is_file()}


def test_killed_training_resumes_with_the_same_losses(tmp_path):
    from higherhrnet_plugin.synthetic_coco import make_synthetic_coco
    data = tmp_path / 'data'
    make_synthetic_coco(str(data), num_train=4, num_val=1)
    _write_config(tmp_path / 'full.py', data)
    _write_config(tmp_path / 'killed.py', data, kill_at=5)
    full, killed = tmp_path / 'full', tmp_path / 'killed'
    for d in (full, killed):
        d.mkdir()

    run = _train(tmp_path / 'full.py', full)
    assert run.returncode == 0, run.stderr[-3000:]
    reference = _losses(next(full.glob('*/vis_data/scalars.json')))
    assert sorted(reference) == [1, 2, 3, 4, 5, 6]

    # SIGKILL after the first iteration of epoch 3
    run = _train(tmp_path / 'killed.py', killed)
    assert run.returncode == -9, run.stderr[-3000:]
    assert {p.name for p in killed.glob('*.pth')} == {'epoch_1.pth',
                                                      'epoch_2.pth'}
    before = _snapshot(killed)
    (first_log, ) = killed.glob('*/vis_data/scalars.json')

    run = _train(tmp_path / 'full.py', killed, '--resume')
    assert run.returncode == 0, run.stderr[-3000:]
    after = _snapshot(killed)
    # nothing written before the kill is lost or changed (but the pointer
    # to the latest checkpoint)
    assert {k: v for k, v in after.items() if k in before
            and k.name != 'last_checkpoint'} == {
                k: v for k, v in before.items()
                if k.name != 'last_checkpoint'}
    assert (killed / 'epoch_3.pth').is_file()
    (second_log, ) = set(killed.glob('*/vis_data/scalars.json')) - {first_log}
    log = next(second_log.parent.parent.glob('*.log')).read_text()
    assert 'resumed epoch: 2, iter: 4' in log

    interrupted = _losses(first_log)
    resumed = _losses(second_log)
    assert sorted(interrupted) == [1, 2, 3, 4] and sorted(resumed) == [5, 6]
    for step, loss in {**interrupted, **resumed}.items():
        assert loss == pytest.approx(reference[step], rel=1e-5), step
