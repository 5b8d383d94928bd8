"""Check our model against a reference model file of the original code.

A reference ``.pth`` (see ``../shared/reference/README.md``) holds ``arch``
(the original's architecture settings), ``state_dict`` (original key names),
``input`` and ``outputs`` (the original model's outputs in eval mode). We build
the same architecture from MMPose's ``HRNet`` and our ``HigherHRNetHead``,
load the weights through the checkpoint converter and compare outputs.
"""
from typing import Tuple

import torch
from mmengine.registry import init_default_scope

from ..checkpoint_conversion import check_against_model, convert_state_dict


def model_cfg_from_arch(arch: dict) -> dict:
    """An MMPose ``BottomupPoseEstimator`` config of the original ``arch``."""
    extra = dict(stage1=dict(num_modules=1, num_branches=1,
                             block=arch['stage1']['block'],
                             num_blocks=tuple(arch['stage1']['num_blocks']),
                             num_channels=tuple(
                                 arch['stage1']['num_channels'])))
    for i, (channels, blocks, modules) in enumerate(
            zip(arch['stage_channels'], arch['stage_blocks'],
                arch['stage_modules'])):
        extra[f'stage{i + 2}'] = dict(
            num_modules=modules, num_branches=len(channels), block='BASIC',
            num_blocks=tuple(blocks), num_channels=tuple(channels))
    deconv = arch['deconv_channels']
    head = dict(
        type='HigherHRNetHead',
        in_channels=arch['stage_channels'][-1][0],
        num_keypoints=arch['num_joints'],
        tag_per_keypoint=arch['tag_per_joint'],
        num_deconv_layers=len(deconv),
        deconv_channels=tuple(deconv),
        deconv_kernel_size=arch['deconv_kernel'][0],
        num_basic_blocks=arch['num_basic_blocks'],
        cat_output=tuple(arch['cat_output']),
        with_ae_loss=tuple(arch['with_ae']))
    return dict(type='BottomupPoseEstimator',
                backbone=dict(type='HRNet', in_channels=3, extra=extra),
                head=head)


def check_model_reference(path: str, atol: float = 1e-5) -> Tuple[bool, str]:
    """Build, load and run the plugin model of a reference ``.pth``."""
    import higherhrnet_plugin  # noqa: F401  (registers the head)
    from mmpose.registry import MODELS
    from ..engine.checkpoint_loader import load_checkpoint_file
    ref = load_checkpoint_file(path, map_location='cpu')
    init_default_scope('mmpose')
    model = MODELS.build(model_cfg_from_arch(ref['arch'])).eval()
    state = convert_state_dict(ref['state_dict'], 'original')
    check_against_model(state, model.state_dict())
    model.load_state_dict(state)
    with torch.no_grad():
        outputs = model.head.forward(model.backbone(ref['input']))
    if len(outputs) != len(ref['outputs']):
        return False, (f'{len(outputs)} output levels, reference has '
                       f'{len(ref["outputs"])}')
    errors = []
    for level, (ours, theirs) in enumerate(zip(outputs, ref['outputs'])):
        if ours.shape != theirs.shape:
            return False, (f'level {level}: shape {tuple(ours.shape)} vs '
                           f'{tuple(theirs.shape)}')
        errors.append((ours - theirs).abs().max().item())
    worst = max(errors)
    detail = ', '.join(f'level {i} max |diff| {e:.2e}'
                       for i, e in enumerate(errors))
    return worst <= atol, detail
