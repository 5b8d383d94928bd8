"""COCO keypoint AP of one model through the pytorch, onnxruntime and
openvino backends on a val split, each backend's results json written, the
people compared across backends (see
:mod:`higherhrnet_plugin.analysis.backend_ap`). Exits 1 if a backend's
people differ from the first backend's.

Usage: python tools/analysis/eval_backends.py CONFIG CHECKPOINT
       --data-root DIR [--out-dir DIR] [--backends pytorch onnxruntime
       openvino] [--onnx MODEL.onnx] [--threads N] [--json PATH]
       [--trust-checkpoint]
"""
import argparse
import json
import os.path as osp
import sys

from higherhrnet_plugin.analysis.backend_ap import (BACKENDS, BackendAPError,
                                                    evaluate_backends,
                                                    format_table)
from higherhrnet_plugin.engine import (CheckpointLoadError, add_trust_argument,
                                       trusted_checkpoints)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint trained with CONFIG')
    parser.add_argument('--data-root', required=True,
                        help="the dataset root of the config's test split "
                        '(e.g. data/synthetic_coco)')
    parser.add_argument('--out-dir', default='work_dirs/eval_backends',
                        help='where <backend>.keypoints.json (and an '
                        'exported model.onnx) go')
    parser.add_argument('--backends', nargs='+', default=list(BACKENDS),
                        help=f'default: {" ".join(BACKENDS)}; the first is '
                        'the reference of the comparison')
    parser.add_argument('--onnx', help='a graph of export_onnx.py to use '
                        '(default: export CONFIG + CHECKPOINT into OUT_DIR)')
    parser.add_argument('--threads', type=int,
                        help="the engines' threads (default: theirs)")
    parser.add_argument('--json', help='also write the results here')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    for name in ('config', 'checkpoint', 'onnx'):
        path = getattr(args, name)
        if path is not None and not osp.isfile(path):
            parser.error(f'{name}: no such file {path!r}')
    if not osp.isdir(args.data_root):
        parser.error(f'--data-root: no such folder {args.data_root!r}')
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads: must be >= 1, got {args.threads}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from higherhrnet_plugin.core.errors import InferenceError
    from higherhrnet_plugin.deploy import DeployError
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            result = evaluate_backends(args.config, args.checkpoint,
                                       args.data_root, args.out_dir,
                                       args.backends, args.onnx, args.threads)
    except (BackendAPError, CheckpointLoadError, DeployError,
            InferenceError) as e:
        raise SystemExit(str(e))
    print(f'{args.data_root}: {result["num_images"]} val images')
    print(format_table(result))
    for name, path in result['results_files'].items():
        print(f'{name}: {path}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    if not all(v['same'] for v in result['vs_first'].values()):
        print(f'people differ from {args.backends[0]} (see the table)',
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
