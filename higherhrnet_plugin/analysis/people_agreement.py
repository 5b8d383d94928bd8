"""Whether two predictions of an image find the same people: the measure of
a lower precision (bf16, int8) against fp32, whose people may come out in
another order or with keypoints moved by a few pixels.

The people of the two are paired by the assignment that minimises the mean
keypoint distance (Hungarian, ``scipy.optimize.linear_sum_assignment``);
the shifts are the distances of every joint of every pair, in image pixels.
The summary's shifts come from the images with as many people in both: where
the counts differ, a pair can be two different people.
"""
from typing import Dict, List, Sequence

import numpy as np


def _keypoint_shifts(ref: np.ndarray, got: np.ndarray) -> np.ndarray:
    """The keypoint shifts (px) of the paired people of ``ref`` (N, K, 2)
    and ``got`` (M, K, 2): (min(N, M) * K,), empty if either has nobody."""
    from scipy.optimize import linear_sum_assignment
    ref = np.asarray(ref, np.float64)[..., :2]
    got = np.asarray(got, np.float64)[..., :2]
    if not len(ref) or not len(got):
        return np.zeros(0)
    # (N, M, K) distances of each joint between each pair of people
    dist = np.linalg.norm(ref[:, None] - got[None], axis=-1)
    rows, cols = linear_sum_assignment(dist.mean(-1))
    return dist[rows, cols].reshape(-1)


def image_agreement(ref: np.ndarray, got: np.ndarray) -> Dict[str, object]:
    """One image: ``same_count`` and the paired people's ``shifts``."""
    return dict(same_count=len(ref) == len(got),
                shifts=_keypoint_shifts(ref, got))


def summarise_agreement(images: Sequence[Dict[str, object]]
                        ) -> Dict[str, float]:
    """Over images (:func:`image_agreement`): ``images``, ``same_count``
    (images with as many people), and the ``median``, ``p95`` and ``max``
    keypoint shift (px) of the paired people of those images (None if no
    image has as many people, or nobody)."""
    shifts: List[np.ndarray] = [np.asarray(i['shifts']) for i in images
                                if i['same_count']]
    allshifts = np.concatenate(shifts) if shifts else np.zeros(0)
    stats = (dict(median=float(np.median(allshifts)),
                  p95=float(np.percentile(allshifts, 95)),
                  max=float(allshifts.max())) if allshifts.size else
             dict(median=None, p95=None, max=None))
    return dict(images=len(images),
                same_count=sum(bool(i['same_count']) for i in images),
                **stats)
