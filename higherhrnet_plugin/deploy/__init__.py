"""HigherHRNet outside PyTorch.

- :class:`OnnxPoseEstimator`: the runtime (numpy, OpenCV, ONNX Runtime or
  OpenVINO; no torch, no OpenMMLab package): image -> people.
- :mod:`.export`: the ONNX export (needs the full stack; imported by
  ``tools/deployment/export_onnx.py``, not here).
- :mod:`.metadata`: what the graph carries for the runtime.
"""
from .metadata import DeployError, DeployMetadata
from .pose_estimator import OnnxPoseEstimator

__all__ = ['DeployError', 'DeployMetadata', 'OnnxPoseEstimator']
