"""Let ``torch.load(weights_only=True)`` read MMPose checkpoints.

MMEngine stores the dataset meta in every checkpoint; MMPose's holds numpy
arrays of ``uint8`` (keypoint and link colours) and ``float32`` (OKS
sigmas, joint weights). ``onedl-mmengine`` loads checkpoints weights-only
with an allow-list of MMEngine's own types, which lacks those two numpy
dtype classes, so every MMPose checkpoint failed the safe load and was
re-read with ``weights_only=False`` (a warning in the log). Allowing the
two dtype classes (plain data types, nothing callable) keeps the load
weights-only; nothing else is added to the allow-list.
"""
import numpy as np
import torch

MMPOSE_META_DTYPES = (np.dtypes.UInt8DType, np.dtypes.Float32DType)


def allow_mmpose_meta_dtypes():
    """Add :data:`MMPOSE_META_DTYPES` to torch's weights-only allow-list."""
    torch.serialization.add_safe_globals(list(MMPOSE_META_DTYPES))
