"""The main job of ``make demo``: train a narrow HigherHRNet on CPU on the
built-in synthetic COCO set, evaluate it, and draw its predictions.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root DIR]
        [--time-budget MIN | --epochs N] [--num-train N --num-val M]
        [--baseline] [--batch-size B] [--num-workers W] [--val-interval V]
        [--num-vis K] [--seed S]

Steps:

1. generate ``<data-root>`` with ``make_synthetic_coco`` unless
   ``<data-root>/annotations/person_keypoints_train.json`` exists;
2. train ``configs/demo/higherhrnet_hrnet-w16-tiny_1xb8-30e_synthetic-256x256.py``
   (``--baseline``: the same with no deconv level, i.e. the HRNet + AE
   baseline at 1/4 resolution only) with an MMEngine ``Runner`` on CPU; the
   ``CheckpointHook`` writes the checkpoints in ``<work-dir>``. Unless
   ``--epochs`` is given, a few timed training steps first measure this
   machine and the schedule is shortened to the epochs that fit
   ``--time-budget`` minutes (at most the config's);
3. ``runner.test()`` and write the COCO metrics to ``<work-dir>/metrics.json``;
4. draw PNGs in ``<work-dir>/vis/``: predicted poses on a few val images
   (``pose_*.png``), the heatmap pyramid (every level and the aggregate,
   ``heatmaps_*.png``) and the tag maps (``tags_*.png``).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

# the demo runs on CPU: hide GPUs before the package imports torch
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')

from higherhrnet_plugin.datasets.synthetic_coco import (  # noqa: E402
    DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL, ensure_synthetic_coco)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train + test + visualise HigherHRNet on synthetic COCO')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/demo, or '
                        'work_dirs/demo_baseline with --baseline')
    parser.add_argument('--data-root', default='data/synthetic_coco')
    parser.add_argument('--epochs', type=int, default=None,
                        help='training epochs (default: the config\'s, or '
                        'fewer to fit --time-budget)')
    parser.add_argument('--time-budget', type=float, default=10.,
                        help='minutes of training to fit the schedule in '
                        'when --epochs is not given (default: 10, so that '
                        'the whole demo ends within 15 minutes)')
    parser.add_argument('--num-train', type=int, default=DEFAULT_NUM_TRAIN,
                        help='train images to generate (if absent)')
    parser.add_argument('--num-val', type=int, default=DEFAULT_NUM_VAL,
                        help='val images to generate (if absent)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--baseline', action='store_true',
                        help='train the HRNet + AE baseline (no deconv '
                        'level) instead of HigherHRNet')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='train batch size (default: the config\'s)')
    parser.add_argument('--num-workers', type=int, default=1,
                        help='train dataloader workers (val uses none)')
    parser.add_argument('--val-interval', type=int, default=None,
                        help='validate every N epochs during training '
                        '(0: never; default: about a third of the epochs)')
    parser.add_argument('--num-vis', type=int, default=3,
                        help='val images to draw')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.epochs is None and not args.time_budget > 0:
        sys.exit(f'demo: --time-budget must be positive minutes, got '
                 f'{args.time_budget:g}')
    t_start = time.time()
    if ensure_synthetic_coco(args.data_root, num_train=args.num_train,
                             num_val=args.num_val, seed=args.seed):
        print(f'demo: generated {args.num_train}+{args.num_val} synthetic '
              f'images in {args.data_root} ({time.time() - t_start:.1f}s)',
              flush=True)
    else:
        print(f'demo: using the data in {args.data_root}', flush=True)

    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import higherhrnet_plugin  # noqa: F401  (registers the modules)
    from higherhrnet_plugin.demo.config import (build_demo_cfg, set_epochs,
                                                set_val_interval)
    from higherhrnet_plugin.demo.pictures import draw_predictions
    from higherhrnet_plugin.demo.schedule import fit_epochs
    init_default_scope('mmpose')

    cfg = build_demo_cfg(
        args.data_root,
        args.work_dir or ('work_dirs/demo_baseline'
                          if args.baseline else 'work_dirs/demo'),
        seed=args.seed, num_workers=args.num_workers,
        batch_size=args.batch_size, epochs=args.epochs,
        val_interval=args.val_interval, baseline=args.baseline)
    if args.epochs is None:
        set_epochs(cfg, fit_epochs(cfg, args.time_budget))
        set_val_interval(cfg, args.val_interval)
    os.makedirs(cfg.work_dir, exist_ok=True)
    kind = 'HRNet + AE baseline' if args.baseline else 'HigherHRNet'
    print(f'demo: training {kind} for {cfg.train_cfg.max_epochs} epoch(s) '
          f'on CPU, work dir {cfg.work_dir}', flush=True)
    runner = Runner.from_cfg(cfg)
    runner.train()
    t_train = time.time() - t_start
    metrics = {k: float(v) for k, v in (runner.test() or {}).items()}
    out_path = osp.join(cfg.work_dir, 'metrics.json')
    with open(out_path, 'w') as fh:
        json.dump(dict(metrics, model=kind, epochs=cfg.train_cfg.max_epochs,
                       train_seconds=round(t_train, 1)), fh, indent=2)
    print('demo: test metrics: ' + ', '.join(
        f'{k}={v:.4f}' for k, v in metrics.items()), flush=True)

    vis_dir = osp.join(cfg.work_dir, 'vis')
    pngs = draw_predictions(runner, vis_dir, args.num_vis)
    print(f'demo: wrote {out_path} and {len(pngs)} PNGs in {vis_dir} '
          f'(total {time.time() - t_start:.0f}s)', flush=True)
    return metrics


if __name__ == '__main__':
    main()
