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
  axis (the original keeps the tags of scale 1 only, or of the single scale).

Every step is a batched tensor operation, so the same code runs in
:meth:`HigherHRNetHead.aggregate`, which the estimator's test views
(:meth:`FlipBatchBottomupPoseEstimator.forward_views`: its predict, the TTA
model and the exported ONNX graph) call.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

_HEATMAP_LEVELS = ('all', 'last')


class TestView(NamedTuple):
    """The head's raw outputs on one test view (one scale).

    Attributes:
        scale (float): the view's scale factor (1 for the base view).
        outputs (list[Tensor]): :meth:`HigherHRNetHead.forward` on the view,
            per level ``(N, C_l, h_l, w_l)``.
        flip_outputs (list[Tensor], optional): the same on the horizontally
            flipped view, as the network gives them (not flipped back).
    """
    scale: float
    outputs: List[Tensor]
    flip_outputs: Optional[List[Tensor]] = None
    __test__ = False  # a data record, not a pytest test class


def batch_input_size(batch_data_samples: Sequence) -> Tuple[int, int]:
    """The scale-1 network input size (w, h) the samples of a batch share.

    Args:
        batch_data_samples (list[PoseDataSample]): with ``input_size`` in
            their metainfo (``BottomupOriginalResize``).

    Returns:
        tuple: (w, h).
    """
    sizes = {tuple(int(v) for v in d.metainfo['input_size'])
             for d in batch_data_samples}
    assert len(sizes) == 1, (
        f'the images of a batch need one input_size, got {sorted(sizes)}')
    return sizes.pop()


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
        with_heatmaps: which levels' heatmaps (first K channels) are
            averaged.
        with_tags: which levels carry tags (the channels after the
            heatmaps).

    Returns:
        heatmaps (N, K, H, W) at the last level's size, and the list of tag
        maps (N, T_l, H, W) in level order.
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
        if with_heatmaps[i]:
            hm = output[:, :num_joints]
            if flip_indices is not None:
                hm = hm[:, list(flip_indices)]
            heatmaps_sum = heatmaps_sum + hm
            num += 1
        if with_tags[i]:
            tg = output[:, num_joints:]
            if flip_indices is not None and tg.shape[1] == num_joints:
                tg = tg[:, list(flip_indices)]
            tags.append(tg)
    return heatmaps_sum / num, tags


def aggregate_views(views: Sequence[TestView],
                    input_size: Tuple[int, int],
                    num_joints: int,
                    flip_indices: Optional[Sequence[int]] = None,
                    with_tags: Sequence[bool] = (True, False),
                    heatmap_levels: str = 'all') -> Tuple[Tensor, Tensor]:
    """Aggregate any set of test views (scales x flips) as the original.

    Args:
        views: one :class:`TestView` per scale, in any order (aggregated
            largest scale first, as the original). One scale must be 1
            unless there is a single view.
        input_size: (w, h) of the scale-1 network input; everything is
            projected to this size.
        num_joints: K.
        flip_indices: required when a view has ``flip_outputs``.
        with_tags: per level, whether it carries tags.
        heatmap_levels: ``'all'`` averages every level's heatmaps (the
            paper's heatmap aggregation); ``'last'`` uses the highest
            resolution alone (Table 4 (b)).

    Returns:
        heatmaps (N, K, H, W) and tags (N, K_t, H, W, T) at
        ``input_size``: K_t tag maps (K, or 1 without ``tag_per_keypoint``)
        and T stacked values a pixel, one per scale-1 pass (2 with flip
        test), the decoder's T.
    """
    assert views, 'aggregate_views: no views'
    assert heatmap_levels in _HEATMAP_LEVELS, (
        f'heatmap_levels must be one of {_HEATMAP_LEVELS}, '
        f'got {heatmap_levels!r}')
    views = sorted(views, key=lambda v: -float(v.scale))
    scales = [float(v.scale) for v in views]
    assert len(views) == 1 or 1.0 in scales, (
        f'aggregate_views: a scale must be 1, got {scales}')
    num_levels = len(views[0].outputs)
    with_tags = tuple(with_tags)[:num_levels]
    with_heatmaps = (True, ) * num_levels if heatmap_levels == 'all' else \
        (False, ) * (num_levels - 1) + (True, )
    # no int(): the ONNX export passes traced sizes, which keeps H, W dynamic
    size = (input_size[1], input_size[0])
    final = None
    tags_list = []
    for view in views:
        avg, tags = _aggregate_view(view, size, num_joints, flip_indices,
                                    with_heatmaps, with_tags)
        if view.scale == 1 or len(views) == 1:
            tags_list.extend(t.unsqueeze(4) for t in tags)
        final = avg if final is None else final + avg
    final = final / float(len(views))
    return final, torch.cat(tags_list, dim=4)


def _aggregate_view(view: TestView, size_hw: Tuple[int, int],
                    num_joints: int, flip_indices: Optional[Sequence[int]],
                    with_heatmaps: Sequence[bool],
                    with_tags: Sequence[bool]) -> Tuple[Tensor, List[Tensor]]:
    """One view's heatmaps ``(plain + flip) / 2.0`` (N, K, H, W) and its
    tag maps (plain pass first, each (N, K_t, H, W)), resized to
    ``size_hw``."""
    passes = [(view.outputs, None)]
    if view.flip_outputs is not None:
        assert flip_indices is not None, (
            'aggregate_views: flip outputs need flip_indices')
        passes.append((view.flip_outputs, flip_indices))
    heatmaps, tags = [], []
    for outputs, flip in passes:
        hm, tg = aggregate_levels(outputs, num_joints, flip, with_heatmaps,
                                  with_tags)
        heatmaps.append(_resize(hm, size_hw))
        tags.extend(_resize(t, size_hw) for t in tg)
    avg = (heatmaps[0] + heatmaps[1]) / 2.0 if len(heatmaps) > 1 \
        else heatmaps[0]
    return avg, tags
