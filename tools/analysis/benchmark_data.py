"""Per-worker throughput of a config's train pipeline, and the data-loading
workers and /dev/shm a GPU needs at a given step time.

See :mod:`higherhrnet_plugin.analysis.data_benchmark` and docs/training.md
("Data-loading workers"). Without --data-root the config's own training set
is read; any COCO-format set will do, e.g. the 4 shared COCO images
(--data-root ../shared/data/coco --ann-file test_coco.json --img-prefix '')
or a tools/make_synthetic_coco.py output.

Usage: python tools/analysis/benchmark_data.py CONFIG [--data-root DIR]
       [--ann-file FILE] [--img-prefix DIR] [--num-samples 50]
       [--step-times S ...] [--gpus 8] [--json PATH]
"""
import argparse
import json
import os.path as osp
import sys

import cv2
import torch
from mmengine.config import Config

from higherhrnet_plugin.analysis.data_benchmark import (benchmark_pipeline,
                                                        build_train_dataset,
                                                        format_report,
                                                        recommend)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--data-root', help='a COCO-format set instead of '
                        "the config's training set")
    parser.add_argument('--ann-file', help='annotation file, relative to '
                        '--data-root')
    parser.add_argument('--img-prefix', help='image folder, relative to '
                        '--data-root')
    parser.add_argument('--num-samples', type=int, default=50,
                        help='samples to time (the set repeats if smaller)')
    parser.add_argument('--step-times', type=float, nargs='+',
                        default=[0.25, 0.5, 1.0],
                        help='GPU seconds per training step to size the '
                        "workers for (read yours from the training log's "
                        '`time`)')
    parser.add_argument('--gpus', type=int, default=8,
                        help='GPUs per node, for /dev/shm')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.config):
        sys.exit(f'benchmark_data: config: no such file {args.config!r}')
    if args.num_samples < 1 or args.gpus < 1 or min(args.step_times) <= 0:
        sys.exit('benchmark_data: --num-samples and --gpus must be >= 1, '
                 '--step-times > 0')
    cfg = Config.fromfile(args.config)
    # as in a DataLoader worker: one torch thread (PyTorch sets it there) and
    # OpenCV's own threads off (MMEngine's env_cfg.mp_cfg default)
    torch.set_num_threads(1)
    cv2.setNumThreads(0)
    try:
        dataset = build_train_dataset(cfg, args.data_root, args.ann_file,
                                      args.img_prefix)
        timing = benchmark_pipeline(dataset, args.num_samples)
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'benchmark_data: {e}')
    batch_size = cfg.train_dataloader.batch_size
    rows = recommend(timing, batch_size, args.step_times, args.gpus)
    print()
    print(format_report(timing, batch_size, rows, args.gpus))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, num_samples=timing.num_samples,
                           stages=timing.stages,
                           bytes_per_sample=timing.bytes_per_sample,
                           batch_size=batch_size, gpus=args.gpus,
                           recommendations=rows), f, indent=1)


if __name__ == '__main__':
    main()
