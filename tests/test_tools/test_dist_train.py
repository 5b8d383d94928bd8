"""tools/dist_train.sh trains in 2 CPU processes (gloo)."""
import os
import subprocess
import sys

import pytest

from free_port import free_port
from repo_paths import DEMO_CONFIG, REPO, SHARED_COCO


def test_two_cpu_processes_train_one_epoch(tmp_path):
    if not SHARED_COCO.is_dir():
        pytest.skip(f'{SHARED_COCO} is absent (it comes with the shared data)')
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', PYTHON=sys.executable,
               PORT=str(free_port()))
    subprocess.run(
        ['bash', str(REPO / 'tools/dist_train.sh'), str(DEMO_CONFIG), '2',
         '--work-dir', str(tmp_path), '--no-validate', '--cfg-options',
         f'train_dataloader.dataset.data_root={SHARED_COCO}/',
         'train_dataloader.dataset.ann_file=test_coco.json',
         'train_dataloader.dataset.data_prefix.img=',
         'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
         'default_hooks.checkpoint.interval=1',
         'default_hooks.checkpoint.save_best=None',
         'default_hooks.logger.interval=1'],
        check=True, env=env, cwd=tmp_path, capture_output=True, timeout=300)
    assert (tmp_path / 'epoch_1.pth').is_file()
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    # 4 images over 2 processes with batch 1: 2 iterations an epoch each
    assert 'Epoch(train) [1][2/2]' in log
