"""Where the time of ``runner.train()`` goes: training epochs, the first
iteration (a compile, with ``torch.compile``) and the validations."""
import statistics
import time
from typing import List

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmpose.registry import HOOKS


def rank_max(*seconds: float) -> List[float]:
    """Each of ``seconds``, the largest over the ranks (the values as they
    are without a process group).

    Every rank then decides from the same times: the slowest rank's, which
    the others wait for anyway in the gradients' all-reduce. One small
    all-reduce; call it on every rank at the same point.
    """
    t = torch.tensor(seconds, dtype=torch.float64)
    all_reduce(t, op='max')
    return t.tolist()


@HOOKS.register_module()
class TrainTimeHook(Hook):
    """Record wall seconds of the training epochs, iterations and
    validations of ``runner.train()``.

    Each figure is the slowest rank's (:func:`rank_max`, once an epoch and
    once a validation, not every iteration), so that hooks deciding from
    them decide alike on every rank.

    Attributes:
        epoch_s (list[float]): seconds of each training epoch (its
            iterations and data loading, not its validation).
        val_s (list[float]): seconds of each validation during training.
        first_iter_s (float): seconds of the first iteration (as of the
            last epoch's end).
        iter_s (float): median seconds of the iterations after the first
            (their steps, not the loading between them; as of the last
            epoch's end).
        train_s (float): seconds from ``before_train`` to ``after_train``.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self.epoch_s, self.val_s, self._iter_s = [], [], []
        self.first_iter_s = self.iter_s = self.train_s = 0.0

    @property
    def compile_s(self) -> float:
        """What the first iteration cost beyond a usual one."""
        return max(0.0, self.first_iter_s - self.iter_s)

    def summary(self) -> dict:
        """Seconds of ``compile`` (the first iteration's excess),
        ``training`` (the rest of the epochs) and ``validation``."""
        val = sum(self.val_s)
        return dict(compile=round(self.compile_s, 1),
                    training=round(self.train_s - val - self.compile_s, 1),
                    validation=round(val, 1))

    def before_train(self, runner) -> None:
        self.__init__()
        self._t_train = time.perf_counter()

    def _share(self, seconds: float) -> float:
        """``seconds`` and the iteration figures, each the slowest rank's;
        returns the first."""
        first = self._iter_s[0] if self._iter_s else 0.0
        rest = statistics.median(self._iter_s[1:]) \
            if len(self._iter_s) > 1 else 0.0
        seconds, self.first_iter_s, self.iter_s = rank_max(
            seconds, first, rest)
        return seconds

    def after_train(self, runner) -> None:
        self.train_s = self._share(time.perf_counter() - self._t_train)

    def before_train_epoch(self, runner) -> None:
        self._t_epoch = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        self.epoch_s.append(
            self._share(time.perf_counter() - self._t_epoch))

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._t_iter = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._iter_s.append(time.perf_counter() - self._t_iter)

    def before_val(self, runner) -> None:
        self._t_val = time.perf_counter()

    def after_val(self, runner) -> None:
        self.val_s.append(rank_max(time.perf_counter() - self._t_val)[0])
