"""Check a COCO-format keypoint dataset before training or testing on it.

    python tools/analysis/check_dataset.py ANN_FILE IMG_DIR
        [--num-keypoints 17] [--images header] [--ignore-orientation]
        [--max-lines 20]

Prints one line per problem (the file, the image id and the annotation id)
and exits 1 if there is any, 0 with a summary otherwise. The same check runs
when the configs' ``ValidatedCocoDataset``/``ValidatedCrowdPoseDataset``
load; ``docs/reliability.md`` lists what is checked.
"""
import argparse
import sys
import time

from higherhrnet_plugin.datasets.coco_validation import (
    IMAGE_CHECKS, DatasetError, validate_coco_keypoints)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Validate a COCO-format keypoint annotation file and '
        'its images')
    parser.add_argument('ann_file', help='the annotation JSON file')
    parser.add_argument('img_dir', help='the folder of its images')
    parser.add_argument('--num-keypoints', type=int, default=17,
                        help='K of the dataset: COCO 17 (default), '
                        'CrowdPose 14')
    parser.add_argument('--images', choices=IMAGE_CHECKS, default='header',
                        help='how far image files are checked: exist, '
                        'header (format and size; default) or decode '
                        '(full OpenCV decode, slow)')
    parser.add_argument('--ignore-orientation', action='store_true',
                        help="the pipeline's LoadImage uses color_type="
                        "'color_ignore_orientation' (EXIF-rotated images are "
                        'then fine)')
    parser.add_argument('--max-lines', type=int, default=20,
                        help='print at most this many problems '
                        '(default: 20; 0: all)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.num_keypoints < 1:
        raise SystemExit(f'--num-keypoints: must be >= 1, got '
                         f'{args.num_keypoints}')
    start = time.perf_counter()
    try:
        problems = validate_coco_keypoints(
            args.ann_file, args.img_dir, args.num_keypoints,
            images=args.images, progress=True,
            orientation_applied=not args.ignore_orientation)
    except DatasetError as e:
        raise SystemExit(str(e))
    seconds = time.perf_counter() - start
    shown = problems if args.max_lines <= 0 else problems[:args.max_lines]
    for problem in shown:
        print(problem, file=sys.stderr)
    if problems:
        more = len(problems) - len(shown)
        tail = f' ({more} not shown; --max-lines 0 shows all)' if more else ''
        raise SystemExit(f'check_dataset: {len(problems)} problem(s) in '
                         f'{args.ann_file}{tail}')
    print(f'check_dataset: {args.ann_file} and {args.img_dir} are fine '
          f'({seconds:.1f} s)')


if __name__ == '__main__':
    main()
