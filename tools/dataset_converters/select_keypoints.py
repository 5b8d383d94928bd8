"""Keep some of the keypoints of a COCO-format keypoint file.

    python tools/dataset_converters/select_keypoints.py IN.json OUT.json \
        --keep 0 5 6 11 12

New keypoint k is the input's keypoint ``--keep[k]`` (0-based); the
annotations' keypoints and counts and the category's names and skeleton
follow. See docs/custom_keypoints.md.
"""
import argparse
import json
import sys

from higherhrnet_plugin.datasets.keypoint_subset import write_keypoint_subset


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('in_file', metavar='IN.json')
    parser.add_argument('out_file', metavar='OUT.json')
    parser.add_argument('--keep', type=int, nargs='+', required=True,
                        help='0-based indices of the keypoints to keep')
    args = parser.parse_args()
    if args.in_file == args.out_file:
        sys.exit('OUT.json: give another file than IN.json')
    try:
        out = write_keypoint_subset(args.in_file, args.out_file, args.keep)
    except FileNotFoundError:
        sys.exit(f'IN.json: no such file {args.in_file!r}')
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        sys.exit(f'IN.json: {args.in_file}: not JSON ({e})')
    except KeyError as e:
        sys.exit(f'{args.in_file}: no {e} field')
    except (ValueError, TypeError) as e:
        sys.exit(f'{args.in_file}: {e}')
    print(f'wrote {args.out_file}: {len(out["annotations"])} annotations, '
          f'{len(args.keep)} keypoints')


if __name__ == '__main__':
    main()
