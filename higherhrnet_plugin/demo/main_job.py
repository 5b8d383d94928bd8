"""The demo after its data exists: choose the fast path, plan the epochs in
the time left, train, test, choose the pictures' keypoint threshold on the
val split, draw, and write ``metrics.json`` with the threshold and where
the time went."""
import json
import os
import os.path as osp
from time import perf_counter
from typing import Dict, Optional

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.model import is_model_wrapper

from .config import set_epochs, set_val_interval
from .fast_path import mark_compiled, pick_fast_path, use_inductor_cache
from .learning_curve import draw_learning_curve, latest_scalars
from .pictures import draw_predictions
from .schedule import PICTURE_S, budget_hook, fit_epochs, iters_per_epoch
from .val_threshold import val_threshold


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
    # the lr schedule in fractions of the config's epochs, before they are
    # re-planned: the same shape over whatever training fits
    hook = budget_hook(cfg, budget_s, reserve_s)
    set_epochs(cfg, fit_epochs(cfg, left - times['calibration'],
                               t['s_per_step'], t['overhead_s']))
    set_val_interval(cfg, val_interval)
    return fast_path, timings, hook


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


def _threshold(runner, times: Dict[str, float]) -> dict:
    """Choose the pictures' keypoint threshold on the val split
    (:func:`.val_threshold.val_threshold`), log it, and redraw the epochs'
    poses (``EpochPosesHook``) with it."""
    from ..engine.hooks.epoch_poses_hook import EpochPosesHook
    t = perf_counter()
    # the module itself: a DDP forward on one rank would wait for the others
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    model.eval()
    thr = val_threshold(model, runner.test_dataloader.dataset)
    frac = thr['fraction_right']
    print(f'demo: pictures draw joints scored >= {thr["kpt_thr"]:.3f}: '
          + (f'{thr["joints_above"]} of the {thr["joints"]} predicted joints '
             f'on {thr["images"]} val images score so, {frac:.0%} of them '
             'within an OKS sigma-radius of their labelled joint'
             if frac is not None else thr['rule']), flush=True)
    for hook in runner.hooks:
        if isinstance(hook, EpochPosesHook):
            hook.redraw(runner, thr['kpt_thr'])
    times['threshold'] = perf_counter() - t
    return thr


def _draw_and_write(runner, cfg: Config, kind: str, num_vis: int,
                    fast_path: str, timings: dict, metrics: dict, t0: float,
                    times: Dict[str, float]) -> None:
    """Choose the keypoint threshold, draw ``num_vis`` test images and the
    learning curve, and write ``<work_dir>/metrics.json`` (see
    :func:`train_test_draw`)."""
    thr = _threshold(runner, times)
    t = perf_counter()
    vis_dir = osp.join(cfg.work_dir, 'vis')
    pngs = draw_predictions(runner, vis_dir, num_vis, thr['kpt_thr'])
    pngs.append(_draw_curves(cfg.work_dir, kind))
    times['pictures'] = perf_counter() - t
    times = {k: round(v, 1) for k, v in times.items()}
    times['total'] = round(perf_counter() - t0, 1)
    out_path = osp.join(cfg.work_dir, 'metrics.json')
    with open(out_path, 'w') as fh:
        json.dump(dict(metrics, model=kind, epochs=runner.epoch,
                       keypoint_threshold=thr, fast_path=fast_path,
                       time_s=times,
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
    plan = 'a planned ' if budget_s else ''
    print(f'demo: training {kind} for {plan}{cfg.train_cfg.max_epochs} '
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
