"""One rank of test_dist_hooks.py (run by ``torch.distributed.run``) with a
toy model, two trainings in a row:

* under ``EpochWallClockBudgetHook`` on a simulated clock that runs
  ``3 ** rank`` times as fast on each rank, so that each rank's own clock
  would end training at a different epoch. Writes the epochs trained, where
  the budget stopped them and the lrs of the last epoch to
  ``<work_dir>/rank<rank>.txt``;
* with ``NonFiniteLossHook`` and a NaN loss on rank 1 only from iteration 3.
  Writes the error's message to ``<work_dir>/rank<rank>_nan.txt``.

(A file per rank: the ranks' stdout lines may interleave.)
"""
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner

from higherhrnet_plugin.engine.hooks import (EpochWallClockBudgetHook,
                                             NonFiniteLossError,
                                             NonFiniteLossHook)


class Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 1)
        self.poisoned = False

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.lin(torch.stack(inputs))
        if mode != 'loss':
            return out
        return dict(loss=out.pow(2).mean() *
                    (float('nan') if self.poisoned else 1.0))


class SimulatedClock(Hook):
    """Each iteration takes ``3 ** rank`` simulated seconds."""
    priority = 'HIGHEST'

    def __init__(self, rank):
        self.now, self.step = 0.0, 3.0**rank
        time.perf_counter = lambda: self.now

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.now += self.step


class RecordLr(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.lrs = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.lrs.append(runner.optim_wrapper.param_groups[0]['lr'])


class Poison(Hook):
    """A NaN loss on rank 1 from iteration 3 (1-based)."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if dist.get_rank() == 1 and runner.iter == 2:
            runner.model.module.poisoned = True


def _runner(name, work_dir, max_epochs, hooks):
    return Runner(
        model=Toy(), work_dir=work_dir, experiment_name=name,
        launcher='pytorch',
        # CPU processes: a DDP wrapper without device ids
        cfg=dict(model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                                        device_ids=None)),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(2)) for _ in range(8)],
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, num_workers=0),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=None), custom_hooks=hooks)


def main(work_dir):
    dist.init_process_group('gloo')
    rank = dist.get_rank()
    # 2 iterations an epoch on each rank
    budget = EpochWallClockBudgetHook(60.0, dict(cosine=0.0),
                                      reserve_vals=0)
    lrs = RecordLr()
    runner = _runner('budget', work_dir, 100,
                     [SimulatedClock(rank), budget, lrs])
    runner.train()
    with open(f'{work_dir}/rank{rank}.txt', 'w') as fh:
        fh.write(f'epochs {runner.epoch} stopped_at {budget.stopped_at} '
                 f'lrs {[round(lr, 6) for lr in lrs.lrs[-2:]]}')

    runner = _runner('nan', work_dir, 10,
                     [NonFiniteLossHook(interval=2), Poison()])
    try:
        runner.train()
        message = 'trained on'
    except NonFiniteLossError as e:
        message = str(e)
    with open(f'{work_dir}/rank{rank}_nan.txt', 'w') as fh:
        fh.write(message)
    dist.destroy_process_group()


if __name__ == '__main__':
    main(sys.argv[1])
