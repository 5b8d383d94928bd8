"""Fit the demo's schedule to a wall-clock training budget: CPUs differ
several-fold in speed, so a few timed training steps measure this machine
first and the epochs are cut to what fits."""
import copy
import json
import math
import os.path as osp
import statistics
import time

from mmengine.config import Config


def seconds_per_iter(cfg: Config, steps: int = 12, warmup: int = 2) -> float:
    """Mean wall time of a training iteration (data loading included) on
    this machine, measured on a throw-away copy of the model before the
    ``Runner`` seeds and builds the real one. Steps vary by +-15% from one
    moment to the next on a shared machine: the median of 6 steps said 0.60
    and 0.80 s for one model whose training then averaged 0.71 and 0.67 s,
    so this takes the mean of 12."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmpose.registry import MODELS

    import higherhrnet_plugin  # noqa: F401  (registers the modules)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.train()
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader))

    def batches():  # as many as asked, even from a split of a few batches
        while True:
            yield from loader

    stream = batches()
    times = []
    t = time.perf_counter()
    for i in range(warmup + steps):
        model.train_step(next(stream), optim)
        now = time.perf_counter()
        if i >= warmup:
            times.append(now - t)
        t = now
    return statistics.fmean(times)


def dataset_size(dataset_cfg) -> int:
    """Number of images in a COCO-format split."""
    with open(osp.join(dataset_cfg.data_root, dataset_cfg.ann_file)) as fh:
        return len(json.load(fh)['images'])


def fit_epochs(cfg: Config, budget_min: float) -> int:
    """The config's epochs, or as many as fit ``budget_min`` minutes of
    training here (at least one)."""
    sec = seconds_per_iter(cfg)
    dl = cfg.train_dataloader
    n_train = dataset_size(dl.dataset)
    iters = math.ceil(n_train / dl.batch_size) if not dl.get(
        'drop_last', False) else n_train // dl.batch_size
    fit = int(budget_min * 60 // (sec * max(1, iters)))
    epochs = max(1, min(cfg.train_cfg.max_epochs, fit))
    print(f'demo: {sec:.2f} s per iteration here, {iters} iterations per '
          f'epoch: {epochs} epoch(s) of the config\'s '
          f'{cfg.train_cfg.max_epochs} fit the {budget_min:g}-minute '
          'training budget', flush=True)
    return epochs
