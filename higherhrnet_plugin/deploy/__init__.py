"""HigherHRNet outside PyTorch.

- :class:`OnnxPoseEstimator`: the runtime (numpy, OpenCV, ONNX Runtime or
  OpenVINO; no torch, no OpenMMLab package): image -> people, in fp32, bf16
  (OpenVINO on a CPU with bf16) or int8 (a quantized graph).
- :mod:`.export`: the ONNX export (needs the full stack; imported by
  ``tools/deployment/export_onnx.py``, not here).
- :mod:`.quantization`: post-training INT8 quantization of an exported
  graph (needs ``onnx``; imported by ``tools/deployment/quantize.py``).
- :mod:`.metadata`: what the graph carries for the runtime.
"""
from .metadata import PRECISIONS, DeployError, DeployMetadata
from .pose_estimator import OnnxPoseEstimator

__all__ = ['DeployError', 'DeployMetadata', 'OnnxPoseEstimator', 'PRECISIONS']
