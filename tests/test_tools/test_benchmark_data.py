"""tools/analysis/benchmark_data.py and benchmark_memory.py on the demo's
narrow model and the shared COCO images."""
import json
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from higherhrnet_plugin.analysis import data_benchmark as db
from higherhrnet_plugin.analysis.training_memory import (
    ADAM_BYTES_PER_PARAM, measure_training_memory, saved_activation_bytes)

from repo_paths import DEMO_CONFIG, REPO, SHARED_COCO

DATA_ARGS = ['--data-root', f'{SHARED_COCO}/', '--ann-file', 'test_coco.json',
             '--img-prefix', '']


@pytest.fixture(scope='module')
def dataset():
    if not SHARED_COCO.is_dir():
        pytest.skip(f'{SHARED_COCO} is absent (it comes with the shared data)')
    return db.build_train_dataset(Config.fromfile(str(DEMO_CONFIG)),
                                  f'{SHARED_COCO}/', 'test_coco.json', '')


def test_pipeline_timing(dataset):
    timing = db.benchmark_pipeline(dataset, 3, progress=False)
    assert list(timing.stages) == [
        'LoadImage', 'BottomupRandomAffine', 'RandomFlip', 'GenerateTarget',
        'BottomupGetMultiLevelHeatmapMask', 'PackPoseInputs']
    assert all(t > 0 for t in timing.stages.values())
    # at least the uint8 256x256 input and the fp32 heatmaps of 17
    # keypoints at 64x64 and 128x128 (the demo's two levels)
    floor = 3 * 256 * 256 + 17 * (64 * 64 + 128 * 128) * 4
    assert floor <= timing.bytes_per_sample < 3 * floor


def test_workers_rule():
    # a GPU eating 12 samples in 0.5 s (24/s) from workers of 10/s each:
    # 1.5 x 24 / 10 = 3.6 -> 4 workers
    assert db.workers_needed(10., 12, 0.5) == 4
    assert db.workers_needed(100., 1, 10.) == 1
    with pytest.raises(ValueError):
        db.workers_needed(0., 12, 0.5)
    # 6 MiB samples, batch 12, 2 queued batches, 4 workers, 8 GPUs
    assert db.shm_bytes(6 * 2**20, 12, 4, 8) == 6 * 2**20 * 12 * 2 * 4 * 8


def test_benchmark_data_tool(dataset, tmp_path):
    out = tmp_path / 'data.json'
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis/benchmark_data.py'),
         str(DEMO_CONFIG), *DATA_ARGS, '--num-samples', '2',
         '--step-times', '0.5', '--gpus', '2', '--json', str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result['num_samples'] == 2 and result['batch_size'] == 4
    assert len(result['recommendations']) == 1
    assert 'workers/GPU' in run.stdout


def test_training_memory(dataset):
    cfg = Config.fromfile(str(DEMO_CONFIG))
    sample = dataset[0]
    mem = measure_training_memory(cfg, sample)
    assert mem.static == mem.num_params * ADAM_BYTES_PER_PARAM
    assert mem.num_params == 1_237_987  # tests/test_configs
    # the first conv alone saves the fp32 input: 3x256x256x4 bytes
    assert mem.per_sample > 3 * 256 * 256 * 4
    # linear in the batch: a batch of 3 saves per_batch + 3 per_sample
    from mmengine.dataset import pseudo_collate
    from mmpose.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.backbone.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    three = saved_activation_bytes(model, pseudo_collate([sample] * 3))
    assert three == mem.per_batch + 3 * mem.per_sample
    # 16-bit activations under bf16 autocast
    half = measure_training_memory(cfg, sample, torch.bfloat16)
    assert 0.4 * mem.per_sample < half.per_sample < 0.8 * mem.per_sample


def test_benchmark_memory_tool(dataset, tmp_path):
    out = tmp_path / 'memory.json'
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis/benchmark_memory.py'),
         str(DEMO_CONFIG), *DATA_ARGS, '--cards-gb', '16', '--json', str(out)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result['batch_size'] == 4
    assert result['total'] == (result['static'] + result['per_batch'] +
                               4 * result['per_sample'])
    assert '16 GiB card: largest batch' in run.stdout
