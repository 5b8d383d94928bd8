"""Choose the demo's training fast path by measuring it: each candidate of
:data:`~higherhrnet_plugin.engine.hooks.train_fast_path_hook.FAST_PATHS`
trains a few steps of a throw-away copy of the model on the real train
dataloader (same workers), and the one that buys the most training steps in
the budget, its compile time counted, wins.

``torch.compile`` costs minutes on a cold inductor cache, so the cache lives
outside the clone (:func:`use_inductor_cache`) and ``auto`` calibrates the
compiled candidates only once a run has compiled them there
(:func:`compile_is_cached`); the others it always measures.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import statistics
import time
from typing import Dict, Iterable, Optional, Sequence, Tuple

from mmengine.config import Config

from ..engine.hooks.train_fast_path_hook import FAST_PATHS, apply_fast_path

_CACHE_ROOT = osp.join('~', '.cache', 'higherhrnet_plugin')
# the per-candidate record that its graphs are in the inductor cache
_WARM_DIR = 'higherhrnet_plugin_warm'


def use_inductor_cache() -> str:
    """Point ``TORCHINDUCTOR_CACHE_DIR`` at ``~/.cache/higherhrnet_plugin/
    inductor`` unless the user set it (inductor's default is under /tmp,
    gone after a reboot); returns the directory.

    Importing MMPose already has inductor write its default into the
    variable, so that value counts as not set."""
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir
    current = os.environ.get('TORCHINDUCTOR_CACHE_DIR')
    if current is None or osp.abspath(current) == osp.abspath(
            default_cache_dir()):
        os.environ['TORCHINDUCTOR_CACHE_DIR'] = osp.expanduser(
            osp.join(_CACHE_ROOT, 'inductor'))
    return os.environ['TORCHINDUCTOR_CACHE_DIR']


def _warm_marker(cfg: Config, fast_path: str) -> str:
    """The marker file of ``fast_path`` for this model, batch and torch."""
    import torch
    key = json.dumps([cfg.model.to_dict() if hasattr(cfg.model, 'to_dict')
                      else dict(cfg.model), cfg.train_dataloader.batch_size,
                      torch.__version__, fast_path], sort_keys=True,
                     default=str)
    name = hashlib.sha1(key.encode()).hexdigest()[:16] + '.json'
    return osp.join(use_inductor_cache(), _WARM_DIR, name)


def compile_is_cached(cfg: Config, fast_path: str) -> bool:
    """Whether a run has compiled ``fast_path`` for this model into the
    inductor cache (always True for the eager candidates)."""
    return 'compile' not in fast_path or osp.isfile(
        _warm_marker(cfg, fast_path))


def mark_compiled(cfg: Config, fast_path: str, first_step_s: float) -> None:
    """Record that ``fast_path`` is compiled in the cache (with the first
    step's seconds, for the log)."""
    if 'compile' not in fast_path:
        return
    path = _warm_marker(cfg, fast_path)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as fh:
        json.dump(dict(fast_path=fast_path, first_step_s=first_step_s), fh)


def choose_fast_path(timings: Dict[str, Tuple[float, float]],
                     budget_s: Optional[float],
                     steps: Optional[int] = None) -> str:
    """The candidate that runs the most training steps in ``budget_s``, or
    without a budget, that runs ``steps`` steps the soonest.

    Args:
        timings (dict): ``{fast_path: (s_per_step, overhead_s)}``, with
            ``overhead_s`` what the candidate costs once before its steps
            (the compile of a fresh model; 0 for eager).
        budget_s (float, optional): seconds of training.
        steps (int, optional): the steps of a fixed schedule, when
            ``budget_s`` is None.

    Returns:
        str: the winner; ties go to the earlier of :data:`FAST_PATHS` (the
        simpler).
    """
    def merit(name):
        sec, overhead = timings[name]
        if budget_s is None:
            return -(overhead + steps * sec)
        return max(0.0, budget_s - overhead) / sec

    order = sorted(timings, key=FAST_PATHS.index)
    return max(order, key=lambda name: (merit(name), -order.index(name)))


def _time_steps(model, optim, stream: Iterable, n: int) -> list:
    """Wall seconds of each of ``n`` training steps, loading included."""
    times = []
    t = time.perf_counter()
    for _ in range(n):
        model.train_step(next(stream), optim)
        now = time.perf_counter()
        times.append(now - t)
        t = now
    return times


def calibrate(cfg: Config,
              candidates: Sequence[str],
              warmup: int = 2,
              steps: int = 3,
              rounds: int = 2) -> Dict[str, dict]:
    """Measure the training step of each fast path in ``candidates``.

    A throw-away model per candidate (built before the ``Runner`` seeds the
    real one) trains on one train dataloader built from ``cfg`` (same
    batch, workers, pipeline). Each candidate first runs ``warmup`` steps,
    the first of which compiles; then ``rounds`` rounds of ``steps`` steps
    interleave the candidates, so that a load from other jobs on a shared
    machine falls on all of them.

    Returns:
        dict: ``{fast_path: dict(s_per_step=median of the rounds' steps,
        first_step_s=the first step, overhead_s=what the first step cost
        beyond a step)}``.
    """
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    from mmpose.registry import MODELS

    loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader))

    def batches():  # as many as asked, even from a split of a few batches
        while True:
            yield from loader

    stream = batches()
    runs, out = {}, {}
    for name in candidates:
        model = MODELS.build(copy.deepcopy(cfg.model))
        model.train()
        optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
        apply_fast_path(model, name)
        first = _time_steps(model, optim, stream, max(1, warmup))[0]
        runs[name] = (model, optim, [])
        out[name] = dict(first_step_s=first)
    for _ in range(rounds):
        for name, (model, optim, times) in runs.items():
            times += _time_steps(model, optim, stream, steps)
    for name, (_, _, times) in runs.items():
        sec = statistics.median(times)
        out[name].update(s_per_step=sec,
                         overhead_s=max(0.0, out[name]['first_step_s'] - sec)
                         if 'compile' in name else 0.0)
        mark_compiled(cfg, name, out[name]['first_step_s'])
    return out


