"""Fit the demo's schedule to a wall-clock budget: CPUs differ several-fold
in speed, so the calibrated seconds per step (:mod:`.fast_path`) plan the
epochs (more or fewer than the config's), and
:class:`~higherhrnet_plugin.engine.hooks.EpochWallClockBudgetHook` re-plans
them from the times as training actually runs."""
import json
import math
import os.path as osp

from mmengine.config import Config

# seconds kept per drawn image after the test: 3 val images (pose, heatmap
# and tag PNGs) and the learning curve took 2.9 s on the 2-core AMD EPYC
# Zen 3 (a 5-epoch demo model); 70 s under a load of ~8 from other jobs
PICTURE_S = 5.0


def _dataset_size(dataset_cfg) -> int:
    """Number of images in a COCO-format split."""
    with open(osp.join(dataset_cfg.data_root, dataset_cfg.ann_file)) as fh:
        return len(json.load(fh)['images'])


def iters_per_epoch(cfg: Config) -> int:
    """Training iterations in one epoch of ``cfg.train_dataloader``."""
    dl = cfg.train_dataloader
    n_train = _dataset_size(dl.dataset)
    if dl.get('drop_last', False):
        return max(1, n_train // dl.batch_size)
    return max(1, math.ceil(n_train / dl.batch_size))


def fit_epochs(cfg: Config, budget_s: float, sec_per_iter: float,
               overhead_s: float = 0.0) -> int:
    """The epochs that fit ``budget_s`` seconds of training at
    ``sec_per_iter`` after ``overhead_s`` (at least one), more or fewer
    than the config's; logs the plan in one line."""
    iters = iters_per_epoch(cfg)
    fit = int(max(0.0, budget_s - overhead_s) // (sec_per_iter * iters))
    epochs = max(1, fit)
    config = cfg.train_cfg.max_epochs
    verdict = ('fewer than the config\'s {}: this machine and budget hold '
               'a shorter schedule' if epochs < config else
               'the config has {}').format(config)
    print(f'demo: {sec_per_iter:.2f} s per step here, {iters} steps per '
          f'epoch: {epochs} epoch(s) fit the {budget_s:.0f} s left for '
          f'training ({verdict})', flush=True)
    return epochs


def budget_hook(cfg: Config, budget_s: float, reserve_s: float):
    """An :class:`~higherhrnet_plugin.engine.hooks.EpochWallClockBudgetHook`
    with the config's lr schedule as fractions of the config's training
    (e.g. the demo config's 100-step warm-up in 30 x 100 steps is the first
    thirtieth of whatever training the hook plans), and the config without its
    ``param_scheduler`` (the hook sets the lr instead). It keeps
    two validations' time after training: the test and the keypoint
    threshold's pass over the val split."""
    from ..engine.hooks.wall_clock_budget_hook import (
        EpochWallClockBudgetHook, budget_schedule)
    schedule = budget_schedule(cfg,
                               _dataset_size(cfg.train_dataloader.dataset))
    cfg.param_scheduler = None
    return EpochWallClockBudgetHook(budget_s, schedule, reserve_s=reserve_s,
                                    reserve_vals=2)
