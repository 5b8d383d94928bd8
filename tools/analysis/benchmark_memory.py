"""Training memory of a config on CPU: parameters + gradients + Adam, and
the activations one sample adds (fp32, or 16-bit under CPU bf16 autocast),
with the batch each GPU size fits.

See :mod:`higherhrnet_plugin.analysis.training_memory` and docs/training.md
("GPU memory per config"). The sample is the config's train pipeline
output on the first image of --data-root (default: the config's training
set), e.g. the shared COCO images (--data-root ../shared/data/coco
--ann-file test_coco.json --img-prefix '').

Usage: python tools/analysis/benchmark_memory.py CONFIG [--data-root DIR]
       [--ann-file FILE] [--img-prefix DIR] [--bf16] [--cards-gb 16 24 40 80]
       [--reserve-gb 2]
       [--json PATH]
"""
import argparse
import json
import os.path as osp
import sys

import torch
from mmengine.config import Config

from higherhrnet_plugin.analysis.data_benchmark import build_train_dataset
from higherhrnet_plugin.analysis.training_memory import \
    measure_training_memory

GIB = 2**30


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--data-root', help='a COCO-format set instead of '
                        "the config's training set")
    parser.add_argument('--ann-file', help='relative to --data-root')
    parser.add_argument('--img-prefix', help='relative to --data-root')
    parser.add_argument('--bf16', action='store_true',
                        help='forward under CPU bf16 autocast (16-bit '
                        'activations, as fp16 AMP on a GPU)')
    parser.add_argument('--cards-gb', type=float, nargs='+',
                        default=[16, 24, 40, 80],
                        help='GPU memory sizes (GiB) to fit the batch to')
    parser.add_argument('--reserve-gb', type=float, default=2.,
                        help='GiB of each card left for the CUDA context, '
                        'cuDNN workspaces and allocator fragmentation')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        sys.exit(f'benchmark_memory: config: no such file {args.config!r}')
    cfg = Config.fromfile(args.config)
    try:
        dataset = build_train_dataset(cfg, args.data_root, args.ann_file,
                                      args.img_prefix)
        sample = dataset[0]
    except (FileNotFoundError, ValueError, IndexError) as e:
        sys.exit(f'benchmark_memory: {e}')
    dtype = torch.bfloat16 if args.bf16 else None
    mem = measure_training_memory(cfg, sample, dtype)
    batch = cfg.train_dataloader.batch_size
    print(f'parameters: {mem.num_params:,}; static (weights, gradients, '
          f'Adam): {mem.static / GIB:.2f} GiB')
    print(f'activations ({"bf16 autocast" if dtype else "fp32"}): '
          f'{mem.per_sample / GIB:.3f} GiB per sample, '
          f'{mem.per_batch / GIB:.3f} GiB per batch')
    print(f'batch {batch}: {mem.total(batch) / GIB:.2f} GiB')
    for card in args.cards_gb:
        print(f'{card:g} GiB card: largest batch '
              f'{mem.max_batch(int((card - args.reserve_gb) * GIB))} '
              f'({args.reserve_gb:g} GiB reserved)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, bf16=bool(dtype),
                           num_params=mem.num_params, static=mem.static,
                           per_sample=mem.per_sample, per_batch=mem.per_batch,
                           batch_size=batch, total=mem.total(batch)), f,
                      indent=1)


if __name__ == '__main__':
    main()
