# Copyright (c) OpenMMLab. All rights reserved.
"""Test-time heatmap/tag aggregation of the original HigherHRNet.

Mirrors ``get_multi_stage_outputs`` and ``aggregate_results`` of the original
``lib/core/inference.py`` (with ``PROJECT2IMAGE=True``), keeping the order of
floating-point operations:

* per pass: every level but the last is resized (bilinear,
  ``align_corners=False``) to the last level's size; a flip pass is flipped
  back horizontally *after* that resize; heatmaps are the running sum
  ``level0 + level1`` divided by the number of levels, with the flip pass's
  joints swapped by ``flip_indices``; tags come from the levels that carry
  them (channels after the heatmaps), swapped likewise;
* every pass's heatmaps and tags are resized to the scale-1 input size
  ``(w, h)``;
* per scale ``(plain + flip) / 2.0``, summed over scales (largest scale
  first) and divided by the number of scales;
* tags of the scale-1 passes (plain, then flipped) are stacked on a new last
  axis (as the original, which only keeps the tags when ``scale == 1`` or a
  single scale is used).
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _resize(x: Tensor, size_hw: Tuple[int, int]) -> Tensor:
    return F.interpolate(x, size=size_hw, mode='bilinear', align_corners=False)


def aggregate_levels(outputs: Sequence[Tensor],
                     num_joints: int,
                     flip_indices: Optional[Sequence[int]] = None,
                     with_heatmaps: Sequence[bool] = (True, True),
                     with_tags: Sequence[bool] = (True, False)
                     ) -> Tuple[Tensor, List[Tensor]]:
    """One pass (plain, or flipped when ``flip_indices`` is given).

    Args:
        outputs: raw network outputs per level, e.g. ``[(N, 2K, h, w),
            (N, K, 2h, 2w)]`` (for a flip pass: as the network gives them on
            the flipped input).
        num_joints: K.
        flip_indices: joint permutation for the flip pass; None for the
            plain pass.
        with_heatmaps / with_tags: which levels carry heatmaps (first K
            channels) / tags (the channels after the heatmaps).

    Returns:
        heatmaps (N, K, H, W) at the last level's size, and the list of tag
        maps (N, K, H, W) in level order.
    """
    last = outputs[-1]
    size = (last.shape[2], last.shape[3])
    heatmaps_sum = 0
    num = 0
    tags = []
    for i, output in enumerate(outputs):
        if len(outputs) > 1 and i != len(outputs) - 1:
            output = _resize(output, size)
        if flip_indices is not None:
            output = torch.flip(output, [3])
        offset = num_joints if with_heatmaps[i] else 0
        if with_heatmaps[i]:
            hm = output[:, :num_joints]
            if flip_indices is not None:
                hm = hm[:, list(flip_indices)]
            heatmaps_sum = heatmaps_sum + hm
            num += 1
        if with_tags[i]:
            tg = output[:, offset:]
            if flip_indices is not None and tg.shape[1] == num_joints:
                tg = tg[:, list(flip_indices)]
            tags.append(tg)
    return heatmaps_sum / num, tags


def aggregate_scales(passes: Sequence[Sequence[Sequence[Tensor]]],
                     scales: Sequence[float],
                     base_size: Tuple[int, int],
                     num_joints: int,
                     flip_indices: Optional[Sequence[int]] = None,
                     with_heatmaps: Sequence[bool] = (True, True),
                     with_tags: Sequence[bool] = (True, False),
                     tags_from_all_scales: bool = False
                     ) -> Tuple[Tensor, Tensor]:
    """Full multi-scale (and flip) aggregation.

    Args:
        passes: per scale (same order as ``scales``, which the original
            iterates from the largest down), the passes ``(outputs,)`` or
            ``(outputs, flip_outputs)``; each ``outputs`` is the list of level
            outputs of the network.
        scales: the test scale factors, e.g. ``[2, 1, 0.5]``.
        base_size: (w, h) of the network input at scale 1; everything is
            projected to this size.
        flip_indices: required when flip passes are given.
        tags_from_all_scales: keep the tags of every scale (the original
            keeps those of scale 1 only, or of the single scale).

    Returns:
        heatmaps (N, K, h, w) and tags (N, K, h, w, T) where T is the number
        of kept tag maps (2 with flip test).
    """
    size = (int(base_size[1]), int(base_size[0]))
    final = None
    tags_list = []
    for s, scale_passes in zip(scales, passes):
        heatmaps = []
        tags = []
        for p, outputs in enumerate(scale_passes):
            hm, tg = aggregate_levels(outputs, num_joints,
                                      flip_indices if p > 0 else None,
                                      with_heatmaps, with_tags)
            heatmaps.append(hm)
            tags.extend(tg)
        heatmaps = [_resize(h, size) for h in heatmaps]
        tags = [_resize(t, size) for t in tags]
        if s == 1 or len(scales) == 1 or tags_from_all_scales:
            tags_list.extend(t.unsqueeze(4) for t in tags)
        avg = (heatmaps[0] + heatmaps[1]) / 2.0 if len(heatmaps) > 1 \
            else heatmaps[0]
        final = avg if final is None else final + avg
    final = final / float(len(scales))
    return final, torch.cat(tags_list, dim=4)
