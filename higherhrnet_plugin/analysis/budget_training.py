"""Train a small head variant for a fixed wall-clock budget and test it on
the synthetic val split. The learning-rate schedule is the demo's (linear
warm-up, then its decay), converted to fractions of the budget and applied
by :class:`~higherhrnet_plugin.engine.hooks.WallClockBudgetHook`."""
import time

from ..engine.hooks.wall_clock_budget_hook import budget_schedule
from .head_configs import set_test_settings
from .head_measurement import AP_KEYS, classify, one_line
from .small_head_variants import small_variant


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
