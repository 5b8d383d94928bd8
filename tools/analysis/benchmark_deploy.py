"""Image-to-poses speed of the deployment backends: the original's cost,
PyTorch eager, ONNX Runtime and OpenVINO, for W32-512 (random weights) with
the flip test on one real image, in total and per stage (preprocess,
network, aggregation, decode), checking that the poses are the same (see
:mod:`higherhrnet_plugin.analysis.deploy_benchmark`). Exits 1 if a backend's
poses differ from PyTorch eager's.

Usage: python tools/analysis/benchmark_deploy.py [--config CONFIG]
       [--checkpoint CKPT] [--image ../shared/data/coco/000000000785.jpg] [--repeats 5]
       [--warmup 1]
       [--threads 2] [--methods original pytorch onnxruntime openvino]
       [--json PATH]
"""
import argparse
import json
import os.path as osp
import sys

from higherhrnet_plugin.analysis.deploy_benchmark import (METHODS,
                                                          BenchmarkError,
                                                          benchmark_deploy,
                                                          format_stage_table,
                                                          format_table,
                                                          same_poses)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/higherhrnet/coco/'
                  'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py')
IMAGE = osp.join(ROOT, '..', 'shared', 'data', 'coco', '000000000785.jpg')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG,
                        help='model config (default: W32-512 COCO)')
    parser.add_argument('--checkpoint',
                        help='trained weights (default: random weights, '
                        'output layers amplified)')
    parser.add_argument('--image', default=IMAGE,
                        help='the image (default: the shared COCO '
                        '000000000785.jpg)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed runs per method, after one warm-up '
                        '(default 5)')
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed runs per method first (default 1)')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch / engine threads (default 2)')
    parser.add_argument('--methods', nargs='+', default=list(METHODS),
                        help=f'default: {" ".join(METHODS)}')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)
    for name in ('repeats', 'threads'):
        if getattr(args, name) < 1:
            parser.error(f'--{name}: must be >= 1, got {getattr(args, name)}')
    if args.warmup < 0:
        parser.error(f'--warmup: must be >= 0, got {args.warmup}')
    if args.json and not osp.isdir(osp.dirname(osp.abspath(args.json))):
        parser.error(f'--json: no such folder for {args.json!r}')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        result = benchmark_deploy(args.config, args.image, args.repeats,
                                  args.threads, args.methods, args.warmup,
                                  args.checkpoint)
    except BenchmarkError as e:
        raise SystemExit(str(e))
    print(f'{args.image}: input {result["input_hw"][0]}x'
          f'{result["input_hw"][1]} (h x w), {args.threads} thread(s), '
          f'median of {args.repeats}')
    print(format_table(result))
    print(format_stage_table(result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    if not all(same_poses(p) for p in result['poses'].values()):
        print('poses differ from pytorch eager (see the table)',
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
