"""Network outputs that look like a trained network's, for timing the
decoder behind a network with random weights.

A reference vector of ``../shared/reference`` (``flip_<image>.npz``, see
its README) holds raw outputs rendered from the ground-truth poses of one
shared COCO image: Gaussian peaks of varying height, low distractor peaks
and a smooth tag field with one value per person, for the image and its
flip, at the input size of the original test resize. A trained network's
decoder cost comes from such maps; a random network's maps are peaks almost
everywhere (hundreds of candidate people), which no trained network gives.
"""
import os.path as osp
from typing import List, NamedTuple, Tuple

import numpy as np
import torch
from torch import Tensor


class RenderedMaps(NamedTuple):
    """One image's rendered outputs, raw and aggregated.

    Attributes:
        outputs (list[Tensor]): the head's levels on the image,
            (1, 2K, H/4, W/4) and (1, K, H/2, W/2).
        flip_outputs (list[Tensor]): the same on its flip, as a network
            gives them (not flipped back).
        heatmaps (Tensor): (1, K, H, W), aggregated by the model's head.
        tags (Tensor): (1, K, H, W, 2), likewise.
    """
    outputs: List[Tensor]
    flip_outputs: List[Tensor]
    heatmaps: Tensor
    tags: Tensor

    @property
    def input_hw(self) -> Tuple[int, int]:
        return tuple(self.heatmaps.shape[2:])


def load_rendered_maps(path: str, head, flip_indices) -> RenderedMaps:
    """The scale-1 outputs of the reference vector ``path``, aggregated by
    ``head.aggregate`` (:class:`HigherHRNetHead`) with the flip test.

    Raises:
        ValueError: one line, for a file that is not a single-scale
            reference vector with ``head``'s keypoints.
    """
    from ..models.utils.heatmap_aggregation import TestView
    if not osp.isfile(path):
        raise ValueError(f'--rendered-maps: no such file {path!r}')
    data = np.load(path, allow_pickle=False)
    keys = [f's1_{name}_{i}' for name in ('outputs', 'flip_outputs')
            for i in (0, 1)]
    if any(k not in data.files for k in keys + ['s1_input_size']):
        raise ValueError(f'--rendered-maps: {path!r} is not a flip '
                         'reference vector (no s1_outputs_0 ...)')
    levels = [torch.from_numpy(np.asarray(data[k], np.float32))
              for k in keys]
    if levels[1].shape[1] != head.num_keypoints:
        raise ValueError(f'--rendered-maps: {path!r} has '
                         f'{levels[1].shape[1]} keypoints, the model '
                         f'{head.num_keypoints}')
    input_wh = tuple(int(v) for v in data['s1_input_size'])
    with torch.no_grad():
        heatmaps, tags = head.aggregate(
            [TestView(1.0, levels[:2], levels[2:])], input_wh,
            list(flip_indices))
    return RenderedMaps(levels[:2], levels[2:], heatmaps, tags)
