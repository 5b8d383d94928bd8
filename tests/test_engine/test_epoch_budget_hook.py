"""EpochWallClockBudgetHook trains as many epochs as fit the time, more or
fewer than planned, with an lr that ends in the last one (a simulated clock
and loop), TrainTimeHook says where the time went, and the training fast
path hook keeps validation eager and float32."""
import math
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
    logged = []
    runner = SimpleNamespace(
        optim_wrapper=SimpleNamespace(param_groups=[dict(lr=1.0)]),
        train_loop=loop, epoch=0, iter=0,
        max_iters=max_epochs * iters_per_epoch,
        val_loop=object() if val_interval < 10**6 else None,
        logger=SimpleNamespace(info=logged.append), logged=logged)
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


def _hook(*args, **kwargs):
    from higherhrnet_plugin.engine.hooks.wall_clock_budget_hook import \
        EpochWallClockBudgetHook
    return EpochWallClockBudgetHook(*args, **kwargs)


def test_more_time_than_planned_trains_more_epochs_than_the_config(
        monkeypatch):
    # a 30-epoch plan, epochs of 1 s (4 x 0.25 s), 60 s less 5 kept: 55
    clock, runner = _fake(monkeypatch, 30, 4)
    hook = _hook(60.0, dict(cosine=0.01), reserve_s=5.0)
    epochs, lrs = _run(hook, clock, runner, 4, 0.25)
    assert epochs == 55 and runner.train_loop.max_epochs == 55
    assert hook.planned_epochs == 55 and hook.stopped_at is None
    assert clock[0] - 1000.0 + 5.0 <= 60.0 + 1e-6
    assert runner.logged == [runner.logged[0]]  # re-planned once
    assert runner.logged[0].startswith('time budget: 55 epoch(s) fit, not 30')
    # from the new plan's position on, the cosine decays to eta_min in the
    # last epoch trained
    assert lrs[4:] == sorted(lrs[4:], reverse=True)
    assert lrs[-1] == pytest.approx(0.01)


def test_a_first_plan_too_short_anneals_again_over_the_new_one(
        monkeypatch):
    # a 1-epoch plan whose cosine has ended; 40 s hold 4 epochs of 10 s
    clock, runner = _fake(monkeypatch, 1, 5)
    hook = _hook(40.0, dict(cosine=0.0), reserve_vals=0)
    epochs, lrs = _run(hook, clock, runner, 5, 2.0)
    assert epochs == 4 and lrs[4] == pytest.approx(0.0)
    # the 2nd epoch starts a quarter into the new plan
    assert lrs[5] == pytest.approx(0.5 * (1 + math.cos(math.pi * 6 / 20)))
    assert lrs[5:] == sorted(lrs[5:], reverse=True)
    assert lrs[-1] == pytest.approx(0.0)


def test_less_time_trains_fewer_epochs_and_says_so(monkeypatch):
    # a 30-epoch plan, epochs of 10 s: 100 s hold 10
    clock, runner = _fake(monkeypatch, 30, 5)
    hook = _hook(100.0, dict(warm_end=0.05, warm_start=0.1, cosine=0.0),
                 reserve_vals=0)
    epochs, lrs = _run(hook, clock, runner, 5, 2.0)
    assert epochs == 10 and hook.stopped_at == 10
    assert clock[0] - 1000.0 <= 100.0
    assert runner.logged == [
        'time budget: 10 epoch(s) fit, not 30: after epoch 1, 90 s are left '
        'for epochs of 10.0 s and validations of 0.0 s']
    # warm-up, then a cosine that ends in the last epoch
    top = lrs.index(max(lrs))
    assert 0 < top < 10 and lrs[top:] == sorted(lrs[top:], reverse=True)
    assert lrs[-1] == pytest.approx(0.0)


