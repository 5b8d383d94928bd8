"""Bottom-up pose estimation on your own images, with a trained checkpoint.

    python tools/infer.py IMAGE_OR_DIR --config CONFIG --checkpoint CKPT
        [--out-dir work_dirs/infer] [--tta] [--device cpu] [--kpt-thr 0.1]
        [--max-pixels 25000000] [--trust-checkpoint]
        [--backend pytorch|onnxruntime|openvino] [--onnx M.onnx]
        [--threads N] [--precision fp32|bf16|int8]

IMAGE_OR_DIR is one image or a folder (every image file in it, sorted by
name; not recursive). Writes, without deleting anything already in OUT_DIR:

- ``OUT_DIR/results.json``: COCO keypoint results, one entry per person:
  ``image_id`` (the file stem when it is an integer, as COCO's
  ``000000000785.jpg``, else a running index over the folder's other
  files in name order, skipping the integer stems' ids), ``category_id`` 1,
  ``keypoints`` ``[x, y, score] * K`` in image pixels, ``score`` (the
  person's score) and ``file_name`` (the image's file name);
- ``OUT_DIR/vis/<stem>.png``: each image with its people drawn by the
  config's ``visualizer`` (joints scoring ``>= --kpt-thr``).

``--tta`` runs the config's ``tta_model`` on its ``tta_pipeline`` (for our
configs: scales 2, 1, 0.5 plus flips, heatmaps aggregated before grouping),
as ``tools/test.py --tta`` does (an exported graph holds those views). The
checkpoint is loaded weights-only; ``--trust-checkpoint`` unpickles it fully
(code in it runs). An image over ``--max-pixels`` is decoded reduced (a
JPEG, by 2, 4 or 8) or skipped; its overlay is drawn reduced.

``--backend onnxruntime|openvino`` runs an exported graph (flip test inside;
``higherhrnet_plugin.deploy.OnnxPoseEstimator``): ``--onnx MODEL.onnx``, or
without it CONFIG + CKPT exported first to ``OUT_DIR/model.onnx``. The same
files are written; the overlays use the config's visualizer. ``--precision
bf16``: in bfloat16 (OpenVINO, a CPU with bf16); ``int8``: an ``--onnx`` graph
of ``tools/deployment/quantize.py``. See docs/deployment.md.

Bad input stops with one line on stderr and a nonzero exit code; an image in
a folder that cannot be read is reported in one line and skipped (exit 1).
"""
import argparse
import os.path as osp

from higherhrnet_plugin.core.errors import InferenceError
from higherhrnet_plugin.apis.folder_inference import infer_images
from higherhrnet_plugin.core.image_files import (MAX_PIXELS, list_images,
                                                 read_image)
from higherhrnet_plugin.apis.onnx_predictor import (OnnxPosePredictor,
                                                    export_for_inference)
from higherhrnet_plugin.apis.pytorch_predictor import PyTorchPosePredictor
from higherhrnet_plugin.engine import add_trust_argument, trusted_checkpoints


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Bottom-up pose estimation on an image or a folder')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('--config', required=True, help='model config file')
    parser.add_argument('--checkpoint',
                        help='checkpoint file (trained with --config); '
                        'not needed with --onnx')
    parser.add_argument('--out-dir', default='work_dirs/infer',
                        help='where results.json and vis/ go '
                        '(default: work_dirs/infer)')
    parser.add_argument('--tta', action='store_true',
                        help='multi-scale + flip test with the config\'s '
                        'tta_model/tta_pipeline')
    parser.add_argument('--device', default='cpu',
                        help='torch device, e.g. cpu or cuda:0 '
                        '(default: cpu)')
    parser.add_argument('--kpt-thr', type=float, default=0.1,
                        help='joints scoring below this are not drawn '
                        '(results.json has them all; default: 0.1)')
    parser.add_argument('--max-pixels', type=int, default=MAX_PIXELS,
                        help='larger images are decoded reduced (JPEG) or '
                        f'skipped (default: {MAX_PIXELS})')
    parser.add_argument('--backend', default='pytorch',
                        choices=('pytorch', 'onnxruntime', 'openvino'),
                        help='inference engine (default: pytorch)')
    parser.add_argument('--onnx',
                        help='an ONNX file of tools/deployment/export_onnx.py '
                        '(onnxruntime/openvino; default: export CONFIG + '
                        'CKPT to OUT_DIR/model.onnx)')
    parser.add_argument('--threads', type=int, help='onnxruntime/openvino '
                        "threads (default: the engine's)")
    parser.add_argument('--precision', default='fp32',
                        choices=('fp32', 'bf16', 'int8'),
                        help='onnxruntime/openvino: fp32 (default), bf16 '
                        'or int8 (an --onnx graph of quantize.py)')
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    for name in ('onnx', 'precision'):
        if args.backend == 'pytorch' and getattr(args, name) not in (
                None, 'fp32'):
            parser.error(f'--{name}: needs --backend onnxruntime or '
                         'openvino')
    if args.precision == 'int8' and args.onnx is None:
        parser.error('--precision int8: needs --onnx, a graph of '
                     'tools/deployment/quantize.py')
    if args.checkpoint is None and args.onnx is None:
        parser.error('--checkpoint is required (or --onnx with '
                     '--backend onnxruntime/openvino)')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        files = list_images(args.input)
        if not osp.isdir(args.input):
            try:
                read_image(files[0], args.max_pixels)
            except InferenceError as e:
                raise InferenceError(f'input: {files[0]!r}: {e}')
        with trusted_checkpoints(args.trust_checkpoint):
            if args.backend == 'pytorch':
                predictor = PyTorchPosePredictor(
                    args.config, args.checkpoint, device=args.device,
                    tta=args.tta, kpt_thr=args.kpt_thr)
            else:
                onnx = args.onnx or export_for_inference(
                    args.config, args.checkpoint, args.out_dir, args.tta)
                predictor = OnnxPosePredictor(
                    onnx, args.config, args.backend, args.threads,
                    kpt_thr=args.kpt_thr, precision=args.precision)
                if args.tta and len(predictor.estimator.metadata.scales) < 2:
                    raise InferenceError(
                        f'--tta: {onnx!r} holds one scale (export it with '
                        'tools/deployment/export_onnx.py --scales 2 1 0.5)')
        summary = infer_images(files, predictor.predict, args.out_dir,
                               draw=predictor.draw,
                               max_pixels=args.max_pixels)
    except InferenceError as e:
        raise SystemExit(str(e))
    done = summary.num_images - len(summary.failed)
    print(f'infer: {done} of {summary.num_images} image(s), '
          f'{summary.num_people} people: wrote {summary.results_file} and '
          f'{summary.vis_dir}/', flush=True)
    if summary.failed:
        raise SystemExit(f'infer: {len(summary.failed)} of '
                         f'{summary.num_images} image(s) failed (see above)')


if __name__ == '__main__':
    main()
