"""Export a HigherHRNet :class:`FlipBatchBottomupPoseEstimator` to one ONNX
graph.

The graph takes uint8 BGR images (N, H, W, 3), one input per test scale,
and holds the config's data preprocessor (channel order, mean/std) and the
estimator's test views
(:meth:`~FlipBatchBottomupPoseEstimator.forward_views`: backbone and head,
the flip pass as a second batch half, the head's aggregation). Its outputs
are the aggregated ``heatmaps`` (N, K, H, W) and ``tags`` (N, K, H, W, T) at
the scale-1 input size, and optionally ``nms_heatmaps`` (N, K, H, W), the
max-pool NMS the decoder's peaks come from; its ``metadata_props`` carry
what decoding needs (:class:`~.metadata.DeployMetadata`). Needs torch,
MMPose and ``onnx``.
"""
import os
import tempfile
import warnings
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..models.pose_estimators import FlipBatchBottomupPoseEstimator
from .graph_file import save_graph
from .metadata import DeployError, DeployMetadata

# Resize with ``sizes`` and the opset-11 ops the graph uses
_MIN_OPSET = 11


def _input_name(scale: float) -> str:
    """The graph input of the view at ``scale``: ``image`` at scale 1."""
    return 'image' if scale == 1 else f'image_x{scale:g}'


