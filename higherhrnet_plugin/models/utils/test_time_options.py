"""Speed options for a pose estimator at test time (after its weights are
loaded): conv + BN fusion, channels-last memory format, ``torch.compile``."""
from typing import Sequence

import torch.nn as nn
from mmcv.cnn import fuse_conv_bn as _fuse_conv_bn

from .speed_options import apply_speed_options

TEST_TIME_OPTIONS = ('fuse_conv_bn', 'channels_last', 'compile')


def check_test_time_options(options: Sequence[str]) -> None:
    """Raise a one-line ``ValueError`` naming any unknown option."""
    unknown = sorted(set(options) - set(TEST_TIME_OPTIONS))
    if unknown:
        raise ValueError(f'unknown test-time option(s) {unknown}; choose '
                         f'from {list(TEST_TIME_OPTIONS)}')


def apply_test_time_options(model: nn.Module,
                            options: Sequence[str]) -> nn.Module:
    """Apply test-time ``options`` to ``model`` in place.

    Args:
        model (nn.Module): a pose estimator in eval mode with ``backbone``
            and ``head`` (and optionally ``neck``), weights loaded.
        options (Sequence[str]): any of :data:`TEST_TIME_OPTIONS`:

            - ``fuse_conv_bn``: fold each eval-mode BatchNorm into the
              ``Conv2d`` before it (MMCV's ``fuse_conv_bn``); ConvTranspose2d
              + BN pairs stay unfused;
            - ``channels_last``: 4-D weights in channels-last memory
              format (convolutions then run, and output, channels-last);
            - ``compile``: ``torch.compile`` the ``forward`` of the backbone,
              neck and head, so every caller (``extract_feat``, the head's
              ``predict``, the TTA model) runs the compiled graphs; the
              aggregation and grouping stay eager.

    Returns:
        nn.Module: ``model``.
    """
    check_test_time_options(options)
    if 'fuse_conv_bn' in options:
        if model.training:
            raise ValueError('fuse_conv_bn: the model must be in eval mode '
                             '(fusion uses the BatchNorm running statistics)')
        _fuse_conv_bn(model)
    apply_speed_options(
        model,
        channels_last='channels_last' in options,
        compile='compile' in options)
    return model
