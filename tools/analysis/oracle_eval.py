"""Oracle evaluation of the associative-embedding grouping: perfect heatmaps
and tags of a COCO-style annotation file, decoded by the codec and scored by
``CocoMetric`` (see :mod:`higherhrnet_plugin.analysis.oracle_eval`). A
correct decoder gives AP close to 1.

    python tools/analysis/oracle_eval.py ANN_JSON IMG_DIR [--dataset coco]
        [--sigma 2] [--stride 1]
"""
import argparse
import sys

from higherhrnet_plugin.analysis.oracle_eval import oracle_eval


def parse_args():
    parser = argparse.ArgumentParser(
        description='Oracle (perfect heatmaps + tags) evaluation of the '
        'associative-embedding decoder')
    parser.add_argument('ann_file')
    parser.add_argument('img_dir')
    parser.add_argument(
        '--dataset', choices=['coco', 'crowdpose'], default='coco')
    parser.add_argument('--sigma', type=float, default=2)
    parser.add_argument(
        '--stride', type=int, default=1,
        help='encode at the image size divided by this (1: image size; '
        '2 or 4: the resolution of HigherHRNet\'s levels on an input of '
        'the image\'s size)')
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        results = oracle_eval(
            args.ann_file, args.img_dir, args.dataset,
            codec_kwargs=dict(sigma=args.sigma), stride=args.stride)
    except FileNotFoundError as exc:
        sys.exit(f'oracle_eval: no such file: {exc.filename or exc}')
    print(f'AP: {results["AP"]:.4f}')
    for k, v in results.items():
        if k != 'AP':
            print(f'{k}: {v:.4f}')


if __name__ == '__main__':
    main()
