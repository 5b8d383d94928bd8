"""The main job of ``make demo``: train a narrow HigherHRNet on CPU on the
built-in synthetic COCO set, evaluate it, and draw its predictions.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root DIR]
        [--time-budget MIN | --epochs N] [--fast-path auto|eager|...]
        [--scene easy|hard] [--num-train N --num-val M] [--baseline]
        [--batch-size B] [--num-workers W] [--val-interval V] [--num-vis K]
        [--seed S]

Steps: generate ``<data-root>`` (default
``data/synthetic_coco_<scene>_seed<S>``) unless it exists (one made with
other arguments is refused); train
``configs/demo/higherhrnet_hrnet-w16-tiny_1xb4-30e_synthetic-256x256.py``
(``--baseline``: no deconv level, the HRNet + AE baseline) on CPU with the
fast path ``--fast-path`` picks (``auto``: the one that trains most in the
budget, timed on the train dataloader) for as many epochs as fit
``--time-budget`` minutes, re-planned as it runs
(``EpochWallClockBudgetHook``); test; choose the pictures' keypoint
threshold on the val split; write ``metrics.json`` (COCO metrics, the
threshold, ``time_s``: where the time went); draw ``vis/`` (poses beside
the labels, heatmap pyramid, tags, ``epochs/``: one val image after each
validation) and ``learning_curve.png`` (with ``work_dirs/demo_baseline``'s
run beside it).
"""
import argparse
import os
import sys
from time import perf_counter

T0 = perf_counter()  # the run's time starts before the heavy imports
# the demo runs on CPU: hide GPUs before the package imports torch
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')

from higherhrnet_plugin.synthetic_coco import (  # noqa: E402
    DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL, DEFAULT_SCENE, SCENES,
    ensure_synthetic_coco)
from higherhrnet_plugin.engine.hooks.train_fast_path_hook import \
    FAST_PATHS  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train + test + visualise HigherHRNet on synthetic COCO')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/demo, or '
                        'work_dirs/demo_baseline with --baseline')
    parser.add_argument('--data-root', default=None,
                        help='default: data/synthetic_coco_<scene>_seed<S>')
    parser.add_argument('--scene', choices=sorted(SCENES),
                        default=DEFAULT_SCENE,
                        help='what the generated images hold (default: '
                        f'{DEFAULT_SCENE}; hard: 1-6 people of 24-300 px, '
                        'overlapping, cluttered)')
    parser.add_argument('--epochs', type=int, default=None,
                        help='train a fixed schedule of N epochs (default: '
                        'as many as fit --time-budget, more or fewer than '
                        'the config\'s)')
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
    args.data_root = args.data_root or \
        f'data/synthetic_coco_{args.scene}_seed{args.seed}'
    try:
        generated = ensure_synthetic_coco(
            args.data_root, num_train=args.num_train, num_val=args.num_val,
            seed=args.seed, scene=args.scene)
    except ValueError as exc:  # a data root made with other arguments
        sys.exit(f'demo: {exc}')
    if generated:
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
