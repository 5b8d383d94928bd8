"""Every COCO/CrowdPose config's batch, learning rate, precision and
data-loading settings agree with each other and with its name
(docs/training.md, "Batch, learning rate and precision")."""
import re

import mmengine.device
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from higherhrnet_plugin.engine.launch import check_amp_device
from repo_paths import CONFIGS

RECIPES = sorted(
    str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob('*.py')
    if p.parts[len(CONFIGS.parts)] in ('higherhrnet', 'ae'))
# the original's recipe: lr 1e-3 for every model (TRAIN.LR in
# experiments/*/higher_hrnet/*.yaml), fp16 for the 640 models
LR = 1e-3


def test_recipes_are_found():
    assert len(RECIPES) == 12


@pytest.mark.parametrize('name', RECIPES)
def test_batch_lr_and_name_agree(name):
    cfg = Config.fromfile(str(CONFIGS / name))
    gpus, batch = map(int, re.search(r'_(\d+)xb(\d+)-', name).groups())
    loader = cfg.train_dataloader
    assert loader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch
    assert cfg.optim_wrapper.optimizer.lr == LR
    # inputs above 512 train in mixed precision, as the original's 640s
    amp = cfg.codec.input_size[0] > 512
    assert (cfg.optim_wrapper.get('type') == 'AmpOptimWrapper') == amp
    assert cfg.env_cfg.cudnn_benchmark is True
    assert loader.pin_memory is True and loader.persistent_workers is True
    assert loader.num_workers >= 4


def test_amp_config_on_cpu_stops_with_the_override(monkeypatch):
    """A CPU user of an AMP config is told the option that trains it in
    fp32; with that option it passes the check and builds."""
    for name in ('is_cuda_available', 'is_npu_available', 'is_mlu_available'):
        monkeypatch.setattr(mmengine.device, name, lambda: False)
    path = str(CONFIGS / [n for n in RECIPES if 'w48' in n and 'coco' in n][0])
    cfg = Config.fromfile(path)
    with pytest.raises(SystemExit) as e:
        check_amp_device(cfg, path)
    override = 'optim_wrapper.type=OptimWrapper'
    assert override in str(e.value)
    cfg.merge_from_dict({'optim_wrapper.type': 'OptimWrapper'})
    check_amp_device(cfg, path)
    wrapper = build_optim_wrapper(torch.nn.Linear(2, 2), cfg.optim_wrapper)
    assert type(wrapper).__name__ == 'OptimWrapper'
