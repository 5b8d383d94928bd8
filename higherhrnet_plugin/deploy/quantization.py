"""Post-training static INT8 quantization of an exported graph.

ONNX Runtime's ``quantize_static`` (QDQ format) quantizes the graph's
convolutions (``Conv``, ``ConvTranspose``): per-channel int8 weights,
uint8 activations whose ranges come from calibration images fed as the
runtime feeds them (uint8 NHWC BGR, the original test resize of each of the
graph's scales: :func:`~.pose_estimator.graph_inputs`). Every other op (the
normalisation, the flip-back, the aggregation, the optional NMS) stays
float32. The quantized graph's metadata says ``precision='int8'`` and how
many images calibrated it, and :class:`~.OnnxPoseEstimator` runs it with
``precision='int8'`` on ONNX Runtime or OpenVINO.

Needs ``onnx`` and ``onnxruntime`` (not torch); imported by
``tools/deployment/quantize.py``, not by :mod:`higherhrnet_plugin.deploy`.
"""
import os
import tempfile
from dataclasses import replace
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import numpy as np

from ..core.errors import InferenceError
from ..core.image_files import read_image
from .graph_file import save_graph
from .metadata import METADATA_KEY, DeployError, DeployMetadata
from .pose_estimator import graph_inputs

#: the op types quantized; everything else stays float32
QUANTIZED_OPS = ('Conv', 'ConvTranspose')


class _CalibrationImages:
    """ONNX Runtime's ``CalibrationDataReader`` protocol over image files:
    ``get_next()`` gives the next image's graph inputs, ``None`` at the end.

    Args:
        files (Sequence[str]): the calibration images.
        metadata (DeployMetadata): the fp32 graph's record (its scales,
            input names and test resize).
        progress (callable, optional): called once per image read.
    """

    def __init__(self, files: Sequence[str], metadata: DeployMetadata,
                 progress: Optional[Callable[[], None]] = None):
        self.files = list(files)
        self.metadata = metadata
        self.progress = progress
        self._feeds = self._iterate()

    def _iterate(self) -> Iterator[Dict[str, np.ndarray]]:
        for path in self.files:
            try:
                img, _ = read_image(path)
            except InferenceError as e:
                raise DeployError(f'--calib-images: {path!r}: {e}')
            yield graph_inputs(img, self.metadata)[0]
            if self.progress is not None:
                self.progress()

    def get_next(self) -> Optional[Dict[str, np.ndarray]]:
        return next(self._feeds, None)

    def rewind(self) -> None:
        self._feeds = self._iterate()


def quantize_graph(model_file: str, out_file: str,
                   calib_files: Sequence[str],
                   exclude_nodes: Sequence[str] = (),
                   progress: Optional[Callable[[], None]] = None
                   ) -> DeployMetadata:
    """Write ``model_file`` (an fp32 graph of ``export_onnx``) to
    ``out_file`` with its convolutions quantized to int8.

    Args:
        model_file (str): the fp32 ONNX graph.
        out_file (str): the int8 graph to write (only when complete).
        calib_files (Sequence[str]): calibration images (BGR files).
        exclude_nodes (Sequence[str]): node names left in float32.
        progress (callable, optional): called once per calibration image.

    Returns:
        DeployMetadata: the int8 graph's record.
    """
    import onnx
    if not calib_files:
        raise DeployError('--calib-images: no calibration images')
    metadata = _fp32_metadata(onnx.load(model_file), model_file)
    with tempfile.TemporaryDirectory() as tmp:
        quantized_file = os.path.join(tmp, 'int8.onnx')
        settings = _quantize(model_file, quantized_file, tmp,
                             _CalibrationImages(calib_files, metadata,
                                               progress), exclude_nodes)
        quantized = onnx.load(quantized_file)
    result = replace(metadata, precision='int8',
                     calibration_images=len(calib_files),
                     quantization=settings)
    save_graph(quantized, result, out_file)
    return result


def _quantize(model_file: str, out_file: str, tmp: str, reader,
              exclude_nodes: Sequence[str]) -> Dict[str, object]:
    """ONNX Runtime's pre-processing and ``quantize_static``; returns the
    settings (for the metadata)."""
    import onnxruntime
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quant_pre_process,
                                          quantize_static)

    # folds the exporter's Constant/Identity nodes into initializers, so
    # the conv biases are quantized with their convs
    prepared = os.path.join(tmp, 'prepared.onnx')
    quant_pre_process(model_file, prepared, skip_symbolic_shape=True)
    quantize_static(
        prepared, out_file, reader, quant_format=QuantFormat.QDQ,
        op_types_to_quantize=list(QUANTIZED_OPS), per_channel=True,
        # uint8 activations, int8 weights, full range: ONNX Runtime's
        # guide for x86 CPUs with VNNI
        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        nodes_to_exclude=list(exclude_nodes) or None,
        calibrate_method=CalibrationMethod.MinMax)
    return dict(
        engine=f'onnxruntime {onnxruntime.__version__} quantize_static '
        '(QDQ)', op_types=list(QUANTIZED_OPS), per_channel=True,
        activations='uint8', weights='int8', calibration='MinMax',
        excluded_nodes=list(exclude_nodes))


def _fp32_metadata(model, source: str) -> DeployMetadata:
    entries = {p.key: p.value for p in model.metadata_props}
    metadata = DeployMetadata.from_json(entries.get(METADATA_KEY), source)
    if metadata.precision != 'fp32':
        raise DeployError(f'{source}: already {metadata.precision} '
                          '(quantize the fp32 graph of export_onnx.py)')
    return metadata


def _conv_nodes(model) -> List[str]:
    """The names of the quantizable nodes of a loaded model, in graph order
    (for ``exclude_nodes``)."""
    return [n.name for n in model.graph.node if n.op_type in QUANTIZED_OPS]
