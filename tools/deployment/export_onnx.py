"""Export a trained HigherHRNet to one ONNX graph with its flip test and
heatmap aggregation inside, for ``higherhrnet_plugin.deploy.OnnxPoseEstimator``
(ONNX Runtime or OpenVINO, no torch needed).

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT OUT.onnx
        [--no-flip-test] [--dynamic] [--shape H W] [--opset N]
        [--scales 1] [--nms-in-graph] [--trust-checkpoint]

The graph takes uint8 BGR images (N, H, W, 3) resized by the original test
resize (one input per scale) and gives the aggregated ``heatmaps``
(N, K, H, W) and ``tags`` (N, K, H, W, T) (with --nms-in-graph also the
max-pool NMS'd ``nms_heatmaps``); its metadata holds the keypoints,
flip indices, resize rule and decoding options. Bad input stops with one line
on stderr and a nonzero exit code; OUT.onnx is written only when complete.
"""
import argparse
import os.path as osp


def parse_args(argv=None):
    from higherhrnet_plugin.engine import add_trust_argument
    parser = argparse.ArgumentParser(
        description='Export HigherHRNet to ONNX (flip test and aggregation '
        'in the graph)')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint trained with CONFIG')
    parser.add_argument('out', help='the .onnx file to write')
    parser.add_argument('--no-flip-test', action='store_true',
                        help='leave the flip pass out of the graph')
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic batch, height and width (any image; '
                        'default: fixed at --shape)')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='the scale-1 input size to trace with and, '
                        'without --dynamic, the only one the graph takes '
                        '(multiples of 64; default: the codec input size)')
    parser.add_argument('--opset', type=int, default=17,
                        help='ONNX opset (default: 17)')
    parser.add_argument('--scales', type=float, nargs='+', default=[1.0],
                        help='test scales, one graph input each, e.g. '
                        '2 1 0.5 for the multi-scale test (default: 1)')
    parser.add_argument('--nms-in-graph', action='store_true',
                        help="also output the decoder's max-pool NMS of the "
                        'heatmaps (the runtime takes its peaks from it)')
    add_trust_argument(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from higherhrnet_plugin.core.errors import InferenceError
    from higherhrnet_plugin.deploy.export import export_onnx, test_input_size
    from higherhrnet_plugin.deploy.metadata import DeployError
    from higherhrnet_plugin.engine import (CheckpointLoadError,
                                           trusted_checkpoints)

    out_dir = osp.dirname(osp.abspath(args.out))
    if not osp.isdir(out_dir):
        raise SystemExit(f'out: no such folder {out_dir!r}')
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            from higherhrnet_plugin.apis.pytorch_predictor import \
                PyTorchPosePredictor
            predictor = PyTorchPosePredictor(args.config, args.checkpoint)
        metadata = export_onnx(
            predictor.model, args.out, scales=args.scales,
            flip_test=not args.no_flip_test, dynamic=args.dynamic,
            shape_hw=tuple(args.shape) if args.shape else None,
            opset=args.opset, input_size=test_input_size(predictor.pipeline),
            nms_in_graph=args.nms_in_graph)
    except (InferenceError, CheckpointLoadError, DeployError) as e:
        raise SystemExit(str(e))
    shape = 'dynamic batch/H/W' if args.dynamic else \
        f'fixed {metadata.fixed_input_hw[0]}x{metadata.fixed_input_hw[1]}'
    print(f'export_onnx: wrote {args.out} ({shape}, flip test '
          f'{"on" if metadata.flip_test else "off"}, scales '
          f'{metadata.scales}, NMS in graph '
          f'{"on" if metadata.nms_in_graph else "off"}, opset {args.opset})')


if __name__ == '__main__':
    main()
