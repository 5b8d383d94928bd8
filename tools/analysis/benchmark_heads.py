"""Benchmark bottom-up heads on equal terms: HigherHRNet against MMPose's
other bottom-up heads, measured the same way on the same machine.

    python tools/analysis/benchmark_heads.py [--configs [NAME=]CONFIG ...]
        [--shape 512] [--out DIR] [--threads 2] [--warmup 2] [--repeats 10]
        [--image IMG] [--flip-test]
        [--checkpoints CKPT|- ...] [--dataset ANN_FILE IMG_DIR]
        [--train-budget MINUTES [--data-root DIR] [--num-train N]
         [--num-val M]]

CONFIG is a path or an MMPose config name such as
``mmpose::body_2d_keypoint/dekr/coco/dekr_hrnet-w32_8xb10-140e_coco-512x512.py``.
The default set is our HigherHRNet-W32 and HRNet-AE baseline (W32), MMPose's
DEKR-W32 and CID-W32 (all 512x512 configs) and RTMO-s. What is measured and
how: :mod:`higherhrnet_plugin.analysis.head_measurement`; the small variants
and the wall-clock training of ``--train-budget``:
:mod:`higherhrnet_plugin.analysis.small_head_variants` and
:mod:`higherhrnet_plugin.analysis.budget_training`. Test-time settings are the
same for every head: flip test off (``--flip-test`` turns it on where the head
supports it), single scale.

Writes ``DIR/results.json`` (one object per head), ``DIR/results.md`` (a
table) and ``DIR/results.png`` (a bar chart).
"""
import argparse
import os
import os.path as osp
import sys

from higherhrnet_plugin.analysis.head_benchmark import (run_benchmark,
                                                         synthetic_image)
from higherhrnet_plugin.analysis.head_benchmark_report import write_report
from higherhrnet_plugin.analysis.head_configs import (DEFAULT_HEADS,
                                                      parse_entries)

# the shared COCO image next to the repository, where there is one
SHARED_IMAGE = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', '..',
                        'shared', 'data', 'coco', '000000000785.jpg')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--configs', nargs='+', default=None,
                        metavar='[NAME=]CONFIG',
                        help='configs (paths or mmpose::...; default: the '
                        'five default heads)')
    parser.add_argument('--shape', type=int, default=512,
                        help='square input size S (default 512)')
    parser.add_argument('--out', default='work_dirs/benchmark_heads')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch.set_num_threads (default 2)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--image', default=None,
                        help='real image for decode and end-to-end (default '
                        '../shared/data/coco/000000000785.jpg if present, '
                        'else a synthetic image)')
    parser.add_argument('--flip-test', action='store_true',
                        help='flip test on for every head (default off)')
    parser.add_argument('--checkpoints', nargs='+', default=None,
                        metavar='CKPT|-',
                        help='one per config (- for none): AP on --dataset')
    parser.add_argument('--dataset', nargs=2, default=None,
                        metavar=('ANN_FILE', 'IMG_DIR'),
                        help='COCO-format set for AP of --checkpoints')
    parser.add_argument('--timeout', type=int, default=600,
                        help='seconds per head and phase (default 600)')
    parser.add_argument('--train-budget', type=float, default=None,
                        metavar='MINUTES',
                        help='also train small variants for MINUTES each')
    parser.add_argument('--skip-measure', action='store_true',
                        help='with --train-budget: training only')
    parser.add_argument('--data-root', default=None,
                        help='synthetic set (default OUT/synthetic_coco)')
    parser.add_argument('--num-train', type=int, default=None,
                        help='synthetic train images (default: the demo\'s)')
    parser.add_argument('--num-val', type=int, default=None,
                        help='synthetic val images (default: the demo\'s)')
    parser.add_argument('--num-workers', type=int, default=1,
                        help='train dataloader workers (budget training)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    specs = args.configs or [f'{n}={c}' for n, c in DEFAULT_HEADS]
    try:
        entries = parse_entries(specs)
    except FileNotFoundError as exc:
        sys.exit(f'benchmark_heads: no such config {exc.args[0]!r}')
    if args.checkpoints and len(args.checkpoints) != len(entries):
        sys.exit('benchmark_heads: give one --checkpoints entry per config '
                 '(- for none)')
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if args.image:
        image = osp.abspath(args.image)
    elif osp.isfile(SHARED_IMAGE):
        image = osp.abspath(SHARED_IMAGE)
    else:
        image = synthetic_image(out)
    if not osp.isfile(image):
        sys.exit(f'benchmark_heads: no such image {args.image!r}')
    checkpoints = [None if c == '-' else osp.abspath(c)
                   for c in args.checkpoints] if args.checkpoints else None
    results = run_benchmark(
        entries, out, image, shape=args.shape, threads=args.threads,
        warmup=args.warmup, repeats=args.repeats, flip_test=args.flip_test,
        checkpoints=checkpoints, dataset=args.dataset, timeout=args.timeout,
        skip_measure=args.skip_measure, train_budget_min=args.train_budget,
        data_root=args.data_root, num_train=args.num_train,
        num_val=args.num_val, num_workers=args.num_workers)
    write_report(out, results)
    print(f'benchmark_heads: wrote {out}/results.json, results.md, '
          f'results.png ({results[0]["settings"]["seconds"]:.0f}s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
