"""Training speed options: channels-last memory format, ``torch.compile``
of the network and/or bfloat16 autocast, chosen by name (a "fast path")."""
from typing import Dict

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...models.utils.speed_options import apply_speed_options, set_forwards

# the bf16 paths change the numerics (mixed precision, as the GPU configs'
# fp16 AmpOptimWrapper), so they come last: a tie goes to float32
FAST_PATHS = ('eager', 'channels_last', 'compile', 'compile+channels_last',
              'bf16', 'channels_last+bf16')


def check_fast_path(fast_path: str) -> None:
    """Raise a one-line ``ValueError`` for a name not in
    :data:`FAST_PATHS`."""
    if fast_path not in FAST_PATHS:
        raise ValueError(f'unknown fast path {fast_path!r}; choose from '
                         f'{list(FAST_PATHS)}')


def _to_channels_last(module, args):
    """Forward pre-hook: the (N, C, H, W) input in channels-last format, so
    the first convolution does not convert it."""
    return (args[0].contiguous(memory_format=torch.channels_last),
            *args[1:])


def apply_fast_path(model: nn.Module,
                    fast_path: str) -> Dict[nn.Module, object]:
    """Apply ``fast_path`` to a pose estimator in place, for training.

    Args:
        model (nn.Module): a pose estimator with ``backbone`` and ``head``
            (and optionally ``neck``).
        fast_path (str): one of :data:`FAST_PATHS`:

            - ``eager``: nothing;
            - ``channels_last``: 4-D weights and the backbone's input
              (N, C, H, W) in channels-last memory format, so convolutions,
              batch norms and their gradients run channels-last;
            - ``compile``: ``torch.compile`` the ``forward`` of the backbone,
              neck and head (the losses, the backward pass through
              AOTAutograd's compiled graph, and Adam stay as they are);
            - ``compile+channels_last``: both;
            - ``bf16``: the estimator's ``forward`` (the network and the
              losses) under ``torch.autocast`` in bfloat16 on the
              parameters' device, the training counterpart of MMEngine's
              ``AmpOptimWrapper``, which refuses a CPU. The parameters,
              their gradients and Adam stay float32. Whether it is faster
              depends on the CPU's bf16 arithmetic: the demo measures it;
            - ``channels_last+bf16``: both.

    Returns:
        dict: ``{module: its compiled or autocast forward}`` (empty for
        ``eager`` and ``channels_last``), for :func:`set_forwards`.
    """
    check_fast_path(fast_path)
    forwards = apply_speed_options(
        model,
        channels_last='channels_last' in fast_path,
        compile='compile' in fast_path)
    if 'channels_last' in fast_path:
        model.backbone.register_forward_pre_hook(_to_channels_last)
    if 'bf16' in fast_path:
        device = next(model.parameters()).device.type
        forwards[model] = torch.autocast(device, dtype=torch.bfloat16)(
            type(model).forward.__get__(model))
        set_forwards({model: forwards[model]}, True)
    return forwards


@HOOKS.register_module()
class TrainFastPathHook(Hook):
    """Apply :func:`apply_fast_path` to the model for its training steps.

    ``before_train`` runs after the optimizer is built: converting the
    memory format keeps the parameter objects (``Module.to`` assigns
    ``param.data``), so the optimizer's references stay valid. Validation
    and the test run eager and in float32 (channels-last stays): their
    images vary in size, and each new shape or eval mode would compile
    again; the decoder's thresholds are float32's.

    Args:
        fast_path (str): one of :data:`FAST_PATHS`.
    """

    priority = 'VERY_HIGH'

    def __init__(self, fast_path: str):
        check_fast_path(fast_path)
        self.fast_path = fast_path
        self.forwards = {}

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        self.forwards = apply_fast_path(model, self.fast_path)
        runner.logger.info(f'training fast path: {self.fast_path}')

    def before_val(self, runner) -> None:
        set_forwards(self.forwards, False)

    def after_val(self, runner) -> None:
        set_forwards(self.forwards, True)

    def after_train(self, runner) -> None:
        set_forwards(self.forwards, False)
