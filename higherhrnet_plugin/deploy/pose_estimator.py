"""Bottom-up pose estimation with an exported graph, without torch.

Imports numpy, OpenCV (and Pillow, to read image headers), the chosen engine
(ONNX Runtime or OpenVINO) and the plugin's numpy-only modules: the original
test resize, the decoder and the COCO result records. No torch and no
OpenMMLab package.
"""
import os
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from ..core.dense_maps import DenseMaps, NumpyMaps
from ..core.errors import InferenceError
from ..core.grouping import DecodeOptions, decode_maps
from ..core.image_files import read_image
from ..core.prediction import Prediction
from ..core.resize_geometry import get_final_preds, resize_align_multi_scale
from .backends import load_backend
from .graph_nms_maps import GraphNmsMaps
from .metadata import DeployError, DeployMetadata


def graph_inputs(img: np.ndarray, meta: DeployMetadata
                 ) -> Tuple[Dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """The inputs of the graph described by ``meta`` for one BGR uint8
    (H, W, 3) image (each (1, H_s, W_s, 3) uint8, the original test resize
    at its scale), and the scale-1 view's center and scale (200 px
    units)."""
    feeds, center, scale = {}, None, None
    for s, name in zip(meta.scales, meta.input_names):
        resized, c, sc = resize_align_multi_scale(img, meta.input_size, s,
                                                  meta.min_scale)
        if meta.fixed_input_hw is not None and \
                list(resized.shape[:2]) != list(meta.fixed_input_hw):
            raise DeployError(
                f'model: exported for {meta.fixed_input_hw[0]}x'
                f'{meta.fixed_input_hw[1]} (h x w) inputs, this image '
                f'needs {resized.shape[0]}x{resized.shape[1]}: export '
                'with --dynamic')
        feeds[name] = np.ascontiguousarray(resized[None])
        if s == 1:
            center, scale = c, sc
    return feeds, center, scale


def _check_precision(meta: DeployMetadata, precision: str,
                    source: str) -> None:
    """Refuse in one line to run the graph of ``meta`` in ``precision``
    other than its own: an int8 graph runs as ``int8`` only, and ``int8``
    needs a quantized graph (``bf16`` executes an fp32 graph in bf16)."""
    if meta.precision == 'int8' and precision != 'int8':
        raise DeployError(
            f'{source}: an int8 graph (quantized from '
            f'{meta.calibration_images} calibration images), not '
            f"{precision}: run it with precision 'int8'")
    if meta.precision == 'fp32' and precision == 'int8':
        raise DeployError(
            f"{source}: an fp32 graph; precision 'int8' runs a graph "
            'quantized by tools/deployment/quantize.py')


class OnnxPoseEstimator:
    """People in an image, from a graph written by
    ``tools/deployment/export_onnx.py``.

    For each of the graph's views (its ``scales``: ``(1, )``, or e.g.
    ``(2, 1, 0.5)`` for the multi-scale test) the image is warped with the
    original test resize; the graph normalises, runs the network with its
    flip pass and aggregates the views (:meth:`HigherHRNetHead.aggregate`);
    the decoder of :class:`AssociativeEmbeddingCodec` groups the people
    (taking its peaks from the graph's NMS output when the graph has one,
    ``--nms-in-graph``), and they are mapped back to image pixels as the
    original ``get_final_preds``.

    Args:
        model (str): the exported ONNX file; its metadata says everything
            else (keypoints, flip indices, resize rule, decode options).
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        threads (int, optional): the engine's intra-op threads.
        precision (str): ``'fp32'`` (an exported graph, as it is),
            ``'int8'`` (a graph of ``tools/deployment/quantize.py``: its
            convolutions in int8, preprocessing, flip-back and aggregation
            in fp32) or ``'bf16'`` (the network of an fp32 graph in
            bfloat16, its flip-back and aggregation in fp32: OpenVINO on a
            CPU with bf16 execution). The graph's metadata says its
            precision; a mismatch is refused in one line.

    Example:
        >>> estimator = OnnxPoseEstimator('higherhrnet_w32.onnx')
        >>> people = estimator('000000000785.jpg')
        >>> people.keypoints.shape  # (N, K, 2), image pixels
    """

    def __init__(self, model: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None, precision: str = 'fp32'):
        self.engine = load_backend(os.fspath(model), backend, threads,
                                   precision)
        self.metadata = DeployMetadata.from_json(self.engine.metadata,
                                                 os.fspath(model))
        _check_precision(self.metadata, precision, os.fspath(model))
        self.precision = precision
        if sorted(self.engine.input_names) != sorted(
                self.metadata.input_names):
            raise DeployError(
                f'{model}: graph inputs {self.engine.input_names} are not '
                f'those of its metadata {self.metadata.input_names}')
        self.backend = backend
        try:
            self.decode_options = DecodeOptions(**self.metadata.decode)
        except (TypeError, ValueError) as e:
            raise DeployError(f'{model}: the decode options of its metadata '
                              f'are not valid: {e}')

    def prepare(self, img: np.ndarray
                ) -> Tuple[Dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """The graph's inputs for one BGR uint8 (H, W, 3) image, and the
        scale-1 view's center and scale (200 px units): :func:`graph_inputs`.
        """
        return graph_inputs(img, self.metadata)

    def run(self, feeds: Dict[str, np.ndarray]) -> List[np.ndarray]:
        """The graph on the inputs of one image (:meth:`prepare`): heatmaps
        (K, H, W) and tags (K, H, W, T) at the scale-1 input size, then the
        NMS'd heatmaps (K, H, W) if the graph has them."""
        return [o[0] for o in self.engine(feeds, self.metadata.output_names)]

    def dense_maps(self, outputs: List[np.ndarray]) -> DenseMaps:
        """The decoder's view of :meth:`run`'s outputs."""
        if self.metadata.nms_in_graph:
            return GraphNmsMaps(*outputs, self.decode_options.nms_kernel)
        return NumpyMaps(*outputs, self.decode_options.nms_kernel)

    def decode(self, maps: DenseMaps
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The codec's decoder: keypoints (N, K, 2) in input pixels,
        keypoint scores (N, K) and person scores (N,)."""
        return decode_maps(maps, self.decode_options)

    def predict(self, img: np.ndarray, path: str = '') -> Prediction:
        """The people of one BGR uint8 (H, W, 3) image, in its pixels
        (``predict`` of :func:`~higherhrnet_plugin.apis.folder_inference.
        infer_images`)."""
        feeds, center, scale = self.prepare(img)
        maps = self.dense_maps(self.run(feeds))
        keypoints, keypoint_scores, instance_scores = self.decode(maps)
        # heatmap pixels are input pixels: the graph projects to the input
        size = (maps.width, maps.height)
        keypoints = get_final_preds(keypoints, center, scale, size)
        return Prediction(keypoints, keypoint_scores, instance_scores)

    def __call__(self, image: Union[str, os.PathLike, np.ndarray]
                 ) -> Prediction:
        """The people of an image file or a BGR uint8 (H, W, 3) array."""
        if isinstance(image, np.ndarray):
            if image.dtype != np.uint8 or image.ndim != 3 or \
                    image.shape[2] != 3:
                raise InferenceError(
                    f'image: expected a BGR uint8 (H, W, 3) array, got '
                    f'{image.dtype} {tuple(image.shape)}')
            return self.predict(image)
        path = os.fspath(image)
        if not os.path.isfile(path):
            raise InferenceError(f'image: no such file {path!r}')
        try:
            img, factors = read_image(path)
        except InferenceError as e:
            raise InferenceError(f'image: {path!r}: {e}')
        pred = self.predict(img, path)
        return pred._replace(keypoints=pred.keypoints * np.array(factors))
