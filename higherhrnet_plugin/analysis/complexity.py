"""Parameters and FLOPs of a pose model's network (MMEngine's analysis).

FLOPs are MMEngine's count, which, like fvcore's, counts one multiply-add as
one operation: comparable to the "multiply-adds" of the HigherHRNet paper.
"""
import copy

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope


def model_complexity(model: torch.nn.Module, height: int,
                     width: int) -> dict:
    """``params`` and ``flops`` of ``model``'s tensor forward
    (``model._forward``: backbone, neck, head; no pre- or post-processing)
    on a (1, 3, height, width) input."""
    fwd = model.forward
    model.forward = model._forward
    try:
        with torch.no_grad():
            info = get_model_complexity_info(
                model, input_shape=(3, height, width), show_table=False,
                show_arch=False)
    finally:
        model.forward = fwd
    return dict(params=info['params'], flops=info['flops'])


def config_complexity(cfg: Config, height: int, width: int) -> dict:
    """:func:`model_complexity` of ``cfg.model``, built with no backbone
    weights to download."""
    from mmpose.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.backbone.init_cfg = None
    return model_complexity(MODELS.build(model_cfg).eval(), height, width)
