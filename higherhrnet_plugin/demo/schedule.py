"""Fit the demo's schedule to a wall-clock budget: CPUs differ several-fold
in speed, so the calibrated seconds per step (:mod:`.fast_path`) plan the
epochs, and :class:`~higherhrnet_plugin.engine.hooks.EpochWallClockBudgetHook`
keeps training within the time as it actually runs."""
import json
import math
import os.path as osp

from mmengine.config import Config

# seconds kept per drawn image after the test: 3 val images (pose, heatmap
# and tag PNGs) and the learning curve took 2.9 s on the 2-core AMD EPYC
# Zen 3 (a 5-epoch demo model); 70 s under a load of ~8 from other jobs
PICTURE_S = 5.0


def dataset_size(dataset_cfg) -> int:
    """Number of images in a COCO-format split."""
    with open(osp.join(dataset_cfg.data_root, dataset_cfg.ann_file)) as fh:
        return len(json.load(fh)['images'])


def iters_per_epoch(cfg: Config) -> int:
    """Training iterations in one epoch of ``cfg.train_dataloader``."""
    dl = cfg.train_dataloader
    n_train = dataset_size(dl.dataset)
    if dl.get('drop_last', False):
        return max(1, n_train // dl.batch_size)
    return max(1, math.ceil(n_train / dl.batch_size))


def fit_epochs(cfg: Config, budget_s: float, sec_per_iter: float,
               overhead_s: float = 0.0) -> int:
    """The config's epochs, or as many as fit ``budget_s`` seconds of
    training at ``sec_per_iter`` after ``overhead_s`` (at least one)."""
    iters = iters_per_epoch(cfg)
    fit = int(max(0.0, budget_s - overhead_s) // (sec_per_iter * iters))
    epochs = max(1, min(cfg.train_cfg.max_epochs, fit))
    print(f'demo: {sec_per_iter:.2f} s per iteration here, {iters} '
          f'iterations per epoch: {epochs} epoch(s) of the config\'s '
          f'{cfg.train_cfg.max_epochs} fit the {budget_s:.0f} s left for '
          'training', flush=True)
    return epochs


def budget_hook(cfg: Config, budget_s: float, reserve_s: float,
                max_epochs: int):
    """An :class:`~higherhrnet_plugin.engine.hooks.EpochWallClockBudgetHook`
    with the config's lr schedule (as fractions of training), raising the
    epochs up to ``max_epochs`` if they fit, and the config without its
    ``param_scheduler`` (the hook sets the lr instead)."""
    from ..engine.hooks.wall_clock_budget_hook import (
        EpochWallClockBudgetHook, budget_schedule)
    schedule = budget_schedule(cfg, dataset_size(cfg.train_dataloader.dataset))
    cfg.param_scheduler = None
    return EpochWallClockBudgetHook(budget_s, schedule, reserve_s=reserve_s,
                                    max_epochs=max_epochs)
