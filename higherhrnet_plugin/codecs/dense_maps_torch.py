# Copyright (c) OpenMMLab. All rights reserved.
"""The decoder's dense stages on the model's device.

:class:`TorchMaps` answers the questions of :class:`~higherhrnet_plugin.core.dense_maps.NumpyMaps`
with torch operations on the tensors' own device: the max-pool NMS and the
peaks above the detection threshold, gathers at given pixels. Only those
small results (and, for the rare ties and for refine, one joint's full
map) are copied to the host. The
answers are the same numbers as the numpy path's (max-pool, comparisons
and gathers are exact), which ``tests/test_codecs/test_decoder.py`` checks
on the CPU.
"""
from typing import Dict, Tuple

import numpy as np
import torch
import torch.nn.functional as F


class TorchMaps:
    """Dense maps of one image as tensors on any device.

    Args:
        heatmaps: (K, H, W) aggregated heatmaps.
        tags: (K, H, W, T) stacked tags ((K, H, W) is T = 1), or
            (1, H, W, T): one tag map that every joint reads.
        nms_kernel: the max-pool NMS kernel (odd).
    """

    def __init__(self, heatmaps: torch.Tensor, tags: torch.Tensor,
                 nms_kernel: int = 5) -> None:
        heatmaps = heatmaps.detach().float()
        tags = tags.detach().float()
        if tags.dim() == 3:
            tags = tags[..., None]
        if heatmaps.dim() == 3 and tags.dim() == 4 and tags.shape[0] == 1 \
                and tags.shape[1:3] == heatmaps.shape[1:]:
            # one tag map for all joints, as NumpyMaps
            tags = tags.expand(heatmaps.shape[0], -1, -1, -1)
        if heatmaps.dim() != 3 or tuple(tags.shape[:3]) != tuple(
                heatmaps.shape):
            raise ValueError(
                f'heatmaps (K, H, W) and tags (K, H, W, T) or (1, H, W, T) '
                f'expected, got {tuple(heatmaps.shape)} and '
                f'{tuple(tags.shape)}')
        self.num_joints, self.height, self.width = heatmaps.shape
        self.tag_dim = int(tags.shape[3])
        self.nms_kernel = int(nms_kernel)
        self.device = heatmaps.device
        self._det = heatmaps.reshape(self.num_joints, -1)
        self._tag = tags.reshape(self.num_joints, -1, self.tag_dim)
        self._nms = None
        self._rows: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}

    def _nms_maps(self) -> torch.Tensor:
        if self._nms is None:
            det = self._det.reshape(self.num_joints, self.height, self.width)
            pad = (self.nms_kernel - 1) // 2
            pooled = F.max_pool2d(det[None], self.nms_kernel, 1, pad)[0]
            self._nms = (det * torch.eq(pooled, det).float()).reshape(
                self.num_joints, -1)
        return self._nms

    def _index(self, a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a, dtype=np.int64),
                               device=self.device)

    def peaks(self, threshold: float
              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """NMS peaks above ``threshold`` (>= 0): joint, flat (int64) and
        value (float32), sorted by joint and then flat index."""
        nms = self._nms_maps()
        jj, ff = torch.nonzero(nms > threshold, as_tuple=True)
        vv = nms[jj, ff]
        return jj.cpu().numpy(), ff.cpu().numpy(), vv.cpu().numpy()

    def nms_row(self, joint: int) -> np.ndarray:
        """(H * W,) ``det * (max_pool(det) == det)`` of one joint."""
        return self._nms_maps()[joint].cpu().numpy()

    def values_at(self, joint: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """(N,) heatmap values at (joint, flat) pairs."""
        return self._det[self._index(joint), self._index(flat)].cpu().numpy()

    def tags_at(self, joint: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """(N, T) tags at (joint, flat) pairs."""
        return self._tag[self._index(joint), self._index(flat)].cpu().numpy()

    def row(self, joint: int) -> Tuple[np.ndarray, np.ndarray]:
        """One joint's full (H * W,) values and (H * W, T) tags (copied to
        the host once)."""
        if joint not in self._rows:
            self._rows[joint] = (self._det[joint].cpu().numpy(),
                                 self._tag[joint].cpu().numpy())
        return self._rows[joint]
