"""Test throughput (images/s) of batch sizes and test-time options against
the original's network + parser, on the same synthetic val images.

See :mod:`higherhrnet_plugin.analysis.test_throughput`. The model has
random weights unless ``--checkpoint`` is given. Exits 1 if a variant's
poses differ from batch 1's.

Usage: python tools/analysis/benchmark_test.py [--config CFG]
       [--data-root data/synthetic_coco] [--num-images 8]
       [--batch-sizes 1 8] [--options fuse_conv_bn channels_last compile]
       [--no-original] [--checkpoint CKPT] [--threads N] [--json PATH]
"""
import argparse
import json
import os.path as osp
import sys

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from higherhrnet_plugin.analysis.test_throughput import (benchmark_test,
                                                         format_table,
                                                         load_items)
from higherhrnet_plugin.engine import load_checkpoint_file
from higherhrnet_plugin.models.utils.test_time_options import \
    TEST_TIME_OPTIONS

CONFIG = 'configs/higherhrnet/coco/' \
    'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py'
VAL_ANN = 'annotations/person_keypoints_val.json'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--data-root', default='data/synthetic_coco',
                        help='a tools/make_synthetic_coco.py output')
    parser.add_argument('--num-images', type=int, default=8,
                        help='the first N val images (default 8)')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 8])
    parser.add_argument('--options', nargs='*', default=TEST_TIME_OPTIONS,
                        choices=TEST_TIME_OPTIONS,
                        help='test-time options, each timed at the last '
                        'batch size')
    parser.add_argument('--no-original', action='store_true',
                        help='skip the original\'s loop')
    parser.add_argument('--checkpoint', help='weights (default: random)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch CPU threads (default: torch\'s)')
    parser.add_argument('--json', help='also write the results here')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.num_images < 1 or min(args.batch_sizes) < 1:
        sys.exit('benchmark_test: --num-images and --batch-sizes must be >= 1')
    for name, path in (('--config', args.config),
                       ('--data-root', osp.join(args.data_root, VAL_ANN))):
        if not osp.isfile(path):
            sys.exit(f'benchmark_test: {name}: no such file {path!r} '
                     '(tools/make_synthetic_coco.py makes the data)')
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmpose')
    from mmpose.registry import MODELS
    cfg = Config.fromfile(args.config)
    cfg.test_dataloader.dataset.update(
        data_root=args.data_root, ann_file=VAL_ANN,
        data_prefix=dict(img='images/val/'))
    cfg.model.backbone.init_cfg = None
    cfg.model.test_cfg = dict(cfg.model.get('test_cfg') or {},
                              flip_test=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        model.load_state_dict(
            load_checkpoint_file(args.checkpoint)['state_dict'])
    model.eval()
    items = load_items(cfg, args.num_images)
    result = benchmark_test(
        model, items, args.batch_sizes, args.options, not args.no_original,
        progress=lambda msg: print(f'[benchmark_test] {msg}', flush=True))
    result['threads'] = torch.get_num_threads()
    print(format_table(result))
    if args.json:
        with open(args.json, 'w') as fh:
            json.dump(result, fh, indent=2)
    same = all(row.get('identical_poses', True)
               for row in result['variants'].values())
    return 0 if same else 1


if __name__ == '__main__':
    sys.exit(main())
