"""Train for a fixed wall-clock time with a schedule in fractions of it.

Comparing heads "for the same time" on a CPU needs the time, not the
iterations, fixed: heads differ several-fold in step time. An epoch-based
schedule cannot know when the time runs out, so this hook sets the learning
rate from the elapsed fraction of the budget and stops training when the
budget is spent.

Under DDP every rank sets the same lr and stops at the same iteration or
epoch: the elapsed time is the slowest rank's (:func:`.rank_max`), so no
rank's own clock can stop it while the others wait in an all-reduce (or
give it another lr, which DDP would not undo). That is one scalar
all-reduce at each decision: before every iteration (the lr) and after it
(:class:`WallClockBudgetHook`'s stop) or after each epoch
(:class:`EpochWallClockBudgetHook`'s); next to the gradients' all-reduce of
every step its cost is negligible, and MMEngine's ``RuntimeInfoHook`` reads
the losses to the host every iteration anyway.
"""
import math
import statistics
import time
from typing import Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

from .train_time_hook import TrainTimeHook, rank_max


def lr_factor(frac: float,
              warm_end: float = 0.0,
              warm_start: float = 1.0,
              steps: Sequence[Tuple[float, float]] = (),
              cosine: Optional[float] = None) -> float:
    """Learning-rate factor at ``frac`` (0..1) of the budget.

    Args:
        frac (float): elapsed fraction of the budget.
        warm_end (float): fraction where the linear warm-up ends (0: none).
        warm_start (float): factor at the start of the warm-up.
        steps (Sequence[tuple]): ``(fraction, gamma)`` milestones of a
            step decay.
        cosine (float, optional): cosine decay over the whole budget down to
            this factor (``eta_min`` over the base lr); None: no cosine.
    """
    f = 1.0
    if warm_end > 0 and frac < warm_end:
        f = warm_start + (1 - warm_start) * frac / warm_end
    for m, gamma in steps:
        if frac >= m:
            f *= gamma
    if cosine is not None:
        f *= cosine + (1 - cosine) * 0.5 * (1 + math.cos(
            math.pi * min(frac, 1.0)))
    return f


def budget_schedule(cfg: Config, num_train: int) -> dict:
    """The config's lr schedule as fractions of training: the keyword
    arguments of :func:`lr_factor` (the linear
    warm-up's ``warm_end`` fraction and ``warm_start`` factor, and the decay
    after it: ``steps``, [(milestone fraction, gamma)] of a MultiStepLR, or
    ``cosine``, eta_min over the base lr of a CosineAnnealingLR). Raises
    ValueError for another scheduler."""
    max_epochs = cfg.train_cfg.max_epochs
    iters = max_epochs * math.ceil(num_train /
                                   cfg.train_dataloader.batch_size)
    base_lr = cfg.optim_wrapper.optimizer.lr
    sched = dict(warm_end=0.0, warm_start=1.0, steps=[], cosine=None)
    for s in cfg.param_scheduler:
        if s['type'] == 'LinearLR':
            end = s.get('end', 0)
            sched['warm_end'] = end / iters if not s.get('by_epoch', True) \
                else end / max_epochs
            sched['warm_start'] = s.get('start_factor', 1 / 3)
        elif s['type'] == 'MultiStepLR':
            sched['steps'] = [(m / max_epochs, s.get('gamma', 0.1))
                              for m in s['milestones']]
        elif s['type'] == 'CosineAnnealingLR':
            sched['cosine'] = s.get('eta_min', 0.0) / base_lr
        else:
            raise ValueError(f'param_scheduler: {s["type"]} cannot follow a '
                             'wall-clock budget (LinearLR, MultiStepLR or '
                             'CosineAnnealingLR can)')
    return sched


@HOOKS.register_module()
class WallClockBudgetHook(Hook):
    """Set the lr from the elapsed fraction of ``budget_s`` seconds of
    training (:func:`lr_factor` of ``schedule``) and stop training when the
    budget is spent. Use it with an ``IterBasedTrainLoop`` of more iterations
    than can run and no ``param_scheduler``.

    Args:
        budget_s (float): seconds of training, from ``before_train``.
        schedule (dict, optional): keyword arguments of :func:`lr_factor`
            (all but ``frac``). Defaults to a constant lr.

    Attributes:
        iters (int): iterations run when the budget was spent.
    """
    # before any other hook touches the lr of an iteration
    priority = 'VERY_HIGH'

    def __init__(self, budget_s: float, schedule: Optional[dict] = None):
        self.budget_s = float(budget_s)
        self.schedule = dict(schedule or {})

    def before_train(self, runner) -> None:
        self.t0 = time.perf_counter()
        self.base = [g['lr'] for g in runner.optim_wrapper.param_groups]

    def elapsed(self) -> float:
        """Seconds since ``before_train``, the slowest rank's (call it on
        every rank at the same point)."""
        return rank_max(time.perf_counter() - self.t0)[0]

    def _set_lr(self, runner, frac: float) -> None:
        f = lr_factor(frac, **self.schedule)
        for g, lr in zip(runner.optim_wrapper.param_groups, self.base):
            g['lr'] = lr * f

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._set_lr(runner, self.elapsed() / self.budget_s)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.elapsed() >= self.budget_s:
            runner.train_loop.stop_training = True
            self.iters = runner.iter + 1


