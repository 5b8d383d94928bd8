"""Image-to-poses speed of the deployment backends: the original's cost,
PyTorch eager, ONNX Runtime and OpenVINO at each --precision, for W32-512
(random weights) with the flip test on one real image, in total and per
stage (preprocess, network, aggregation, decode), checking the poses and
the graphs' output errors (see
:mod:`higherhrnet_plugin.analysis.deploy_benchmark`). int8 quantizes the
exported graph on --calib-images (default: the folder of --image);
--rendered-maps decodes a reference vector's maps of the image after each
real network run. Exits 1 if an fp32 backend's poses differ from PyTorch
eager's.

Usage: python tools/analysis/benchmark_deploy.py [--config CONFIG]
       [--checkpoint CKPT] [--image ../shared/data/coco/000000000785.jpg]
       [--repeats 5] [--warmup 1] [--threads 2]
       [--methods original pytorch onnxruntime openvino]
       [--precision fp32 bf16 int8] [--calib-images DIR] [--calib-num N]
       [--rendered-maps ../shared/reference/flip_000000000785.npz]
       [--json PATH]
"""
import argparse
import json
import os.path as osp
import sys

from higherhrnet_plugin.analysis.deploy_benchmark import (
    METHODS, BenchmarkError, benchmark_deploy, format_output_errors,
    format_stage_table, format_table, same_poses)

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
    parser.add_argument('--precision', nargs='+', default=['fp32'],
                        choices=('fp32', 'bf16', 'int8'),
                        help='the ONNX methods at each (default: fp32)')
    parser.add_argument('--calib-images', help='int8 calibration images '
                        '(default: the folder of --image)')
    parser.add_argument('--calib-num', type=int, default=100,
                        help='the first N of them (default 100)')
    parser.add_argument('--rendered-maps', help='a reference vector '
                        '(flip_*.npz) of the image: its maps are decoded')
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args(argv)
    for name in ('repeats', 'threads', 'calib_num'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")}: must be >= 1, got '
                         f'{getattr(args, name)}')
    if args.warmup < 0:
        parser.error(f'--warmup: must be >= 0, got {args.warmup}')
    if args.rendered_maps and not osp.isfile(args.rendered_maps):
        parser.error(f'--rendered-maps: no such file {args.rendered_maps!r}')
    if args.json and not osp.isdir(osp.dirname(osp.abspath(args.json))):
        parser.error(f'--json: no such folder for {args.json!r}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from higherhrnet_plugin.core.errors import InferenceError
    from higherhrnet_plugin.core.image_files import list_images
    try:
        calib = list_images(args.calib_images or osp.dirname(args.image))[
            :args.calib_num] if 'int8' in args.precision else []
        result = benchmark_deploy(args.config, args.image, args.repeats,
                                  args.threads, args.methods, args.warmup,
                                  args.checkpoint, args.precision, calib,
                                  args.rendered_maps)
    except (BenchmarkError, InferenceError) as e:
        raise SystemExit(str(e))
    print(f'{args.image}: input {result["input_hw"][0]}x'
          f'{result["input_hw"][1]} (h x w), {args.threads} thread(s), '
          f'median of {args.repeats}')
    print(format_table(result))
    print(format_stage_table(result))
    if len(result['output_errors']) > 1:
        print(format_output_errors(result))
    for name, reason in result['skipped'].items():
        print(f'{name}: skipped: {reason}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    if not all(same_poses(p) for n, p in result['poses'].items()
               if '-' not in n):
        print('fp32 poses differ from pytorch eager (see the table)',
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
