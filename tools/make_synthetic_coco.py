#!/usr/bin/env python
"""Generate a seeded synthetic COCO-format person keypoint dataset.

    python tools/make_synthetic_coco.py OUT_DIR [--num-train 400]
        [--num-val 50] [--seed 0] [--scene easy|hard] [--image-size W H]

Calls :func:`higherhrnet_plugin.synthetic_coco.make_synthetic_coco`;
it needs numpy and OpenCV only (no torch, no OpenMMLab package).
"""
import argparse
import sys
import time

from higherhrnet_plugin.synthetic_coco import (DEFAULT_NUM_TRAIN,
                                                         DEFAULT_NUM_VAL,
                                                         DEFAULT_SCENE,
                                                         SCENES,
                                                         make_synthetic_coco)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate a synthetic COCO-format person keypoint set')
    parser.add_argument('out_dir')
    parser.add_argument('--num-train', type=int, default=DEFAULT_NUM_TRAIN)
    parser.add_argument('--num-val', type=int, default=DEFAULT_NUM_VAL)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--scene', choices=sorted(SCENES),
                        default=DEFAULT_SCENE,
                        help='what the images hold (see SCENES in '
                        'higherhrnet_plugin/synthetic_coco.py)')
    parser.add_argument(
        '--image-size', type=int, nargs=2, default=None, metavar=('W', 'H'),
        help='replaces the scene\'s (both scenes: 320 320)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    t0 = time.time()
    try:
        out = make_synthetic_coco(
            args.out_dir,
            num_train=args.num_train,
            num_val=args.num_val,
            seed=args.seed,
            scene=args.scene,
            image_size=args.image_size)
    except ValueError as exc:  # the arguments' check, before any file
        sys.exit(f'make_synthetic_coco: {exc}')
    print(f'wrote {args.num_train}+{args.num_val} images ({args.scene} '
          f'scene) to {args.out_dir} in {time.time() - t0:.1f}s: {out}')


if __name__ == '__main__':
    main()
