"""Where the time of ``runner.train()`` goes: training epochs, the first
iteration (a compile, with ``torch.compile``) and the validations."""
import statistics
import time

from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class TrainTimeHook(Hook):
    """Record wall seconds of the training epochs, iterations and
    validations of ``runner.train()``.

    Attributes:
        epoch_s (list[float]): seconds of each training epoch (its
            iterations and data loading, not its validation).
        val_s (list[float]): seconds of each validation during training.
        first_iter_s (float): seconds of the first iteration.
        iter_s (float): median seconds of the iterations after the first
            (their steps, not the loading between them).
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

    def after_train(self, runner) -> None:
        self.train_s = time.perf_counter() - self._t_train

    def before_train_epoch(self, runner) -> None:
        self._t_epoch = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        self.epoch_s.append(time.perf_counter() - self._t_epoch)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._t_iter = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._iter_s.append(time.perf_counter() - self._t_iter)
        self.first_iter_s = self._iter_s[0]
        if len(self._iter_s) > 1:
            self.iter_s = statistics.median(self._iter_s[1:])

    def before_val(self, runner) -> None:
        self._t_val = time.perf_counter()

    def after_val(self, runner) -> None:
        self.val_s.append(time.perf_counter() - self._t_val)
