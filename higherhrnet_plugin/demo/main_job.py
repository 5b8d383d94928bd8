"""The demo after its data exists: choose the fast path, plan the epochs in
the time left, train, test, draw, and write ``metrics.json`` with where the
time went."""
import json
import os
import os.path as osp
from time import perf_counter
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.dist import is_main_process

from .config import set_epochs, set_val_interval
from .fast_path import mark_compiled, pick_fast_path, use_inductor_cache
from .learning_curve import draw_learning_curve, latest_scalars
from .pictures import draw_predictions
from .schedule import PICTURE_S, budget_hook, fit_epochs, iters_per_epoch


def _plan(cfg: Config, fast_path: str, budget_s: Optional[float],
          val_interval: Optional[int], reserve_s: float, t0: float,
          times: Dict[str, float]):
    """Calibrate (when there is a budget, or to choose), plan the epochs and
    return ``(fast_path, timings, hook)``: the hook that times training,
    and with a budget also ends it in time."""
    from ..engine.hooks.train_time_hook import TrainTimeHook
    timings = {}
    if budget_s or fast_path == 'auto':
        left = budget_s - (perf_counter() - t0) - reserve_s \
            if budget_s else None
        fast_path, timings, times['calibration'] = pick_fast_path(
            cfg, fast_path, left,
            cfg.train_cfg.max_epochs * iters_per_epoch(cfg))
    if not budget_s:
        return fast_path, timings, TrainTimeHook()
    t = timings[fast_path]
    max_epochs = cfg.train_cfg.max_epochs
    set_epochs(cfg, fit_epochs(cfg, left - times['calibration'],
                               t['s_per_step'], t['overhead_s']))
    set_val_interval(cfg, val_interval)
    return fast_path, timings, budget_hook(cfg, budget_s, reserve_s,
                                           max_epochs)


def _draw_curves(work_dir: str, kind: str) -> str:
    """Draw this run's learning curve; HigherHRNet's (``demo``) gets the
    baseline's run (``demo_baseline``) beside it when there is one, so a
    baseline run redraws it too. Returns this run's PNG."""
    parent = osp.dirname(work_dir)
    if kind == 'HigherHRNet':
        return draw_learning_curve(
            work_dir, baseline_dir=osp.join(parent, 'demo_baseline'))
    curve = draw_learning_curve(work_dir, label=kind)
    if latest_scalars(osp.join(parent, 'demo')):
        draw_learning_curve(osp.join(parent, 'demo'), baseline_dir=work_dir)
    return curve


def _draw_and_write(runner, cfg: Config, kind: str, num_vis: int,
                    fast_path: str, timings: dict, metrics: dict, t0: float,
                    times: Dict[str, float]) -> None:
    """Draw ``num_vis`` test images and the learning curve, and write
    ``<work_dir>/metrics.json`` (see :func:`train_test_draw`)."""
    t = perf_counter()
    vis_dir = osp.join(cfg.work_dir, 'vis')
    pngs = draw_predictions(runner, vis_dir, num_vis)
    pngs.append(_draw_curves(cfg.work_dir, kind))
    times['pictures'] = perf_counter() - t
    times = {k: round(v, 1) for k, v in times.items()}
    times['total'] = round(perf_counter() - t0, 1)
    out_path = osp.join(cfg.work_dir, 'metrics.json')
    with open(out_path, 'w') as fh:
        json.dump(dict(metrics, model=kind, epochs=runner.epoch,
                       fast_path=fast_path, time_s=times,
                       s_per_step={n: round(t['s_per_step'], 3)
                                   for n, t in timings.items()}),
                  fh, indent=2)
    print('demo: time (s): ' + ', '.join(
        f'{k} {v:g}' for k, v in times.items()), flush=True)
    print(f'demo: wrote {out_path} and {len(pngs)} PNGs in {vis_dir}',
          flush=True)


def train_test_draw(cfg: Config, fast_path: str, budget_s: Optional[float],
                    val_interval: Optional[int], num_vis: int, kind: str,
                    t0: float, times: Dict[str, float]) -> dict:
    """Train ``cfg`` on CPU, test it, draw ``num_vis`` val images and write
    ``<work_dir>/metrics.json`` (on rank 0 only); returns the test
    metrics.

    Args:
        cfg (Config): the demo config (:func:`.config.build_demo_cfg`).
        fast_path (str): ``auto`` or one of ``FAST_PATHS``
            (:mod:`~higherhrnet_plugin.engine.hooks.train_fast_path_hook`).
        budget_s (float, optional): seconds of the whole run from ``t0``
            (None: train the config's epochs as they are).
        val_interval (int, optional): see :func:`.config.set_val_interval`.
        num_vis (int): val images to draw.
        kind (str): the model's name for the log.
        t0 (float): ``perf_counter()`` at the start of the run.
        times (dict): seconds of the stages so far (``generation``); the
            later stages are added.
    """
    from mmengine.runner import Runner
    use_inductor_cache()
    fast_path, timings, hook = _plan(cfg, fast_path, budget_s, val_interval,
                                     PICTURE_S * num_vis, t0, times)
    # the same val image after each validation: the model getting better
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
        dict(type='EpochPosesHook', num_images=1)]
    if fast_path != 'eager':
        cfg.custom_hooks.append(
            dict(type='TrainFastPathHook', fast_path=fast_path))
    os.makedirs(cfg.work_dir, exist_ok=True)
    print(f'demo: training {kind} for up to {cfg.train_cfg.max_epochs} '
          f'epoch(s) on CPU ({fast_path}), work dir {cfg.work_dir}',
          flush=True)
    t = perf_counter()
    runner = Runner.from_cfg(cfg)
    if budget_s:  # what is left of the whole run's time
        hook.budget_s = budget_s - (perf_counter() - t0)
    runner.register_hook(hook)
    times['setup'] = perf_counter() - t
    runner.train()
    clock = getattr(hook, 'clock', hook)
    times.update(clock.summary())
    if is_main_process():
        mark_compiled(cfg, fast_path, clock.first_iter_s)

    t = perf_counter()
    metrics = {k: float(v) for k, v in (runner.test() or {}).items()}
    times['test'] = perf_counter() - t
    print('demo: test metrics: ' + ', '.join(
        f'{k}={v:.4f}' for k, v in metrics.items()), flush=True)
    if is_main_process():  # the other ranks' files would be the same
        _draw_and_write(runner, cfg, kind, num_vis, fast_path, timings,
                        metrics, t0, times)
    return metrics
