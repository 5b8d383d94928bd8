"""COCO keypoint AP of one model through the pytorch, onnxruntime and
openvino backends on a val split, at each --precision (fp32, bf16, int8),
each backend's results json written, the people compared across backends
and with the first backend's on --agreement-images too (see
:mod:`higherhrnet_plugin.analysis.backend_ap`). Exits 1 if an fp32
backend's people differ from the first backend's.

Usage: python tools/analysis/eval_backends.py CONFIG CHECKPOINT
       --data-root DIR [--out-dir DIR] [--backends pytorch onnxruntime
       openvino] [--onnx MODEL.onnx] [--precision fp32 bf16 int8]
       [--int8-onnx MODEL_INT8.onnx] [--agreement-images DIR]
       [--threads N] [--json PATH] [--trust-checkpoint]
"""
import argparse
import json
import os.path as osp
import sys

from higherhrnet_plugin.analysis.backend_ap import (BACKENDS, PRECISIONS,
                                                    BackendAPError,
                                                    evaluate_backends,
                                                    format_agreement,
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
    parser.add_argument('--precision', nargs='+', default=['fp32'],
                        choices=PRECISIONS,
                        help='run the onnxruntime/openvino backends at each '
                        '(default: fp32; bf16: OpenVINO on a CPU with bf16; '
                        'int8: --int8-onnx)')
    parser.add_argument('--int8-onnx', help='the int8 graph (of '
                        'tools/deployment/quantize.py) for --precision int8')
    parser.add_argument('--agreement-images', help='a folder of other '
                        'images: the people of each backend against the '
                        "first's there too (no AP)")
    parser.add_argument('--threads', type=int,
                        help="the engines' threads (default: theirs)")
    parser.add_argument('--json', help='also write the results here')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    for name in ('config', 'checkpoint', 'onnx', 'int8_onnx'):
        path = getattr(args, name)
        if path is not None and not osp.isfile(path):
            parser.error(f'{name.replace("_", "-")}: no such file {path!r}')
    if 'int8' in args.precision and args.int8_onnx is None:
        parser.error('--precision int8: needs --int8-onnx, a graph of '
                     'tools/deployment/quantize.py')
    if not osp.isdir(args.data_root):
        parser.error(f'--data-root: no such folder {args.data_root!r}')
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads: must be >= 1, got {args.threads}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from higherhrnet_plugin.core.errors import InferenceError
    from higherhrnet_plugin.core.image_files import list_images
    from higherhrnet_plugin.deploy import DeployError
    try:
        extra = list_images(args.agreement_images) \
            if args.agreement_images else []
        with trusted_checkpoints(args.trust_checkpoint):
            result = evaluate_backends(
                args.config, args.checkpoint, args.data_root, args.out_dir,
                args.backends, args.onnx, args.threads, args.precision,
                args.int8_onnx, extra)
    except (BackendAPError, CheckpointLoadError, DeployError,
            InferenceError) as e:
        raise SystemExit(str(e))
    print(f'{args.data_root}: {result["num_images"]} val images')
    print(format_table(result))
    if extra:
        print(f'{args.agreement_images}: {len(extra)} images, people vs '
              f'{args.backends[0]}')
        print(format_agreement(result))
    for name, reason in result['skipped'].items():
        print(f'{name}: skipped: {reason}')
    for name, path in result['results_files'].items():
        print(f'{name}: {path}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    if not all(v['same'] for n, v in result['vs_first'].items()
               if result['precisions'][n] == 'fp32'):
        print(f'fp32 people differ from {args.backends[0]} (see the table)',
              file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
