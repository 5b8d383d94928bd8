"""Check a config on one GPU before training on many: a few fp32 and mixed
precision training iterations, their peak memory, step time and data wait,
batch 1 against batch N testing with TF32 on and off, and the decoder's
stages, all on generated data (nothing is downloaded).

    python tools/analysis/check_gpu.py CONFIG [--device cuda:0] [--iters 10]
        [--test-images 8] [--decode-people 10] [--image-size 640 480]
        [--json FILE] [--cfg-options KEY=VAL ...]

Prints one line per check (OK / WARN / FAIL and why; see
:mod:`higherhrnet_plugin.analysis.gpu_check` and docs/training.md, "Training
on a GPU cluster"). Exits 1 if a check FAILs.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='fp32/AMP training, memory, data wait, batch 1 vs N '
        'testing and decoder stages of a config on one device')
    parser.add_argument('config')
    parser.add_argument('--device',
                        help='cuda:N or cpu (default: cuda:0 if available)')
    parser.add_argument('--iters', type=int, default=10,
                        help='training iterations per precision (>= 2)')
    parser.add_argument('--test-images', type=int, default=8,
                        help='generated val images: batch 1 against one '
                        'batch of all of them (>= 2)')
    parser.add_argument('--decode-people', type=int, default=10,
                        help='people on the decoder\'s synthetic maps')
    parser.add_argument('--image-size', type=int, nargs=2, default=[640, 480],
                        metavar=('W', 'H'),
                        help='generated image size (default: COCO\'s usual '
                        '640 480)')
    parser.add_argument('--json', help='also write the results here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={})
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config not found: {args.config}')
    for name in ('iters', 'test_images'):
        if getattr(args, name) < 2:
            parser.error(f'--{name.replace("_", "-")} must be >= 2, got '
                         f'{getattr(args, name)}')
    if args.decode_people < 1:
        parser.error(f'--decode-people must be >= 1, got '
                     f'{args.decode_people}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from higherhrnet_plugin.analysis.gpu_check import (failed, format_report,
                                                       gpu_check,
                                                       resolve_device,
                                                       to_json)
    try:
        device = resolve_device(args.device)
    except ValueError as exc:
        sys.exit(f'check_gpu: {exc}')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    try:
        result = gpu_check(
            cfg, device, args.iters, args.test_images, args.decode_people,
            tuple(args.image_size),
            # on a line of its own after a progress bar
            progress=lambda msg: print(f'\n[check_gpu] {msg}', flush=True))
    except ValueError as exc:
        sys.exit(f'check_gpu: {args.config}: {exc}')
    print('\n' + format_report(result))
    if args.json:
        with open(args.json, 'w') as fh:
            json.dump(to_json(result), fh, indent=2)
    return 1 if failed(result) else 0


if __name__ == '__main__':
    sys.exit(main())
