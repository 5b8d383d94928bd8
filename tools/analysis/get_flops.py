"""Parameters and FLOPs of a model config (MMEngine's analysis).

    python tools/analysis/get_flops.py CONFIG [--shape 512 | --shape H W]

FLOPs are MMEngine's count, which, like fvcore's, counts one multiply-add as
one operation: comparable to the "multiply-adds" of the HigherHRNet paper.
"""
import argparse
import sys

from mmengine.config import Config, DictAction

from higherhrnet_plugin.analysis.complexity import config_complexity


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('--shape', type=int, nargs='+', default=[512],
                        help='input size: S (square) or H W')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    if len(args.shape) not in (1, 2):
        sys.exit('--shape: give S or H W')
    height, width = (args.shape * 2)[:2]
    try:
        cfg = Config.fromfile(args.config)
    except FileNotFoundError:
        sys.exit(f'config: no such file {args.config!r}')
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    result = config_complexity(cfg, height, width)
    print(f'config: {args.config}\ninput: 3x{height}x{width}\n'
          f'params: {result["params"]:,}\n'
          f'flops: {result["flops"]:,} ({result["flops"] / 1e9:.1f} G)')


if __name__ == '__main__':
    main()