def test_slower_steps_mid_run_end_training_early(monkeypatch):
    # 10 s epochs planned in 100 s; from the 4th on they take 20 s
    clock, runner = _fake(monkeypatch, 10, 5)
    hook = _hook(100.0, dict(cosine=0.0), reserve_vals=0)
    hook.before_train(runner)
    loop = runner.train_loop
    lrs = []
    while runner.epoch < loop._max_epochs:
        hook.before_train_epoch(runner)
        for i in range(5):
            hook.before_train_iter(runner, i)
            lrs.append(runner.optim_wrapper.param_groups[0]['lr'])
            clock[0] += 2.0 if runner.epoch < 3 else 4.0
            hook.after_train_iter(runner, i)
            runner.iter += 1
        hook.after_train_epoch(runner)
        runner.epoch += 1
    hook.after_train(runner)
    assert runner.epoch < 10 and hook.stopped_at == runner.epoch
    assert clock[0] - 1000.0 <= 100.0
    assert lrs == sorted(lrs, reverse=True)


def test_budget_keeps_time_for_validation_test_and_compile(monkeypatch):
    # 10 s epochs, validations of 4 s every 2 epochs, a 30 s compile in the
    # first step, 5 s kept for pictures and one test (a validation) kept
    clock, runner = _fake(monkeypatch, 100, 5, val_interval=2)
    hook = _hook(100.0, reserve_s=5.0, reserve_vals=1)
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


def test_faster_steps_raise_the_epochs_with_their_validations(monkeypatch):
    # a calibration 5x too slow planned 2 epochs validated each; epochs take
    # 10 s, validations 2 s: 100 s hold 8 epochs, their validations and the
    # test
    clock, runner = _fake(monkeypatch, 2, 5, val_interval=1)
    hook = _hook(100.0, dict(cosine=0.0))
    epochs, lrs = _run(hook, clock, runner, 5, 2.0, val_s=2.0)
    assert epochs == 8 and runner.train_loop.max_epochs == 8
    assert clock[0] - 1000.0 + 2.0 <= 100.0  # the test still fits
    assert len(hook.clock.val_s) == 8
    assert lrs[-1] == pytest.approx(0.0)


def test_epochs_jittering_by_tenths_do_not_swing_the_plan(monkeypatch):
    # epochs of 10 s +- 0.4 s: the median moves by tenths of a second, and
    # re-planning on each move swung the plan 29 <-> 30 (16 log lines in
    # 300 s, 11 in 309.5 s). The plan now falls when it no longer fits and
    # rises only with half an epoch to spare
    for budget, plans in ((300.0, 2), (309.5, 1)):
        clock, runner = _fake(monkeypatch, 10, 5)
        hook = _hook(budget, dict(cosine=0.0), reserve_vals=0)
        hook.before_train(runner)
        loop = runner.train_loop
        while runner.epoch < loop._max_epochs:
            hook.before_train_epoch(runner)
            epoch_s = 10 + 0.4 * math.sin(1.7 * runner.epoch)
            for i in range(5):
                hook.before_train_iter(runner, i)
                clock[0] += epoch_s / 5
                hook.after_train_iter(runner, i)
                runner.iter += 1
            hook.after_train_epoch(runner)
            runner.epoch += 1
        hook.after_train(runner)
        used = clock[0] - 1000.0
        assert len(runner.logged) == plans, runner.logged
        assert used <= budget and budget - used < 1.5 * 10.4


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


def test_bf16_fast_path_autocasts_training_only():
    import torch
    import torch.nn as nn

    from higherhrnet_plugin.engine.hooks.train_fast_path_hook import \
        TrainFastPathHook

    class Estimator(nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone, self.head = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 2, 1)

        def forward(self, x):
            return self.head(self.backbone(x))

    model = Estimator()
    runner = SimpleNamespace(model=model,
                             logger=SimpleNamespace(info=lambda m: None))
    hook = TrainFastPathHook('channels_last+bf16')
    hook.before_train(runner)
    x = torch.rand(2, 3, 8, 8)
    out = model(x)
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()  # float32 parameters, float32 gradients
    assert model.backbone.weight.dtype == torch.float32
    assert model.backbone.weight.grad.dtype == torch.float32
    hook.before_val(runner)
    assert model(x).dtype == torch.float32
    hook.after_val(runner)
    assert model(x).dtype == torch.bfloat16
    hook.after_train(runner)
    assert model(x).dtype == torch.float32