class ExportableHigherHRNet(nn.Module):
    """uint8 images of every test scale -> aggregated heatmaps and tags.

    Args:
        pose_estimator: a :class:`FlipBatchBottomupPoseEstimator` with a
            :class:`HigherHRNetHead` (its ``data_preprocessor`` a
            ``PoseDataPreprocessor``); the graph is its
            :meth:`~FlipBatchBottomupPoseEstimator.forward_views`.
        flip_indices (Sequence[int]): the dataset's flip permutation.
        scales (Sequence[float]): one graph input per scale, in this order.
        flip_test (bool): add the flip pass of every view.
        heatmap_levels (str): see :meth:`HigherHRNetHead.aggregate`.
        nms_kernel (int, optional): also output the max-pool NMS of the
            heatmaps with this (odd) kernel.
    """

    def __init__(self, pose_estimator: nn.Module,
                 flip_indices: Sequence[int],
                 scales: Sequence[float] = (1.0, ),
                 flip_test: bool = True,
                 heatmap_levels: str = 'all',
                 nms_kernel: Optional[int] = None):
        super().__init__()
        if not isinstance(pose_estimator, FlipBatchBottomupPoseEstimator):
            raise DeployError(
                f'model: type must be FlipBatchBottomupPoseEstimator (the '
                f'test views the graph holds), got '
                f'{type(pose_estimator).__name__}')
        pre = pose_estimator.data_preprocessor
        if not getattr(pre, '_enable_normalize', False):
            raise DeployError('model: the data preprocessor has no mean/std '
                              'to put into the graph')
        if 64 % int(getattr(pre, 'pad_size_divisor', 1)):
            raise DeployError(
                'model: data_preprocessor.pad_size_divisor must divide 64 '
                '(the original resize gives multiples of 64)')
        self.pose = pose_estimator
        self.bgr_to_rgb = bool(pre._channel_conversion)
        self.register_buffer('mean', pre.mean.detach().clone()[None], False)
        self.register_buffer('std', pre.std.detach().clone()[None], False)
        self.flip_indices = [int(i) for i in flip_indices]
        self.scales = [float(s) for s in scales]
        if 1.0 not in self.scales:
            raise DeployError(f'--scales: one scale must be 1, got '
                              f'{self.scales}')
        self.flip_test = flip_test
        self.heatmap_levels = heatmap_levels
        self.nms_kernel = nms_kernel

    def normalise(self, image: Tensor) -> Tensor:
        """(N, H, W, 3) uint8 BGR -> (N, 3, H, W) float, in the order of
        operations of MMEngine's ``ImgDataPreprocessor``."""
        x = image.permute(0, 3, 1, 2)
        if self.bgr_to_rgb:
            x = x[:, [2, 1, 0]]
        return (x.float() - self.mean) / self.std

    def nms(self, heatmaps: Tensor) -> Tensor:
        """``det * (max_pool(det) == det)``, the original parser's NMS
        (:meth:`NumpyMaps.nms_row`), (N, K, H, W)."""
        pooled = F.max_pool2d(heatmaps, self.nms_kernel, 1,
                              (self.nms_kernel - 1) // 2)
        return heatmaps * torch.eq(pooled, heatmaps).float()

    def forward(self, *images: Tensor) -> Tuple[Tensor, ...]:
        """Images (N, H_s, W_s, 3) uint8, one per scale in ``scales``
        order -> heatmaps (N, K, H, W) and tags (N, K, H, W, T) at the
        scale-1 input size (W, H), then (with ``nms_kernel``) the NMS'd
        heatmaps (N, K, H, W)."""
        base = images[self.scales.index(1.0)]
        # sizes straight from the shape (no int()): the export traces them,
        # so H and W stay dynamic in the graph
        heatmaps, tags = self.pose.forward_views(
            [self.normalise(image) for image in images], self.scales,
            (base.shape[2], base.shape[1]),
            self.flip_indices if self.flip_test else None,
            self.heatmap_levels)
        if self.nms_kernel is None:
            return heatmaps, tags
        return heatmaps, tags, self.nms(heatmaps)


def test_input_size(pipeline) -> int:
    """``input_size`` of the ``BottomupOriginalResize`` of a test pipeline
    (an MMEngine ``Compose``): the runtime repeats that resize."""
    for transform in getattr(pipeline, 'transforms', []):
        if type(transform).__name__ == 'BottomupOriginalResize':
            return transform.input_size
    raise DeployError('config: the test pipeline has no '
                      'BottomupOriginalResize, the only test resize the '
                      'runtime repeats')


def deploy_metadata(pose_estimator: nn.Module,
                    scales: Sequence[float],
                    flip_test: bool,
                    fixed_input_hw: Optional[Tuple[int, int]],
                    input_size: int,
                    heatmap_levels: str = 'all',
                    nms_in_graph: bool = False) -> DeployMetadata:
    """The metadata record of a graph of ``pose_estimator``."""
    head = pose_estimator.head
    codec = head.decoder
    meta = pose_estimator.dataset_meta or {}
    if codec is None:
        raise DeployError('model: the head has no decoder (codec) to take '
                          'the decoding options from')
    if 'flip_indices' not in meta:
        raise DeployError('model: dataset_meta has no flip_indices (load a '
                          'checkpoint with its dataset_meta, or a config '
                          'with a dataset)')
    num_keypoints = head.num_keypoints
    names = meta.get('keypoint_id2name') or {}
    decode = codec.decode_options(num_keypoints)
    return DeployMetadata(
        num_keypoints=num_keypoints,
        keypoint_names=[str(names.get(i, i)) for i in range(num_keypoints)],
        flip_indices=[int(i) for i in meta['flip_indices']],
        flip_test=bool(flip_test),
        scales=[float(s) for s in scales],
        input_names=[_input_name(float(s)) for s in scales],
        input_size=int(input_size),
        fixed_input_hw=list(fixed_input_hw) if fixed_input_hw else None,
        heatmap_levels=heatmap_levels,
        decode=decode.to_dict(),
        nms_in_graph=bool(nms_in_graph))


def _example_inputs(metadata: DeployMetadata,
                   shape_hw: Tuple[int, int]) -> Tuple[Tensor, ...]:
    """Random uint8 images for tracing: (1, H, W, 3) at scale 1, the other
    views scaled by ``s / 1`` as the original resize makes them."""
    h, w = shape_hw
    gen = torch.Generator().manual_seed(0)
    return tuple(
        torch.randint(0, 256, (1, int(h * s), int(w * s), 3),
                      dtype=torch.uint8, generator=gen)
        for s in metadata.scales)


def export_onnx(pose_estimator: nn.Module,
                out_file: str,
                scales: Sequence[float] = (1.0, ),
                flip_test: bool = True,
                dynamic: bool = True,
                shape_hw: Optional[Tuple[int, int]] = None,
                opset: int = 17,
                input_size: Optional[int] = None,
                heatmap_levels: str = 'all',
                nms_in_graph: bool = False) -> DeployMetadata:
    """Write ``pose_estimator`` as one ONNX graph with its metadata.

    Args:
        pose_estimator: the model (eval mode is set here), on CPU.
        out_file (str): the ``.onnx`` file to write.
        scales (Sequence[float]): test scales (one graph input each); e.g.
            ``(2, 1, 0.5)`` for the paper's multi-scale test.
        flip_test (bool): include the flip pass.
        dynamic (bool): batch, height and width dynamic (any size the
            original resize gives); else fixed at ``shape_hw``.
        shape_hw (tuple, optional): (h, w) of the scale-1 input to trace
            with (and to fix when not ``dynamic``). Defaults to the codec's
            input size.
        opset (int): the ONNX opset.
        input_size (int, optional): ``input_size`` of the test pipeline's
            ``BottomupOriginalResize`` (:func:`test_input_size`). Defaults
            to the codec's shorter input side.
        heatmap_levels (str): see :meth:`HigherHRNetHead.aggregate`.
        nms_in_graph (bool): also output the max-pool NMS'd heatmaps (with
            the decoder's ``nms_kernel``); the runtime then takes the
            decoder's peaks from them.

    Returns:
        DeployMetadata: what was written into ``metadata_props``.
    """
    shape_hw, input_size = _check_export(pose_estimator, scales, shape_hw,
                                         opset, input_size)
    metadata = deploy_metadata(pose_estimator, scales, flip_test,
                               None if dynamic else tuple(shape_hw),
                               input_size, heatmap_levels, nms_in_graph)
    graph = ExportableHigherHRNet(
        pose_estimator.eval(), metadata.flip_indices, scales, flip_test,
        heatmap_levels,
        metadata.decode['nms_kernel'] if nms_in_graph else None).eval()
    _trace_to_file(graph, _example_inputs(metadata, shape_hw), metadata,
                   out_file, _dynamic_axes(metadata) if dynamic else None,
                   opset)
    return metadata


def _check_export(pose_estimator: nn.Module, scales: Sequence[float],
                  shape_hw: Optional[Tuple[int, int]], opset: int,
                  input_size: Optional[int]) -> Tuple[Tuple[int, int], int]:
    """``(shape_hw, input_size)`` with the codec's defaults filled in, or a
    one-line error for an opset this ``onnx`` lacks or a size that is not a
    multiple of 64 at some scale."""
    import onnx
    codec = pose_estimator.head.decoder
    if codec is not None:
        if shape_hw is None:
            shape_hw = (int(codec.input_size[1]), int(codec.input_size[0]))
        if input_size is None:
            input_size = min(codec.input_size)
    if not _MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise DeployError(
            f'--opset: {opset} is outside {_MIN_OPSET}..'
            f'{onnx.defs.onnx_opset_version()} (onnx {onnx.__version__})')
    for s in scales:
        if any((v * s) % 64 for v in shape_hw):
            raise DeployError(f'--shape: {shape_hw[0]}x{shape_hw[1]} at scale '
                              f'{s:g} is not a multiple of 64')
    return shape_hw, input_size


def _dynamic_axes(metadata: DeployMetadata) -> dict:
    """Batch, height and width of every input and output, named."""
    axes = {name: {0: 'batch', 1: f'{name}_height', 2: f'{name}_width'}
            for name in metadata.input_names}
    axes.update({name: {0: 'batch', 2: 'height', 3: 'width'}
                 for name in metadata.output_names})
    return axes


def _trace_to_file(graph: nn.Module, inputs: Tuple[Tensor, ...],
                   metadata: DeployMetadata, out_file: str,
                   dynamic_axes: Optional[dict], opset: int) -> None:
    """Trace ``graph`` on ``inputs`` to ONNX and write it with
    ``metadata`` (:func:`.graph_file.save_graph`)."""
    import onnx
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad(), \
            warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        # the head's Python branches on static channel counts
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # the TorchScript exporter: it traces the head's size arithmetic
        # as shape ops, which keeps H and W dynamic without constraints
        traced = os.path.join(tmp, 'graph.onnx')
        torch.onnx.export(
            graph, inputs, traced, dynamo=False,
            input_names=metadata.input_names,
            output_names=list(metadata.output_names),
            dynamic_axes=dynamic_axes,
            opset_version=opset)
        save_graph(onnx.load(traced), metadata, out_file)
