"""Dense maps whose max-pool NMS was computed by the exported graph
(``--nms-in-graph``), for the decoder of the torch-free runtime."""
from typing import Tuple

import numpy as np

from ..core.dense_maps import NumpyMaps


class GraphNmsMaps(NumpyMaps):
    """:class:`NumpyMaps` that answer the decoder's NMS questions
    (:meth:`peaks`, :meth:`nms_row`) from the graph's ``nms_heatmaps``.

    The graph's map is ``det * (max_pool(det) == det)`` with the same kernel
    and clipped windows as :meth:`NumpyMaps.nms_row`, and a pixel above a
    threshold ``>= 0`` survives it exactly where :meth:`NumpyMaps.peaks`
    keeps it, so the decoder finds the same people.

    Args:
        heatmaps: (K, H, W) float32 aggregated heatmaps.
        tags: (K, H, W, T) float32 stacked tags.
        nms_heatmaps: (K, H, W) float32, the graph's NMS of ``heatmaps``.
        nms_kernel: the kernel the graph was exported with.
    """

    def __init__(self, heatmaps: np.ndarray, tags: np.ndarray,
                 nms_heatmaps: np.ndarray, nms_kernel: int = 5) -> None:
        super().__init__(heatmaps, tags, nms_kernel)
        shape = (self.num_joints, self.height, self.width)
        if nms_heatmaps.shape != shape:
            raise ValueError(
                f'nms_heatmaps {tuple(nms_heatmaps.shape)} is not the shape '
                f'of the heatmaps {shape}')
        self._nms = np.ascontiguousarray(nms_heatmaps,
                                         dtype=np.float32).reshape(
                                             self.num_joints, -1)

    def peaks(self, threshold: float
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Joint, flat (int64) and value (float32) of the NMS survivors
        above ``threshold`` (>= 0), sorted by joint and flat index."""
        size = self.height * self.width
        g = np.flatnonzero(self._nms.reshape(-1) > threshold)
        return g // size, g % size, self._det.reshape(-1)[g]

    def nms_row(self, joint: int) -> np.ndarray:
        """(H * W,) the graph's NMS'd map of one joint."""
        return self._nms[joint].copy()
