"""Train for a fixed wall-clock time with a schedule in fractions of it.

Comparing heads "for the same time" on a CPU needs the time, not the
iterations, fixed: heads differ several-fold in step time. An epoch-based
schedule cannot know when the time runs out, so this hook sets the learning
rate from the elapsed fraction of the budget and stops training when the
budget is spent.

Under DDP every rank sets the same lr and stops at the same iteration or
epoch: the times decided on are the slowest rank's (:func:`.rank_max`), so
no rank's own clock can stop it while the others wait in an all-reduce (or
give it another lr, which DDP would not undo). :class:`WallClockBudgetHook`
all-reduces one scalar before and after every iteration;
:class:`EpochWallClockBudgetHook` a few once an epoch (its lr follows the
iteration count, the same on every rank). Next to the gradients' all-reduce
of every step their cost is negligible, and MMEngine's ``RuntimeInfoHook``
reads the losses to the host every iteration anyway.
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
    as many whole epochs as fit ``budget_s`` seconds, validations included,
    keep time for what follows training, and anneal the lr over the epochs
    actually trained.

    The loop's ``max_epochs`` is the first plan (e.g. from a calibrated
    step time); it is no cap. After each epoch the hook re-plans from the
    measured times, the slowest rank's (:class:`TrainTimeHook`): the median
    epoch (the first without its compile), the last validation, and what
    must follow training (the last epoch's validation, ``reserve_vals``
    more, ``reserve_s``). The epochs that still fit become the loop's
    ``max_epochs``: fewer as soon as the plan no longer fits, more when
    another epoch fits with half an epoch to spare. The validation interval
    stays the loop's, and the last epoch is validated and checkpointed as
    usual.

    The lr is :func:`lr_factor` of the progress through the planned
    iterations; it reaches the schedule's end (e.g. the cosine's
    ``eta_min``) in the last iteration planned. A plan of fewer epochs keeps
    the progress reached and spreads the rest over the iterations now
    planned (the lr does not jump); a plan of more goes back to its
    position in the new plan (the lr rises back to it, as when the first
    plan was too short and has annealed).

    Args:
        budget_s (float): seconds from ``before_train`` to the end of what
            follows training.
        schedule (dict, optional): keyword arguments of :func:`lr_factor`.
        reserve_s (float): seconds kept after training (e.g. drawing).
        reserve_vals (int): validations' time kept after training (1: a
            test on the val set). Defaults to 1.

    Attributes:
        clock (TrainTimeHook): the epochs', iterations' and validations'
            seconds that the plans use.
        planned_epochs (int): the epochs planned, as last re-planned.
        stopped_at (int, optional): the last epoch, when the budget made it
            earlier than the first plan (set after training).
    """

    def __init__(self,
                 budget_s: float,
                 schedule: Optional[dict] = None,
                 reserve_s: float = 0.0,
                 reserve_vals: int = 1):
        super().__init__(budget_s, schedule)
        self.reserve_s = float(reserve_s)
        self.reserve_vals = int(reserve_vals)
        self.clock = TrainTimeHook()
        self.stopped_at = None

    def before_train(self, runner) -> None:
        super().before_train(runner)
        self.clock.before_train(runner)
        loop = runner.train_loop
        self.first_plan = self.planned_epochs = loop.max_epochs
        self.iters_per_epoch = max(1, runner.max_iters // loop.max_epochs)
        # (first iteration, progress before it) of the current plan
        self._anchor = (0, 0.0)
        self.stopped_at = None

    def progress(self, it: int) -> float:
        """Fraction of the planned training done by the end of iteration
        ``it`` (0-based): its lr's, so the last planned one gets the
        schedule's end."""
        i0, p0 = self._anchor
        total = self.planned_epochs * self.iters_per_epoch
        return min(1.0, p0 + (1 - p0) * (it + 1 - i0) / max(1, total - i0))

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self._set_lr(runner, self.progress(runner.iter))
        self.clock.before_train_iter(runner, batch_idx, data_batch)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self.clock.after_train_iter(runner, batch_idx, data_batch, outputs)

    def before_train_epoch(self, runner) -> None:
        self.clock.before_train_epoch(runner)

    def after_train_epoch(self, runner) -> None:
        self.clock.after_train_epoch(runner)
        done = runner.epoch + 1
        fit, epoch, val, left, per_epoch = self._epochs_that_fit(runner, done)
        slack = left - (self.planned_epochs - done) * per_epoch
        # lower the plan as soon as it no longer fits; raise it only with
        # half an epoch to spare, so that a median epoch moving by tenths of
        # a second does not swing the plan by one epoch back and forth
        if 0 <= slack < 1.5 * per_epoch:
            return
        runner.logger.info(
            f'time budget: {done + fit} epoch(s) fit, not '
            f'{self.planned_epochs}: after epoch {done}, {left:.0f} s are '
            f'left for epochs of {epoch:.1f} s and validations of '
            f'{val:.1f} s')
        # fewer epochs: the rest of the schedule from the progress reached;
        # more: from the position in the new plan (the lr rises back to it;
        # a first plan too short has already annealed)
        self._anchor = (runner.iter, min(
            self.progress(runner.iter - 1),
            runner.iter / ((done + fit) * self.iters_per_epoch)))
        self.planned_epochs = done + fit
        runner.train_loop._max_epochs = self.planned_epochs
        runner.train_loop._max_iters = self.planned_epochs * \
            self.iters_per_epoch

    def _epochs_that_fit(self, runner, done: int
                         ) -> Tuple[int, float, float, float, float]:
        """``(fit, epoch, val, left, per_epoch)``: the epochs after ``done``
        that end, with their validations, in time for the last validation
        and what follows training; the median epoch's and the last
        validation's seconds; the seconds left for those epochs; the
        seconds each costs, its share of a validation included."""
        loop = runner.train_loop
        # the first epoch paid the compile, if any, once
        epoch = statistics.median(
            [self.clock.epoch_s[0] - self.clock.compile_s] +
            self.clock.epoch_s[1:])
        val = self.clock.val_s[-1] if (runner.val_loop is not None
                                       and self.clock.val_s) else 0.0
        val_now = val if (done >= loop.val_begin
                          and done % loop.val_interval == 0) else 0.0
        left = (self.budget_s - self.reserve_s -
                (self.reserve_vals + 1) * val - val_now - self.elapsed())
        per_epoch = epoch + val / loop.val_interval
        fit = max(0, int(left // per_epoch))
        return fit, epoch, val, left, per_epoch

    def after_train(self, runner) -> None:
        self.clock.after_train(runner)
        self.stopped_at = runner.epoch \
            if runner.epoch < self.first_plan else None

    def before_val(self, runner) -> None:
        self.clock.before_val(runner)

    def after_val(self, runner) -> None:
        self.clock.after_val(runner)
