"""``mim train higherhrnet_plugin CFG --launcher pytorch --gpus 2`` trains two
CPU processes (gloo) with the plugin's own tools/train.py, and each destroys
its process group before it exits.

mim runs ``<installed package>/.mim/tools/train.py``, taking the installed
package to be ``<dist location>/higherhrnet_plugin``. A regular install has it
(setup.py copies tools/ and configs/ into ``.mim``); an editable install does
not (its dist-info sits in site-packages, the code stays in the checkout), so
mim would look for a train.py that does not exist. The test therefore lays
the package out as a regular install does, in a temporary directory put first
on PYTHONPATH: a dist-info and a ``higherhrnet_plugin`` folder whose entries
link to the checkout, with ``.mim/tools`` and ``.mim/configs`` linking to
tools/ and configs/. (``mim train mmpose ... --launcher pytorch`` runs
MMPose's train.py, whose MMEngine launcher calls ``torch.cuda.set_device``,
and cannot run without a GPU.)
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from free_port import free_port
from group_teardown import groups_at_exit, probed
from repo_paths import DEMO_CONFIG, REPO

MIM = Path(sys.executable).parent / 'mim'


def _mim_env(site, env):
    """``env`` with the installed layout ``site`` first on PYTHONPATH and
    this Python's bin (its ``mim``) on PATH."""
    return dict(env, PYTHONPATH=os.pathsep.join(
        [str(site), os.environ.get('PYTHONPATH', '')]),
        PATH=f'{Path(sys.executable).parent}:{os.environ["PATH"]}')


def _installed_layout(site):
    """The package as a regular install lays it out, linked to the checkout."""
    from importlib.metadata import version
    pkg = site / 'higherhrnet_plugin'
    pkg.mkdir(parents=True)
    for entry in (REPO / 'higherhrnet_plugin').iterdir():
        if entry.name not in ('.mim', '__pycache__'):
            (pkg / entry.name).symlink_to(entry)
    (pkg / '.mim').mkdir()
    for name in ('tools', 'configs'):
        (pkg / '.mim' / name).symlink_to(REPO / name)
    ver = version('higherhrnet_plugin')
    info = site / f'higherhrnet_plugin-{ver}.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        f'Metadata-Version: 2.1\nName: higherhrnet_plugin\nVersion: {ver}\n')
    (info / 'top_level.txt').write_text('higherhrnet_plugin\n')


@pytest.mark.skipif(not MIM.exists() and shutil.which('mim') is None,
                    reason='mim not installed')
def test_mim_train_pytorch_launcher_two_cpu_processes(tmp_path):
    from higherhrnet_plugin.synthetic_coco import make_synthetic_coco
    data = tmp_path / 'data'
    make_synthetic_coco(str(data), num_train=4, num_val=1)
    site = tmp_path / 'site'
    _installed_layout(site)
    work_dir = tmp_path / 'work'
    probe = tmp_path / 'exit'
    env = probed(_mim_env(site, dict(os.environ, CUDA_VISIBLE_DEVICES='')),
                 probe)
    mim = str(MIM) if MIM.exists() else shutil.which('mim')
    run = subprocess.run(
        [mim, 'train', 'higherhrnet_plugin', str(DEMO_CONFIG), '--launcher',
         'pytorch', '--gpus', '2', '--port', str(free_port()),
         '--work-dir', str(work_dir), '--no-validate', '--cfg-options',
         f'train_dataloader.dataset.data_root={data}/',
         'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
         'default_hooks.checkpoint.interval=1',
         'default_hooks.checkpoint.save_best=None',
         'default_hooks.logger.interval=1'],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    # mim ran the plugin's train.py (through the installed package's .mim)
    assert str(site / 'higherhrnet_plugin/.mim/tools/train.py') in run.stdout
    assert (work_dir / 'epoch_1.pth').is_file()
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert "'backend': 'gloo'" in log or 'gloo' in log
    # 4 images over 2 processes with batch 1: 2 iterations an epoch each
    assert 'Epoch(train) [1][2/2]' in log
    assert groups_at_exit(probe) == {'rank0': 'destroyed',
                                     'rank1': 'destroyed'}


@pytest.mark.skipif(not MIM.exists() and shutil.which('mim') is None,
                    reason='mim not installed')
def test_mim_train_pytorch_launcher_without_gpu_stops(tmp_path):
    """Without a GPU and with CUDA_VISIBLE_DEVICES unset, every process of
    ``mim train ... --launcher pytorch`` stops with the one-line cause
    instead of training on CPU."""
    import torch
    if torch.cuda.is_available():
        pytest.skip('needs a GPU-less node')
    site = tmp_path / 'site'
    _installed_layout(site)
    env = _mim_env(site, {k: v for k, v in os.environ.items()
                          if k != 'CUDA_VISIBLE_DEVICES'})
    mim = str(MIM) if MIM.exists() else shutil.which('mim')
    run = subprocess.run(
        [mim, 'train', 'higherhrnet_plugin', str(DEMO_CONFIG), '--launcher',
         'pytorch', '--gpus', '2', '--port', str(free_port()),
         '--work-dir', str(tmp_path / 'work')],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert output.count('--launcher pytorch: torch ') == 2, output[-4000:]
    assert 'sees no GPU' in output
    assert not (tmp_path / 'work').exists()
