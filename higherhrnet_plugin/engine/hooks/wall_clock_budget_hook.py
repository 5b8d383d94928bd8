"""Train for a fixed wall-clock time with a schedule in fractions of it.

Comparing heads "for the same time" on a CPU needs the time, not the
iterations, fixed: heads differ several-fold in step time. An epoch-based
schedule cannot know when the time runs out, so this hook sets the learning
rate from the elapsed fraction of the budget and stops training when the
budget is spent.
"""
import math
import time
from typing import Optional, Sequence, Tuple

from mmengine.hooks import Hook
from mmpose.registry import HOOKS


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

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        frac = (time.perf_counter() - self.t0) / self.budget_s
        f = lr_factor(frac, **self.schedule)
        for g, lr in zip(runner.optim_wrapper.param_groups, self.base):
            g['lr'] = lr * f

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if time.perf_counter() - self.t0 >= self.budget_s:
            runner.train_loop.stop_training = True
            self.iters = runner.iter + 1
