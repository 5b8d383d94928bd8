"""Train a small head variant for a fixed wall-clock budget and test it on
the synthetic val split. The learning-rate schedule is the demo's (linear
warm-up, then its decay), converted to fractions of the budget and applied
by :class:`~higherhrnet_plugin.engine.hooks.WallClockBudgetHook`."""
import math
import time

from mmengine.config import Config

from .head_configs import set_test_settings
from .head_measurement import AP_KEYS, classify, one_line
from .small_head_variants import small_variant


def budget_schedule(cfg: Config, num_train: int) -> dict:
    """The config's lr schedule as fractions of training: the keyword
    arguments of ``lr_factor`` in
    :mod:`higherhrnet_plugin.engine.hooks.wall_clock_budget_hook` (the linear
    warm-up's ``warm_end`` fraction and ``warm_start`` factor, and the decay
    after it: ``steps``, [(milestone fraction, gamma)] of a MultiStepLR, or
    ``cosine``, eta_min over the base lr of a CosineAnnealingLR). Raises
    ValueError for another scheduler."""
    max_epochs = cfg.train_cfg.max_epochs
    iters = max_epochs * math.ceil(num_train /
                                   cfg.train_dataloader.batch_size)
    base_lr = cfg.optim_wrapper.optimizer.lr
    sched = dict(warm_end=0.0, warm_start=1.0, steps=[], cosine=None)
    for s in cfg.param_scheduler:
        if s['type'] == 'LinearLR':
            end = s.get('end', 0)
            sched['warm_end'] = end / iters if not s.get('by_epoch', True) \
                else end / max_epochs
            sched['warm_start'] = s.get('start_factor', 1 / 3)
        elif s['type'] == 'MultiStepLR':
            sched['steps'] = [(m / max_epochs, s.get('gamma', 0.1))
                              for m in s['milestones']]
        elif s['type'] == 'CosineAnnealingLR':
            sched['cosine'] = s.get('eta_min', 0.0) / base_lr
        else:
            raise ValueError(f'--train-budget: unsupported scheduler '
                             f'{s["type"]} in the demo config')
    return sched


def train_budget(spec: dict) -> dict:
    """Train the small variant for ``spec['budget_s']`` seconds, test it;
    returns the ``train_*`` results (never raises).

    ``spec``: ``name``, ``path`` (the head's config file), ``budget_s``,
    ``work_dir``, ``data_root``, ``num_train``, ``num_workers``,
    ``threads`` and ``flip_test``.
    """
    import torch
    torch.set_num_threads(spec['threads'])
    res = dict(name=spec['name'], train_status='ok', train_reason='')
    try:
        from mmengine.registry import init_default_scope
        from mmengine.runner import Runner

        import higherhrnet_plugin  # noqa: F401
        from higherhrnet_plugin.engine.hooks import WallClockBudgetHook
        init_default_scope('mmpose')
        cfg = small_variant(spec['path'], spec['work_dir'],
                            spec['data_root'], spec['num_workers'])
        hook = WallClockBudgetHook(spec['budget_s'],
                                   budget_schedule(cfg, spec['num_train']))
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=10**9,
                             val_interval=10**9)
        cfg.param_scheduler = None
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint = None
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=20)
        res['train_flip_test'] = set_test_settings(
            cfg, cfg.codec['input_size'][0], spec['flip_test'])
        runner = Runner.from_cfg(cfg)
        runner.register_hook(hook)
        res['train_params'] = int(sum(p.numel()
                                      for p in runner.model.parameters()))
        t0 = time.perf_counter()
        runner.train()
        res['train_s'] = round(time.perf_counter() - t0, 1)
        res['train_iters'] = getattr(hook, 'iters', runner.iter)
        metrics = {k: float(v) for k, v in (runner.test() or {}).items()}
        res.update({'train_' + k: metrics.get(m) for k, m in AP_KEYS})
    except Exception as exc:  # noqa: BLE001
        reason = one_line(exc)
        res.update(train_status=classify(reason), train_reason=reason)
    return res