def pick_fast_path(cfg: Config,
                   requested: str,
                   budget_s: Optional[float],
                   steps: Optional[int] = None
                   ) -> Tuple[str, Dict[str, dict], float]:
    """The fast path to train with, and its calibration.

    Args:
        cfg (Config): the demo config.
        requested (str): ``auto`` (calibrate the cached candidates and
            choose) or one of :data:`FAST_PATHS` (calibrate it alone).
        budget_s (float, optional): seconds of training the choice is for.
        steps (int, optional): without a budget, the steps to train.

    Returns:
        tuple: ``(fast_path, timings, seconds spent calibrating)``, with
        ``timings`` as :func:`calibrate`.
    """
    t0 = time.perf_counter()
    use_inductor_cache()
    candidates = [requested]
    if requested == 'auto':
        cold = [n for n in FAST_PATHS if not compile_is_cached(cfg, n)]
        if cold:
            print(f'demo: not calibrating {", ".join(cold)}: not yet in the '
                  f'inductor cache {os.environ["TORCHINDUCTOR_CACHE_DIR"]} '
                  '(a cold compile costs minutes; `--fast-path compile` '
                  'once fills it)', flush=True)
        candidates = [n for n in FAST_PATHS if n not in cold]
    timings = calibrate(cfg, candidates)
    choice = choose_fast_path(
        {n: (t['s_per_step'], t['overhead_s'])
         for n, t in timings.items()}, budget_s, steps)
    spent = time.perf_counter() - t0
    print('demo: fast path calibration (' + ', '.join(
        f'{n} {t["s_per_step"]:.2f} s/step'
        + (f' + {t["overhead_s"]:.0f} s compile' if 'compile' in n else '')
        for n, t in timings.items()) + f'): {choice}, in {spent:.0f} s',
        flush=True)
    return choice, timings, spent
