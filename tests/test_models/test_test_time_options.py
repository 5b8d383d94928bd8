"""Test-time speed options: conv + BN fusion, channels-last, torch.compile,
and the hook that applies them after the checkpoint is loaded."""
import logging
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from _predict_utils import build_tiny
from mmengine.config import Config

from higherhrnet_plugin.engine.hooks import TestTimeOptionsHook
from higherhrnet_plugin.engine.test_speed import (add_test_time_options,
                                                  set_test_batch_size)
from higherhrnet_plugin.models.utils.test_time_options import \
    apply_test_time_options


def _tiny_with_bn_statistics(seed=0):
    model, _ = build_tiny(flip_test=True, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2, generator=gen)
            m.running_var.uniform_(0.5, 1.5, generator=gen)
    return model


def _outputs(model, x):
    with torch.no_grad():
        return model(x, None, mode='tensor')


def _num_bn(module):
    return sum(isinstance(m, nn.BatchNorm2d) for m in module.modules())


@pytest.mark.parametrize('option', ['fuse_conv_bn', 'channels_last'])
def test_option_keeps_outputs_within_1e_5(option):
    x = torch.randn(2, 3, 128, 192, generator=torch.Generator().manual_seed(1))
    model = _tiny_with_bn_statistics()
    expected = _outputs(model, x)
    apply_test_time_options(model, [option])
    got = _outputs(model, x)
    for e, g in zip(expected, got):
        assert e.shape == g.shape
        torch.testing.assert_close(g, e, rtol=0, atol=1e-5)
    if option == 'fuse_conv_bn':
        # every Conv2d + BN pair folded; the head's ConvTranspose2d keeps BN
        assert _num_bn(model.backbone) == 0
        assert _num_bn(model.head) == model.head.num_deconv_layers
    else:
        conv = model.backbone.conv1
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)


class _Estimator(nn.Module):
    """The parts ``apply_test_time_options`` touches, small enough to
    compile in seconds."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1),
                                      nn.ReLU())
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        return self.head.forward(self.backbone(x))


def test_compile_wraps_every_call_path():
    # compiling is not run here: inductor's first compile takes minutes on
    # a 2-core CPU; tools/analysis/benchmark_test.py runs and checks it
    model = _Estimator().eval()
    apply_test_time_options(model, ['compile'])
    # `head.forward(...)` (how the head and BasePoseEstimator._forward call
    # it) is the compiled function too, not only `head(...)`
    for module in (model.backbone, model.head):
        forward = vars(module)['forward']
        assert forward is not type(module).forward
        assert hasattr(forward, '_torchdynamo_orig_callable')


def test_bad_options_are_one_line_errors():
    model = _Estimator()
    with pytest.raises(ValueError, match=r"unknown test-time option\(s\) "
                       r"\['fuse'\]"):
        apply_test_time_options(model, ['fuse'])
    with pytest.raises(ValueError, match='eval mode'):
        apply_test_time_options(model.train(), ['fuse_conv_bn'])
    with pytest.raises(ValueError, match='unknown'):
        TestTimeOptionsHook(['half'])


def test_hook_reaches_the_estimator_inside_a_tta_model():
    estimator = _tiny_with_bn_statistics()
    tta = SimpleNamespace(module=estimator)  # what BaseTTAModel exposes
    runner = SimpleNamespace(model=tta, logger=logging.getLogger('t'))
    TestTimeOptionsHook(['fuse_conv_bn']).before_test(runner)
    assert _num_bn(estimator.backbone) == 0


def test_config_edits_of_test_py():
    cfg = Config(dict(test_dataloader=dict(batch_size=1)))
    set_test_batch_size(cfg, 4)
    assert cfg.test_dataloader.batch_size == 4
    assert cfg.test_dataloader.batch_sampler == dict(
        type='InputShapeBatchSampler')
    for bad in (0, -2):
        with pytest.raises(ValueError, match='--batch-size'):
            set_test_batch_size(cfg, bad)
    add_test_time_options(cfg, [])
    assert 'custom_hooks' not in cfg
    add_test_time_options(cfg, ['channels_last'])
    assert cfg.custom_hooks == [
        dict(type='TestTimeOptionsHook', options=['channels_last'])]
