"""Channels-last memory format and ``torch.compile`` of a pose estimator's
networks, the speed options that training (``TrainFastPathHook``) and the
test (:func:`apply_test_time_options`) share."""
from typing import Callable, Dict

import torch
import torch.nn as nn


def set_forwards(forwards: Dict[nn.Module, Callable],
                 installed: bool) -> None:
    """Switch the modules of ``forwards`` (as :func:`apply_speed_options`
    returns, or a training fast path's autocast forward) to that
    ``forward`` or back to the class's."""
    for module, fn in forwards.items():
        if installed:
            # an instance attribute shadows the class's forward for
            # __call__ and for direct `module.forward(...)` calls alike
            module.forward = fn
        else:
            module.__dict__.pop('forward', None)


def apply_speed_options(model: nn.Module, channels_last: bool,
                        compile: bool) -> Dict[nn.Module, Callable]:
    """Apply the speed options to a pose estimator in place.

    Args:
        model (nn.Module): a pose estimator with ``backbone`` and ``head``
            (and optionally ``neck``).
        channels_last (bool): 4-D weights in channels-last memory format
            (convolutions then run, and output, channels-last).
        compile (bool): ``torch.compile`` the ``forward`` of the backbone,
            neck and head, so every caller (``extract_feat``, the head's
            ``predict``, the TTA model) runs the compiled graphs.

    Returns:
        dict: ``{module: its compiled forward}`` (empty without compile),
        installed, for :func:`set_forwards`.
    """
    if channels_last:
        model.to(memory_format=torch.channels_last)
    forwards = {}
    if compile:
        for name in ('backbone', 'neck', 'head'):
            module = getattr(model, name, None)
            if module is not None:
                forwards[module] = torch.compile(module.forward)
        set_forwards(forwards, True)
    return forwards
