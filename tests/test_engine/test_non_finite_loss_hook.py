"""NonFiniteLossHook reads the losses only at its checks (every
``interval`` iterations, at epoch ends and before checkpoint saves), names
the first non-finite iteration and the last good checkpoint (the whole
training run is tests/test_tools/test_training_faults.py)."""
from types import SimpleNamespace

import pytest
import torch

from higherhrnet_plugin.engine.hooks import (NonFiniteLossError,
                                             NonFiniteLossHook)


class _Hub:

    def __init__(self):
        self.info = {}

    def get_info(self, key):
        return self.info.get(key)


def _runner(tmp_path):
    return SimpleNamespace(iter=0, message_hub=_Hub(), hooks=[],
                           work_dir=str(tmp_path))


def _step(hook, runner, loss):
    hook.before_train_iter(runner, runner.iter)
    hook.after_train_iter(runner, runner.iter, outputs=dict(
        loss=torch.tensor(loss), loss_pull=torch.tensor(0.5), acc=1.0))
    runner.iter += 1


def test_found_at_the_next_check_naming_the_first_bad_iteration(
        tmp_path, monkeypatch):
    hook, runner = NonFiniteLossHook(interval=4), _runner(tmp_path)
    runner.message_hub.info['last_ckpt'] = 'ckpt_a'
    reads = []
    real_check = hook._check
    monkeypatch.setattr(hook, '_check',
                        lambda r: (reads.append(r.iter + 1), real_check(r)))
    for _ in range(4):
        _step(hook, runner, 1.0)
    assert reads == [4]  # read once in 4 iterations
    _step(hook, runner, float('nan'))  # iteration 5
    _step(hook, runner, 2.0)
    _step(hook, runner, float('inf'))
    with pytest.raises(NonFiniteLossError) as info:
        _step(hook, runner, 1.0)  # iteration 8: the check
    msg = str(info.value)
    assert '\n' not in msg
    assert msg.startswith('loss=nan at iteration 5; training stopped')
    assert msg.endswith('last good checkpoint: ckpt_a')


def test_a_checkpoint_followed_by_the_bad_iteration_is_not_good(tmp_path):
    hook, runner = NonFiniteLossHook(interval=100), _runner(tmp_path)
    runner.message_hub.info['last_ckpt'] = 'epoch_1.pth'
    _step(hook, runner, 1.0)
    hook.after_train_epoch(runner)  # a check: epoch_1 is good
    runner.message_hub.info['last_ckpt'] = 'epoch_2.pth'
    _step(hook, runner, float('nan'))
    with pytest.raises(NonFiniteLossError) as info:
        hook.after_train_epoch(runner)
    msg = str(info.value)
    assert 'at iteration 2;' in msg
    assert 'last good checkpoint: epoch_1.pth (epoch_2.pth, saved just ' \
        'before, gave this loss' in msg
    assert (tmp_path / 'last_checkpoint').read_text() == 'epoch_1.pth'


def test_checked_before_an_iteration_checkpoint(tmp_path):
    from mmengine.hooks import CheckpointHook
    hook, runner = NonFiniteLossHook(interval=100), _runner(tmp_path)
    runner.hooks = [CheckpointHook(interval=3, by_epoch=False)]
    runner.train_loop = SimpleNamespace(max_iters=100)
    runner.max_iters = 100
    _step(hook, runner, float('nan'))
    _step(hook, runner, 1.0)
    with pytest.raises(NonFiniteLossError, match='no checkpoint with a '
                       'finite loss after it'):
        _step(hook, runner, 1.0)  # iteration 3 saves: checked first


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match='interval must be >= 1'):
        NonFiniteLossHook(interval=0)
