# Copyright (c) OpenMMLab. All rights reserved.
"""Check the test-time post-processing against the original's golden vectors.

``flip_*.npz`` / ``ms_*.npz`` in ``<repo>/../shared/reference`` hold raw
network outputs and the keypoints/scores the original HigherHRNet pipeline
produced from them (see that folder's README).
"""
from pathlib import Path
from typing import Tuple, Union

import numpy as np
import torch

from higherhrnet_plugin.codecs.grouping import parse_poses
from higherhrnet_plugin.datasets.transforms.resize_geometry import \
    get_final_preds
from higherhrnet_plugin.models.utils.heatmap_aggregation import (
    TestView, aggregate_views)

COCO_FLIP_INDICES = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)


def decode_inference_vector(data) -> Tuple[np.ndarray, np.ndarray]:
    """Run the stored raw outputs through aggregation, grouping and the
    mapping back to image pixels. Returns (keypoints (N, K, 3), scores)."""
    scales = [float(s) for s in np.asarray(data['scales']).reshape(-1)]
    views = []
    for s in scales:
        key = 's%g' % s

        def level(name, i):
            return torch.from_numpy(
                np.asarray(data[f'{key}_{name}_{i}']).astype(np.float32))

        views.append(TestView(s, [level('outputs', 0), level('outputs', 1)],
                              [level('flip_outputs', 0),
                               level('flip_outputs', 1)]))
    input_size = tuple(int(v) for v in data['s1_input_size'])
    num_joints = views[0].outputs[1].shape[1]
    heatmaps, tags = aggregate_views(views, input_size, num_joints,
                                     COCO_FLIP_INDICES)
    keypoints, scores = parse_poses(heatmaps[0], tags[0])
    preds = get_final_preds(keypoints, data['center'], data['scale'],
                            (heatmaps.shape[3], heatmaps.shape[2]))
    return preds[..., :3], scores


def _match(exp: np.ndarray, got: np.ndarray) -> np.ndarray:
    """Greedy order-free matching of people by max keypoint distance."""
    from scipy.optimize import linear_sum_assignment
    d = np.abs(exp[:, None, :, :2] - got[None, :, :, :2]).max(axis=(2, 3))
    r, c = linear_sum_assignment(d)
    perm = np.empty(len(exp), dtype=np.int64)
    perm[r] = c
    return perm


def check_inference_vector(path: Union[str, Path],
                           kpt_tol: float = 0.01,
                           score_tol: float = 1e-4) -> Tuple[bool, str]:
    """Compare our decode of one golden vector with the original's output.

    Returns (ok, message)."""
    path = Path(path)
    data = np.load(path, allow_pickle=False)
    exp_k = np.asarray(data['expected_keypoints'], dtype=np.float64)
    exp_s = np.asarray(data['expected_scores'], dtype=np.float64)
    got_k, got_s = decode_inference_vector(data)
    got_k = got_k.astype(np.float64)
    got_s = got_s.astype(np.float64)
    name = path.name
    if len(got_k) != len(exp_k):
        return False, (f'{name}: {len(got_k)} people, expected '
                       f'{len(exp_k)}')
    if len(exp_k) == 0:
        return True, f'{name}: 0 people as expected'
    perm = _match(exp_k, got_k)
    got_k = got_k[perm]
    got_s = got_s[perm]
    kerr = float(np.abs(got_k[..., :2] - exp_k[..., :2]).max())
    verr = float(np.abs(got_k[..., 2] - exp_k[..., 2]).max())
    serr = float(np.abs(got_s - exp_s).max())
    ok = kerr <= kpt_tol and verr <= score_tol and serr <= score_tol
    msg = (f'{name}: {len(exp_k)} people, max keypoint error {kerr:.3g} px, '
           f'max value error {verr:.3g}, max score error {serr:.3g}')
    return ok, msg
