"""Quantize a graph of export_onnx.py to INT8 (post-training, static),
calibrated on your images, for ``OnnxPoseEstimator(..., precision='int8')``.

    python tools/deployment/quantize.py MODEL.onnx OUT.onnx --calib-images DIR
        [--num 100] [--exclude NODE ...]

The convolutions are quantized (per-channel int8 weights, uint8
activations; ONNX Runtime's ``quantize_static``, QDQ format); the
normalisation, the flip-back and the aggregation stay float32. Calibration
feeds the first ``--num`` images of DIR (sorted by name) as the runtime
feeds them: uint8 BGR at the original test resize of each of the graph's
scales. The metadata of OUT.onnx records ``precision: int8`` and the number
of calibration images. ``--exclude`` leaves the named nodes in float32.
Needs ``onnx``, ``onnxruntime`` and ``mmengine`` (its progress bar). Bad
input stops with one line on stderr and a nonzero exit code; OUT.onnx is
written only when complete.
"""
import argparse
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Post-training INT8 quantization of an exported graph')
    parser.add_argument('model', help='an fp32 graph of export_onnx.py')
    parser.add_argument('out', help='the int8 .onnx file to write')
    parser.add_argument('--calib-images', required=True,
                        help='a folder of calibration images (e.g. the '
                        'training images)')
    parser.add_argument('--num', type=int, default=100,
                        help='calibrate on the first N images of the folder, '
                        'sorted by name (default: 100)')
    parser.add_argument('--exclude', nargs='+', default=[], metavar='NODE',
                        help='node names to leave in float32')
    args = parser.parse_args(argv)
    if args.num < 1:
        parser.error(f'--num: must be >= 1, got {args.num}')
    if not osp.isfile(args.model):
        parser.error(f'model: no such file {args.model!r}')
    if not osp.isdir(args.calib_images):
        parser.error(f'--calib-images: no such folder {args.calib_images!r}')
    if not osp.isdir(osp.dirname(osp.abspath(args.out))):
        parser.error(f'out: no such folder for {args.out!r}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmengine.utils import ProgressBar

    from higherhrnet_plugin.core.errors import InferenceError
    from higherhrnet_plugin.core.image_files import list_images
    from higherhrnet_plugin.deploy.metadata import DeployError
    from higherhrnet_plugin.deploy.quantization import quantize_graph
    try:
        files = list_images(args.calib_images)[:args.num]
    except InferenceError as e:  # its messages start 'input: '
        raise SystemExit(f'--calib-images: {str(e).split(": ", 1)[1]}')
    try:
        bar = ProgressBar(len(files))
        metadata = quantize_graph(args.model, args.out, files,
                                  args.exclude, bar.update)
    except (InferenceError, DeployError) as e:
        raise SystemExit(str(e))
    print(flush=True)
    ops = ', '.join(metadata.quantization['op_types'])
    print(f'quantize: wrote {args.out} (int8 {ops}, '
          f'{metadata.calibration_images} calibration images, '
          f'{len(args.exclude)} node(s) kept in float32)')


if __name__ == '__main__':
    main()
