"""Stop training at a NaN or inf loss, naming the last good checkpoint.

MMEngine has no such hook; MMDetection's ``CheckInvalidLossHook`` asserts
every 50 iterations with no message, by when checkpoints of NaN weights may
have been saved. This hook raises :class:`NonFiniteLossError` (one line with
the first non-finite iteration and the last good checkpoint) on every rank
at once when a loss was not finite on any rank, and never lets a checkpoint
be saved after a non-finite loss.

Reading a loss on the host waits for the device to finish the step, so the
hook does not read the losses every iteration: each iteration it folds,
on the device, whether each loss is finite and the first iteration where it
was not into small tensors, and it reads them (one all-reduce of a few
numbers, over the ranks) only at a *check*: every ``interval`` iterations,
at the end of every epoch, before every checkpoint save of a
``CheckpointHook`` and at the end of training. The trade-off: a non-finite
loss is found up to ``interval - 1`` iterations late (wasted steps, and
non-finite values in the log meanwhile), never after a save; a smaller
``interval`` finds it sooner at the cost of a host sync per check. (MMEngine's
``RuntimeInfoHook`` still reads every logged loss each iteration, for the
log.)

A checkpoint is *good* once an iteration after it had a finite loss: when
the first non-finite loss comes right after a save, that checkpoint holds
the weights that produced it, and ``last_checkpoint`` is pointed back at the
last good one (the other file is kept), so ``--resume`` starts from it.
"""
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmpose.registry import HOOKS

from ..atomic_files import write_atomic


class NonFiniteLossError(RuntimeError):
    """A loss was NaN or inf; the message is one line."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` at a check after a NaN/inf loss.

    Args:
        interval (int): iterations between checks (there is one at the end
            of every epoch and before every checkpoint save as well).
            Defaults to 50.
    """
    # before CheckpointHook (VERY_LOW) and LoggerHook (BELOW_NORMAL): no
    # checkpoint is saved after a non-finite loss
    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 50):
        if interval < 1:
            raise ValueError(
                f'NonFiniteLossHook: interval must be >= 1, got {interval}')
        self.interval = interval
        self._good: Optional[str] = None
        self._latest: Optional[str] = None
        # the first iteration run from ``_latest`` (1-based)
        self._latest_from = 0
        # per loss, on its device: the first non-finite iteration (0: none)
        # and the value then
        self._first: Dict[str, torch.Tensor] = {}
        self._value: Dict[str, torch.Tensor] = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # after a resume, first the checkpoint it started from
        latest = runner.message_hub.get_info('last_ckpt')
        if latest != self._latest:
            self._latest, self._latest_from = latest, runner.iter + 1

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        it = runner.iter + 1
        for key, value in (outputs or {}).items():
            if 'loss' not in key:
                continue
            value = torch.as_tensor(value).detach()
            first = self._first.get(key)
            if first is None:
                first = torch.zeros((), dtype=torch.int64,
                                    device=value.device)
                self._value[key] = value.new_zeros(())
            new = (first == 0) & ~torch.isfinite(value).all()
            self._first[key] = torch.where(new, it, first)
            self._value[key] = torch.where(new, value.mean(),
                                           self._value[key])
        if it % self.interval == 0 or self._save_due(runner):
            self._check(runner)

    def after_train_epoch(self, runner) -> None:
        self._check(runner)

    def after_train(self, runner) -> None:
        self._check(runner)

    @staticmethod
    def _save_due(runner) -> bool:
        """Whether a ``CheckpointHook`` saves after this iteration."""
        for hook in getattr(runner, 'hooks', []):
            if isinstance(hook, CheckpointHook) and not hook.by_epoch and (
                    hook.every_n_train_iters(runner, hook.interval) or
                (hook.save_last and hook.is_last_train_iter(runner))):
                return True
        return False

    def _check(self, runner) -> None:
        """Raise if a loss was not finite on any rank since training
        started (all ranks call it at the same point)."""
        keys = sorted(self._first)
        if not keys:  # no iteration yet
            return
        # the earliest non-finite iteration of each loss over the ranks
        # (inf: none); the host reads the device here, and only here
        first = torch.tensor(
            [float(self._first[k]) or float('inf') for k in keys],
            dtype=torch.float64)
        all_reduce(first, op='min')  # a no-op without a process group
        bad = {k: int(f) for k, f in zip(keys, first.tolist())
               if f != float('inf')}
        if not bad:
            self._good = self._latest
            return
        at = min(bad.values())
        where = ', '.join(
            # the value where this rank saw it, else only the name
            f'{k}={float(self._value[k])}' if int(self._first[k]) == at
            else f'{k} (on another rank)'
            for k in keys if bad.get(k) == at)
        stop = f'{where} at iteration {at}; training stopped'
        # the newest checkpoint is good if an iteration after it was finite
        good = self._latest if at > self._latest_from else self._good
        if good is None:
            raise NonFiniteLossError(
                f'{stop}; no checkpoint with a finite loss after it was '
                'saved in this run')
        note = ''
        if self._latest != good:
            if is_main_process():
                write_atomic(osp.join(runner.work_dir, 'last_checkpoint'),
                             good.encode())
            note = (f' ({self._latest}, saved just before, gave this loss; '
                    'last_checkpoint names the good one again)')
        raise NonFiniteLossError(f'{stop}; last good checkpoint: {good}{note}')
