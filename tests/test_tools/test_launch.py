"""A distributed launcher without a GPU stops with one line, unless the user
hid the GPUs on purpose (CUDA_VISIBLE_DEVICES set and empty); so does mixed
precision without a GPU. tools/test.py writes --out on rank 0 only."""
import argparse
import os
import runpy
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

from higherhrnet_plugin.engine import launch
from repo_paths import DEMO_CONFIG, REPO


@pytest.fixture
def no_gpu(monkeypatch):
    """torch as on a node whose driver does not fit the torch build."""
    def init():
        raise RuntimeError('The NVIDIA driver on your system is too old '
                           '(found version 11040).\nPlease update it.')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.cuda, 'init', init)
    monkeypatch.setattr(torch.version, 'cuda', '12.4')
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)


@pytest.mark.parametrize('launcher', ['pytorch', 'slurm', 'mpi'])
def test_no_gpu_stops_with_the_cause(no_gpu, launcher):
    with pytest.raises(SystemExit) as e:
        launch.distributed_device(launcher)
    msg = str(e.value)
    assert '\n' not in msg
    assert f'--launcher {launcher}' in msg
    assert f'torch {torch.__version__} (CUDA 12.4 build)' in msg
    assert 'driver on your system is too old' in msg
    assert 'CUDA_VISIBLE_DEVICES=' in msg


def test_cpu_only_build_is_named(no_gpu, monkeypatch):
    def init():
        raise AssertionError('Torch not compiled with CUDA enabled')
    monkeypatch.setattr(torch.version, 'cuda', None)
    monkeypatch.setattr(torch.cuda, 'init', init)
    assert launch.no_cuda_reason().endswith(
        '(CPU-only build) sees no GPU: Torch not compiled with CUDA enabled')


def test_no_device_without_an_error(no_gpu, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'init', lambda: None)
    assert launch.no_cuda_reason().endswith('sees no GPU: no CUDA device')


def test_cpu_processes_when_asked(no_gpu, monkeypatch):
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '')
    assert launch.distributed_device('pytorch') == 'cpu'
    # MMEngine's slurm launcher calls torch.cuda.set_device
    with pytest.raises(SystemExit, match='--launcher slurm needs a GPU'):
        launch.distributed_device('slurm')


def test_gpu_and_no_launcher(no_gpu, monkeypatch):
    assert launch.distributed_device('none') == 'cpu'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    for launcher in ('none', 'pytorch', 'slurm'):
        assert launch.distributed_device(launcher) == 'cuda'


def test_cpu_ddp_config(no_gpu, monkeypatch):
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '')
    monkeypatch.setattr(launch.dist, 'is_initialized', lambda: True)
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    launch.prepare_distributed(cfg, 'pytorch')
    assert cfg.launcher == 'pytorch'
    assert cfg.model_wrapper_cfg.device_ids is None
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'


@pytest.mark.parametrize('source,advice', [
    ('--amp', 'drop --amp'),
    ('cfg.py', '--cfg-options optim_wrapper.type=OptimWrapper')])
def test_amp_without_gpu_stops(no_gpu, monkeypatch, source, advice):
    import mmengine.device
    for name in ('is_cuda_available', 'is_npu_available', 'is_mlu_available'):
        monkeypatch.setattr(mmengine.device, name, lambda: False)
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper')))
    with pytest.raises(SystemExit) as e:
        launch.check_amp_device(cfg, source)
    msg = str(e.value)
    assert '\n' not in msg and msg.startswith(source) and advice in msg
    launch.check_amp_device(Config(dict(optim_wrapper=dict(
        type='OptimWrapper'))), source)  # fp32: no check


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a GPU-less node')
@pytest.mark.parametrize('extra,culprit', [
    ([], 'sees no GPU'), (['--amp'], 'sees no GPU')])
def test_train_py_without_gpu_one_line(tmp_path, extra, culprit):
    env = {k: v for k, v in os.environ.items()
           if k != 'CUDA_VISIBLE_DEVICES'}
    env.update(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
               MASTER_ADDR='127.0.0.1', MASTER_PORT='29555')
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'), str(DEMO_CONFIG),
         '--launcher', 'pytorch', '--work-dir', str(tmp_path), *extra],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr[-2000:]
    assert lines[0].startswith('--launcher pytorch: torch ') and culprit in \
        lines[0]
    assert time.monotonic() - start < 60
    assert not list(tmp_path.iterdir())  # nothing trained, nothing written


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a GPU-less node')
def test_dist_train_sh_without_gpu_one_line(tmp_path):
    """tools/dist_train.sh stops before starting its processes."""
    env = {k: v for k, v in os.environ.items()
           if k != 'CUDA_VISIBLE_DEVICES'}
    run = subprocess.run(
        ['bash', str(REPO / 'tools/dist_train.sh'), str(DEMO_CONFIG), '2',
         '--work-dir', str(tmp_path)], env=dict(env, PYTHON=sys.executable),
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert run.stdout == ''
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and 'sees no GPU' in lines[0], run.stderr[-2000:]


def test_amp_on_cpu_one_line(tmp_path):
    """A CPU user of --amp (or of an AMP config) gets one line, not
    MMEngine's AssertionError."""
    if torch.cuda.is_available():
        pytest.skip('needs a GPU-less node')
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'), str(DEMO_CONFIG),
         '--amp', '--work-dir', str(tmp_path)], cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''))
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('--amp: mixed-precision')


def _test_tool():
    return runpy.run_path(str(REPO / 'tools/test.py'))


@pytest.mark.parametrize('rank,written', [(0, True), (1, False)])
def test_out_is_written_on_rank_0_only(tmp_path, rank, written):
    hook = _test_tool()['SaveMetricsHook'](str(tmp_path / 'metrics.json'))
    hook.after_test_epoch(argparse.Namespace(rank=rank), {'coco/AP': 0.5})
    assert (tmp_path / 'metrics.json').is_file() == written


def test_test_py_turns_cudnn_benchmark_off(tmp_path):
    args = argparse.Namespace(
        checkpoint='ckpt.pth', work_dir=str(tmp_path), config=str(DEMO_CONFIG),
        dump=None, tta=False, batch_size=None, fuse_conv_bn=False,
        channels_last=False, compile=False, launcher='none', cfg_options={})
    cfg = _test_tool()['merge_args'](Config.fromfile(str(DEMO_CONFIG)), args)
    assert cfg.env_cfg.cudnn_benchmark is False
