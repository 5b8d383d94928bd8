"""Config edits behind ``tools/test.py --batch-size`` and its test-time
speed options."""
from typing import Sequence

from mmengine.config import Config

from ..models.utils.test_time_options import check_test_time_options


def set_test_batch_size(cfg: Config, batch_size: int) -> Config:
    """Test in batches of up to ``batch_size`` images of one input shape.

    Sets ``test_dataloader.batch_size`` and, when the config has no
    ``batch_sampler``, an :class:`InputShapeBatchSampler`, so no image is
    padded and the results are those of batch size 1.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f'--batch-size: must be a positive integer, got '
                         f'{batch_size!r}')
    loader = cfg.test_dataloader
    loader.batch_size = batch_size
    if loader.get('batch_sampler') is None:
        loader.batch_sampler = dict(type='InputShapeBatchSampler')
    return cfg


def add_test_time_options(cfg: Config, options: Sequence[str]) -> Config:
    """Add a :class:`TestTimeOptionsHook` with ``options`` (none: no-op)."""
    if not options:
        return cfg
    check_test_time_options(options)
    hooks = list(cfg.get('custom_hooks', None) or [])
    hooks.append(dict(type='TestTimeOptionsHook', options=list(options)))
    cfg.custom_hooks = hooks
    return cfg
