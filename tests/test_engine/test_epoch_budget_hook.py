"""EpochWallClockBudgetHook ends training on time (a simulated clock and
loop), TrainTimeHook says where the time went, and the training fast path
hook keeps validation eager."""
from types import SimpleNamespace

import pytest


class _Loop:
    """The parts of EpochBasedTrainLoop the hook reads."""

    def __init__(self, max_epochs, val_interval):
        self._max_epochs, self.val_begin = max_epochs, 1
        self.val_interval = val_interval

    @property
    def max_epochs(self):
        return self._max_epochs


def _fake(monkeypatch, max_epochs, iters_per_epoch, val_interval=10**6):
    from higherhrnet_plugin.engine.hooks import wall_clock_budget_hook
    clock = [1000.0]
    monkeypatch.setattr(wall_clock_budget_hook.time, 'perf_counter',
                        lambda: clock[0])
    loop = _Loop(max_epochs, val_interval)
    runner = SimpleNamespace(
        optim_wrapper=SimpleNamespace(param_groups=[dict(lr=1.0)]),
        train_loop=loop, epoch=0, iter=0,
        max_iters=max_epochs * iters_per_epoch,
        val_loop=object() if val_interval < 10**6 else None,
        logger=SimpleNamespace(info=lambda msg: None))
    return clock, runner


def _run(hook, clock, runner, iters_per_epoch, iter_s, val_s=0.0,
         first_extra=0.0):
    """Drive the hook as EpochBasedTrainLoop does; returns epochs run."""
    loop = runner.train_loop
    hook.before_train(runner)
    lrs = []
    while runner.epoch < loop._max_epochs:
        hook.before_train_epoch(runner)
        for i in range(iters_per_epoch):
            hook.before_train_iter(runner, i)
            lrs.append(runner.optim_wrapper.param_groups[0]['lr'])
            clock[0] += iter_s + (first_extra if runner.iter == 0 else 0)
            hook.after_train_iter(runner, i)
            runner.iter += 1
        hook.after_train_epoch(runner)
        runner.epoch += 1
        if runner.val_loop and (runner.epoch % loop.val_interval == 0
                                or runner.epoch == loop._max_epochs):
            hook.before_val(runner)
            clock[0] += val_s
            hook.after_val(runner)
    hook.after_train(runner)
    return runner.epoch, lrs


def test_budget_makes_the_last_epoch_the_one_that_fits(monkeypatch):
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        EpochWallClockBudgetHook
    # epochs of 10 s (5 x 2 s) and a 100-epoch plan: 35 s hold 3 epochs
    clock, runner = _fake(monkeypatch, 100, 5)
    hook = EpochWallClockBudgetHook(35.0, dict(cosine=0.0), reserve_vals=0)
    epochs, lrs = _run(hook, clock, runner, 5, 2.0)
    assert epochs == 3 and hook.stopped_at == 3
    assert clock[0] - 1000.0 <= 35.0
    # the lr follows elapsed time: it decays, and reaches the end of the
    # cosine by the last epoch
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < 0.05


def test_budget_keeps_time_for_validation_test_and_compile(monkeypatch):
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        EpochWallClockBudgetHook
    # 10 s epochs, validations of 4 s every 2 epochs, a 30 s compile in the
    # first step, 5 s kept for pictures and one test (a validation) kept
    clock, runner = _fake(monkeypatch, 100, 5, val_interval=2)
    hook = EpochWallClockBudgetHook(100.0, reserve_s=5.0, reserve_vals=1)
    epochs, _ = _run(hook, clock, runner, 5, 2.0, val_s=4.0,
                     first_extra=30.0)
    end = clock[0] - 1000.0
    assert end + 4.0 + 5.0 <= 100.0  # the test and the pictures still fit
    assert end + 10.0 + 4.0 + 4.0 + 5.0 > 100.0  # one more epoch would not
    assert hook.clock.summary() == dict(compile=30.0,
                                        training=pytest.approx(10.0 * epochs),
                                        validation=4.0 * len(
                                            hook.clock.val_s))
    # 4 epochs + 3 validations end at 78 s; a 5th would end the test at 96 s
    # and the pictures at 101 s
    assert epochs == 4


def test_epochs_run_out_first_the_lr_anneals_anyway(monkeypatch):
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        EpochWallClockBudgetHook
    clock, runner = _fake(monkeypatch, 2, 5)
    hook = EpochWallClockBudgetHook(1000.0, dict(cosine=0.0))
    epochs, lrs = _run(hook, clock, runner, 5, 2.0)
    assert epochs == 2 and hook.stopped_at is None
    assert lrs[-1] < 0.05  # by the fraction of iterations


@pytest.mark.parametrize('cap,expected', [(30, 9), (4, 4)])
def test_steps_faster_than_planned_raise_the_epochs(monkeypatch, cap,
                                                    expected):
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        EpochWallClockBudgetHook
    # a calibration 5x too slow planned 2 epochs validated each; epochs take
    # 10 s, validations 2 s: 100 s hold 9 epochs, 3 validations (every 4th
    # and the last) and the test
    clock, runner = _fake(monkeypatch, 2, 5, val_interval=1)
    hook = EpochWallClockBudgetHook(100.0, dict(cosine=0.0),
                                    max_epochs=cap)
    epochs, lrs = _run(hook, clock, runner, 5, 2.0, val_s=2.0)
    assert epochs == expected and runner.train_loop.max_epochs == expected
    assert clock[0] - 1000.0 + 2.0 <= 100.0  # the test still fits
    assert len(hook.clock.val_s) <= 3  # as many validations as planned
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < 0.1


def test_train_fast_path_hook_compiles_training_only():
    import torch.nn as nn

    from higherhrnet_plugin.engine.hooks.train_fast_path_hook import (
        TrainFastPathHook, check_fast_path)
    with pytest.raises(ValueError, match="unknown fast path 'fast'"):
        check_fast_path('fast')
    model = nn.Module()
    model.backbone, model.head = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 2, 1)
    runner = SimpleNamespace(model=model,
                             logger=SimpleNamespace(info=lambda m: None))
    hook = TrainFastPathHook('compile+channels_last')
    hook.before_train(runner)  # torch.compile compiles at the first call
    assert 'forward' in vars(model.backbone) and 'forward' in vars(model.head)
    assert model.backbone.weight.is_contiguous(
        memory_format=__import__('torch').channels_last)
    hook.before_val(runner)
    assert 'forward' not in vars(model.backbone)
    hook.after_val(runner)
    assert 'forward' in vars(model.backbone)
    hook.after_train(runner)
    assert 'forward' not in vars(model.head)
