# Copyright (c) OpenMMLab. All rights reserved.
"""The dense stages of the decoder on numpy arrays (no torch).

:class:`DenseMaps` is what the decoder asks of one image's aggregated maps.
:class:`NumpyMaps` holds them on the CPU and answers every question: the NMS peaks
above the detection threshold, one joint's full NMS'd row (for the tie
order of ``torch.topk``), values and tags at given pixels, and one
joint's full values and tags (for refine).
:class:`~higherhrnet_plugin.codecs.dense_maps_torch.TorchMaps` answers the same questions on a CUDA
device, with the same results.

Shapes: heatmaps (K, H, W), tags (K, H, W, T); a ``flat`` index is
``y * W + x`` within one joint's map.
"""
from typing import Protocol, Tuple, runtime_checkable

import numpy as np

# the 4-neighbours first: they reject most pixels of a peak's slope
_NEAR = ((0, -1), (0, 1), (-1, 0), (1, 0))


@runtime_checkable
class DenseMaps(Protocol):
    """What the decoder (:mod:`.grouping`, :mod:`.refine`) asks of one
    image's aggregated maps. :class:`NumpyMaps` answers on the CPU,
    :class:`~higherhrnet_plugin.codecs.dense_maps_torch.TorchMaps` on the
    tensors' device and
    :class:`~higherhrnet_plugin.deploy.graph_nms_maps.GraphNmsMaps` from a
    graph's NMS output, all with the same numbers.

    Attributes:
        num_joints, height, width: K, H and W of the (K, H, W) heatmaps.
        tag_dim: T of the (K, H, W, T) tags.
        nms_kernel: the max-pool NMS kernel (odd).
    """
    num_joints: int
    height: int
    width: int
    tag_dim: int
    nms_kernel: int

    def peaks(self, threshold: float
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """NMS peaks above ``threshold`` (>= 0): joint, flat (int64) and
        value (float32), sorted by joint and then flat index."""

    def nms_row(self, joint: int) -> np.ndarray:
        """(H * W,) float32 ``det * (max_pool(det) == det)`` of one joint."""

    def values_at(self, joint: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """(N,) float32 heatmap values at (joint, flat) pairs."""

    def tags_at(self, joint: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """(N, T) float32 tags at (joint, flat) pairs."""

    def row(self, joint: int) -> Tuple[np.ndarray, np.ndarray]:
        """One joint's full (H * W,) values and (H * W, T) tags."""


class NumpyMaps:
    """Dense maps of one image on the CPU.

    Args:
        heatmaps: (K, H, W) float32 aggregated heatmaps.
        tags: (K, H, W, T) float32 stacked tags, or (1, H, W, T): one tag
            map that every joint reads (``tag_per_keypoint=False``).
        nms_kernel: the max-pool NMS kernel (odd).
    """

    def __init__(self, heatmaps: np.ndarray, tags: np.ndarray,
                 nms_kernel: int = 5) -> None:
        heatmaps = np.ascontiguousarray(heatmaps, dtype=np.float32)
        tags = np.ascontiguousarray(tags, dtype=np.float32)
        if tags.ndim == 3:
            tags = tags[..., None]
        if heatmaps.ndim == 3 and tags.ndim == 4 and tags.shape[0] == 1 \
                and tags.shape[1:3] == heatmaps.shape[1:]:
            # one tag map for all joints (the original's TAG_PER_JOINT:
            # False): every joint reads it, as the original's expand
            tags = np.broadcast_to(tags, heatmaps.shape + tags.shape[3:])
        if heatmaps.ndim != 3 or tags.shape[:3] != heatmaps.shape:
            raise ValueError(
                f'heatmaps (K, H, W) and tags (K, H, W, T) or (1, H, W, T) '
                f'expected, got {tuple(heatmaps.shape)} and '
                f'{tuple(tags.shape)}')
        self.num_joints, self.height, self.width = heatmaps.shape
        self.tag_dim = tags.shape[3]
        self.nms_kernel = int(nms_kernel)
        self._det = heatmaps.reshape(self.num_joints, -1)
        self._tag = tags.reshape(self.num_joints, -1, self.tag_dim)

    def peaks(self, threshold: float
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """NMS peaks above ``threshold`` (>= 0): pixels above it that equal
        the maximum of their ``nms_kernel`` window (clipped to the map), as
        ``det * (max_pool(det) == det)`` keeps them.

        Returns:
            joint, flat (int64) and value (float32), sorted by joint and
            then flat index.
        """
        H, W = self.height, self.width
        det = self._det.reshape(-1)
        g = np.flatnonzero(det > threshold)
        v = det[g]
        p = g % (H * W)
        y, x = p // W, p % W
        pad = (self.nms_kernel - 1) // 2
        far = [(dy, dx) for dy in range(-pad, pad + 1)
               for dx in range(-pad, pad + 1)
               if (dy, dx) != (0, 0) and (dy, dx) not in _NEAR]
        offsets = [o for o in _NEAR if max(abs(o[0]), abs(o[1])) <= pad]
        for group in (offsets, far):
            keep = np.ones(g.shape, dtype=bool)
            for dy, dx in group:
                ok = (y + dy >= 0) & (y + dy < H) & (x + dx >= 0) & \
                    (x + dx < W)
                nb = det[np.where(ok, g + dy * W + dx, g)]
                keep &= ~(nb > v)
            g, v, y, x = g[keep], v[keep], y[keep], x[keep]
        return g // (H * W), g % (H * W), v

    def nms_row(self, joint: int) -> np.ndarray:
        """(H * W,) ``det * (max_pool(det) == det)`` of one joint, the map
        the original's ``topk`` runs on."""
        x = self._det[joint].reshape(self.height, self.width)
        pad = (self.nms_kernel - 1) // 2
        m = x.copy()
        for d in range(1, pad + 1):
            np.maximum(m[:, d:], x[:, :-d], out=m[:, d:])
            np.maximum(m[:, :-d], x[:, d:], out=m[:, :-d])
        mh = m
        m = mh.copy()
        for d in range(1, pad + 1):
            np.maximum(m[d:], mh[:-d], out=m[d:])
            np.maximum(m[:-d], mh[d:], out=m[:-d])
        return (x * (m == x).astype(np.float32)).reshape(-1)

    def values_at(self, joint: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """(N,) heatmap values at (joint, flat) pairs."""
        return self._det[joint, flat]

    def tags_at(self, joint: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """(N, T) tags at (joint, flat) pairs."""
        return self._tag[joint, flat]

    def row(self, joint: int) -> Tuple[np.ndarray, np.ndarray]:
        """One joint's full (H * W,) values and (H * W, T) tags."""
        return self._det[joint], self._tag[joint]
