"""The main job of ``make demo``: train a narrow HigherHRNet on CPU on the
built-in synthetic COCO set, evaluate it, and draw its predictions.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root DIR]
        [--time-budget MIN | --epochs N] [--fast-path auto|eager|...]
        [--num-train N --num-val M] [--baseline] [--batch-size B]
        [--num-workers W] [--val-interval V] [--num-vis K] [--seed S]

Steps:

1. generate ``<data-root>`` with ``make_synthetic_coco`` unless
   ``<data-root>/annotations/person_keypoints_train.json`` exists;
2. train ``configs/demo/higherhrnet_hrnet-w16-tiny_1xb8-30e_synthetic-256x256.py``
   (``--baseline``: the same with no deconv level, i.e. the HRNet + AE
   baseline at 1/4 resolution only) with an MMEngine ``Runner`` on CPU; the
   ``CheckpointHook`` writes the checkpoints in ``<work-dir>``. The training
   fast path (eager, channels-last, ``torch.compile`` or both) is
   ``--fast-path``; ``auto`` times each on the train dataloader and takes the
   one that trains most in the budget. Unless ``--epochs`` is given, the
   calibrated step plans the epochs and the whole run, steps included, ends
   within ``--time-budget`` minutes: the lr anneals and the last epoch
   comes by elapsed wall time (``EpochWallClockBudgetHook``);
3. ``runner.test()`` and write the COCO metrics and where the time went
   (``time_s``) to ``<work-dir>/metrics.json``;
4. draw PNGs in ``<work-dir>/vis/``: predicted poses on a few val images
   (``pose_*.png``), the heatmap pyramid (every level and the aggregate,
   ``heatmaps_*.png``) and the tag maps (``tags_*.png``).
"""
import argparse
import os
import sys
from time import perf_counter

T0 = perf_counter()  # the run's time starts before the heavy imports
# the demo runs on CPU: hide GPUs before the package imports torch
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')

from higherhrnet_plugin.datasets.synthetic_coco import (  # noqa: E402
    DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL, ensure_synthetic_coco)
from higherhrnet_plugin.engine.hooks.train_fast_path_hook import \
    FAST_PATHS  # noqa: E402


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
    parser.add_argument('--time-budget', type=float, default=15.,
                        help='minutes of the whole run (generation, '
                        'calibration, training, validation, test, pictures) '
                        'when --epochs is not given (default: 15)')
    parser.add_argument('--fast-path', default='auto',
                        help='training fast path: auto (calibrate, choose), '
                        + ', '.join(FAST_PATHS) + ' (default: auto)')
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
    if args.fast_path not in ('auto', ) + FAST_PATHS:
        sys.exit(f'demo: --fast-path must be auto or one of '
                 f'{", ".join(FAST_PATHS)}, got {args.fast_path!r}')
    if args.epochs is None and not args.time_budget > 0:
        sys.exit(f'demo: --time-budget must be positive minutes, got '
                 f'{args.time_budget:g}')
    t0 = perf_counter()
    times = dict(imports=t0 - T0)  # seconds of each stage
    if ensure_synthetic_coco(args.data_root, num_train=args.num_train,
                             num_val=args.num_val, seed=args.seed):
        print(f'demo: generated {args.num_train}+{args.num_val} synthetic '
              f'images in {args.data_root}', flush=True)
    else:
        print(f'demo: using the data in {args.data_root}', flush=True)
    times['generation'] = perf_counter() - t0

    from mmengine.registry import init_default_scope

    import higherhrnet_plugin  # noqa: F401  (registers the modules)
    from higherhrnet_plugin.demo.config import build_demo_cfg
    from higherhrnet_plugin.demo.main_job import train_test_draw
    init_default_scope('mmpose')
    cfg = build_demo_cfg(
        args.data_root,
        args.work_dir or ('work_dirs/demo_baseline'
                          if args.baseline else 'work_dirs/demo'),
        seed=args.seed, num_workers=args.num_workers,
        batch_size=args.batch_size, epochs=args.epochs,
        val_interval=args.val_interval, baseline=args.baseline)
    return train_test_draw(
        cfg, args.fast_path,
        budget_s=args.time_budget * 60 if args.epochs is None else None,
        val_interval=args.val_interval, num_vis=args.num_vis,
        kind='HRNet + AE baseline' if args.baseline else 'HigherHRNet',
        t0=T0, times=times)


if __name__ == '__main__':
    main()