@HOOKS.register_module()
class EpochWallClockBudgetHook(WallClockBudgetHook):
    """:class:`WallClockBudgetHook` for an ``EpochBasedTrainLoop``: train
    whole epochs within ``budget_s`` seconds, validations included, and keep
    time for what follows training.

    The lr follows :func:`lr_factor` of the progress, the larger of the
    elapsed fraction of the training time and the fraction of the
    iterations that fit (the loop's, or fewer as predicted after each
    epoch), so it anneals fully whether time or epochs run out first.
    After each epoch the hook predicts the next one (the median epoch, its
    validation if due) and, if it would not end in time, makes this epoch the
    loop's last: the last-epoch validation and checkpoint then happen as
    usual, and training ends on time however slow the steps turn out. When
    more epochs fit than the loop plans (the steps run faster than
    calibrated), it raises the loop's epochs up to ``max_epochs``, with as
    many validations as planned, so the budget is not left unused.

    Args:
        budget_s (float): seconds from ``before_train`` to the end of what
            follows training.
        schedule (dict, optional): keyword arguments of :func:`lr_factor`.
        reserve_s (float): seconds kept after training (e.g. drawing).
        reserve_vals (int): validations' time kept after training (1: a
            test on the val set). Defaults to 1.
        max_epochs (int, optional): the most epochs the loop may be raised
            to. Defaults to None: never raised.

    Attributes:
        clock (TrainTimeHook): the epochs', iterations' and validations'
            seconds that the predictions use.
        stopped_at (int, optional): the epoch made the last by the budget.
        planned_iters (int, optional): the iterations that fit, as last
            predicted.
    """

    def __init__(self,
                 budget_s: float,
                 schedule: Optional[dict] = None,
                 reserve_s: float = 0.0,
                 reserve_vals: int = 1,
                 max_epochs: Optional[int] = None):
        super().__init__(budget_s, schedule)
        self.reserve_s = float(reserve_s)
        self.reserve_vals = int(reserve_vals)
        self.max_epochs = max_epochs
        self.clock = TrainTimeHook()
        self.stopped_at = self.planned_iters = None

    def _val_cost(self, runner) -> float:
        """The last validation's seconds (0 before one ran, or without)."""
        if runner.val_loop is None or not self.clock.val_s:
            return 0.0
        return self.clock.val_s[-1]

    def _train_end(self, runner) -> float:
        """Seconds after ``before_train`` by which the epochs must end."""
        return self.budget_s - self.reserve_s - (
            self.reserve_vals + 1) * self._val_cost(runner)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self.clock.before_train(runner)
        self.stopped_at = self.planned_iters = None

    def after_train(self, runner) -> None:
        self.clock.after_train(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        planned = self.planned_iters or runner.max_iters
        if self.max_epochs and not self.planned_iters:
            # the loop may yet be raised: its iterations are no end of the lr
            planned = planned * max(1, self.max_epochs //
                                    runner.train_loop.max_epochs)
        self._set_lr(runner, max(
            self.elapsed() / max(self._train_end(runner), 1e-6),
            runner.iter / max(1, planned)))
        self.clock.before_train_iter(runner, batch_idx, data_batch)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self.clock.after_train_iter(runner, batch_idx, data_batch, outputs)

    def before_train_epoch(self, runner) -> None:
        self.clock.before_train_epoch(runner)

    def after_train_epoch(self, runner) -> None:
        self.clock.after_train_epoch(runner)
        loop = runner.train_loop
        done = runner.epoch + 1
        if done >= loop.max_epochs:
            return
        # the first epoch paid the compile, if any, once
        epochs = [self.clock.epoch_s[0] - self.clock.compile_s
                  ] + self.clock.epoch_s[1:]
        val = self._val_cost(runner)
        val_now = val if (done >= loop.val_begin
                          and done % loop.val_interval == 0) else 0.0
        epoch = statistics.median(epochs)
        elapsed = self.elapsed()
        # the epochs that still fit, with their share of validations, plan
        # the lr's iteration fraction: it ends annealed in the last one
        fit = (self._train_end(runner) - elapsed - val_now) // (
            epoch + val / loop.val_interval)
        if self.max_epochs and loop.max_epochs < min(self.max_epochs,
                                                     done + fit):
            self._raise_epochs(runner, min(self.max_epochs, int(done + fit)))
        self.planned_iters = min(loop.max_epochs * runner.iter // done, round(
            (done + max(0, fit)) * runner.iter / done))
        # the next epoch, then its validation as the last one
        end = elapsed + val_now + epoch + val
        if end > self._train_end(runner) + val:
            loop._max_epochs = done
            self.stopped_at = done
            runner.logger.info(
                f'time budget: epoch {done} is the last; another would end '
                f'at {end:.0f} s of training, past the {self.budget_s:.0f} s '
                f'budget less {self.reserve_vals} test(s) of {val:.0f} s and '
                f'{self.reserve_s:.0f} s kept for after training')

    def _raise_epochs(self, runner, epochs: int) -> None:
        """Train ``epochs`` in all, validating as often as planned."""
        loop = runner.train_loop
        vals = max(1, loop.max_epochs // loop.val_interval)
        runner.logger.info(
            f'time budget: {epochs} epochs fit, not {loop.max_epochs}: '
            f'training on, validating every {max(1, epochs // vals)}')
        loop._max_epochs = epochs
        loop._max_iters = epochs * (runner.iter // (runner.epoch + 1))
        loop.val_interval = max(1, epochs // vals)

    def before_val(self, runner) -> None:
        self.clock.before_val(runner)

    def after_val(self, runner) -> None:
        self.clock.after_val(runner)
