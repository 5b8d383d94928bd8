"""Stop training at the first NaN or inf loss, naming the last good
checkpoint.

MMEngine has no such hook; MMDetection's ``CheckInvalidLossHook`` asserts
every 50 iterations with no message, by when checkpoints of NaN weights may
have been saved. This hook checks every iteration, on every rank (a NaN on
one rank stops all), before the checkpoint and logger hooks run, and raises
:class:`NonFiniteLossError`: one line with the iteration and the last good
checkpoint.

A checkpoint is *good* once the iteration after it had a finite loss: when
the first non-finite loss comes right after a save, that checkpoint holds
the weights that produced it, and ``last_checkpoint`` is pointed back at the
last good one (the other file is kept), so ``--resume`` starts from it.
"""
import math
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from ..atomic_files import write_atomic


class NonFiniteLossError(RuntimeError):
    """A loss was NaN or inf; the message is one line."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` at the first NaN/inf loss."""
    # before CheckpointHook (VERY_LOW) and LoggerHook (BELOW_NORMAL): no
    # checkpoint is saved after a non-finite loss
    priority = 'VERY_HIGH'

    def __init__(self):
        self._good: Optional[str] = None
        self._latest: Optional[str] = None

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # after a resume, first the checkpoint it started from
        self._latest = runner.message_hub.get_info('last_ckpt')

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        losses = {k: float(v) for k, v in (outputs or {}).items()
                  if 'loss' in k}
        bad = {k: v for k, v in losses.items() if not math.isfinite(v)}
        flag = torch.tensor(float(bool(bad)))
        all_reduce(flag)  # a no-op without a process group
        if not flag.item():
            self._good = self._latest
            return
        where = (', '.join(f'{k}={v}' for k, v in bad.items())
                 or 'a loss on another rank is not finite')
        stop = f'{where} at iteration {runner.iter + 1}; training stopped'
        if self._good is None:
            raise NonFiniteLossError(
                f'{stop}; no checkpoint with a finite loss after it was '
                'saved in this run')
        note = ''
        if self._latest != self._good and is_main_process():
            write_atomic(osp.join(runner.work_dir, 'last_checkpoint'),
                         self._good.encode())
            note = (f' ({self._latest}, saved just before, gave this loss; '
                    'last_checkpoint names the good one again)')
        raise NonFiniteLossError(
            f'{stop}; last good checkpoint: {self._good}{note}')
