"""One image's people, as every backend returns them."""
from typing import Any, NamedTuple, Optional

import numpy as np


class Prediction(NamedTuple):
    """One image's people: ``keypoints`` (N, K, 2) in the pixels of the
    image given to ``predict``, ``keypoint_scores`` (N, K),
    ``instance_scores`` (N, ) or None, and the backend's own result
    (``sample``, e.g. a ``PoseDataSample``) for its ``draw``."""
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    instance_scores: Optional[np.ndarray] = None
    sample: Any = None
