"""Tests of NarrowStemHRNet: MMPose's HRNet with a configurable stem."""
import pytest
import torch

import higherhrnet_plugin  # noqa: F401
from mmpose.registry import MODELS


def tiny_extra():
    return dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                    num_blocks=(2, ), num_channels=(16, )),
        stage2=dict(num_modules=1, num_branches=2, block='BASIC',
                    num_blocks=(1, 1), num_channels=(8, 16)),
        stage3=dict(num_modules=1, num_branches=3, block='BASIC',
                    num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
        stage4=dict(num_modules=1, num_branches=4, block='BASIC',
                    num_blocks=(1, 1, 1, 1), num_channels=(8, 16, 32, 64)))


def build(type_, **kwargs):
    torch.manual_seed(0)
    net = MODELS.build(dict(type=type_, extra=tiny_extra(), **kwargs))
    net.init_weights()
    net.eval()  # HRNet.train() returns None, so no chaining
    return net


def test_default_stem_is_exactly_mmpose_hrnet():
    ours, theirs = build('NarrowStemHRNet'), build('HRNet')
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in theirs.state_dict().items()}
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], theirs(x)[0], rtol=0, atol=0)


def test_narrow_stem_widths_and_outputs():
    net = build('NarrowStemHRNet', stem_channels=16)
    assert net.conv1.out_channels == 16 and net.conv2.in_channels == 16
    assert net.bn1.num_features == 16 and net.bn2.num_features == 16
    assert net.layer1[0].conv1.in_channels == 16
    assert net.layer1[0].downsample[0].in_channels == 16
    assert net.layer1[-1].conv3.out_channels == 64  # 16 x bottleneck 4
    ref = build('HRNet')
    assert sum(p.numel() for p in net.parameters()) < sum(
        p.numel() for p in ref.parameters())
    # the same output shapes as HRNet; gradients reach the new stem
    net.train()
    out = net(torch.rand(2, 3, 64, 64))
    assert [tuple(o.shape) for o in out] == [(2, 8, 16, 16)]
    out[0].sum().backward()
    assert net.conv1.weight.grad is not None


def test_frozen_stages_freeze_the_rebuilt_stem():
    net = build('NarrowStemHRNet', stem_channels=16, frozen_stages=1)
    for module in (net.conv1, net.bn1, net.conv2, net.bn2, net.layer1):
        assert not any(p.requires_grad for p in module.parameters())


@pytest.mark.parametrize('bad', [0, -8, 16.0, '32'])
def test_bad_stem_channels_is_one_line_error(bad):
    with pytest.raises(ValueError, match='NarrowStemHRNet: stem_channels'):
        build('NarrowStemHRNet', stem_channels=bad)
