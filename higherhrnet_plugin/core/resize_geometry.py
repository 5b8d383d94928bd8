# Copyright (c) OpenMMLab. All rights reserved.
"""Geometry of the original HigherHRNet test resize (numpy only).

``get_multi_scale_size``, ``get_affine_transform`` and ``get_final_preds`` of
the original ``lib/utils/transforms.py``: the input size, centre and scale of
each test view, the warp to it, and the mapping of keypoints back to image
pixels. :class:`BottomupOriginalResize` warps with them; the torch-free
deployment runtime uses them without OpenMMLab packages.
"""
from typing import Sequence, Tuple

import numpy as np


def get_multi_scale_size(image_wh: Sequence[int],
                         input_size: int,
                         current_scale: float,
                         min_scale: float
                         ) -> Tuple[Tuple[int, int], np.ndarray, np.ndarray]:
    """Network input size (w, h), center (px) and scale (units of 200 px).

    At ``min_scale`` the short side is ``input_size * min_scale`` rounded up
    to a multiple of 64 and the long side keeps the aspect ratio (rounded up
    to a multiple of 64); other scales multiply both.
    """
    w, h = int(image_wh[0]), int(image_wh[1])
    center = np.array([int(w / 2.0 + 0.5), int(h / 2.0 + 0.5)])
    min_input_size = int((min_scale * input_size + 63) // 64 * 64)
    if w < h:
        w_resized = int(min_input_size * current_scale / min_scale)
        h_resized = int(
            int((min_input_size / w * h + 63) // 64 * 64) * current_scale /
            min_scale)
        scale_w = w / 200.0
        scale_h = h_resized / w_resized * w / 200.0
    else:
        h_resized = int(min_input_size * current_scale / min_scale)
        w_resized = int(
            int((min_input_size / h * w + 63) // 64 * 64) * current_scale /
            min_scale)
        scale_h = h / 200.0
        scale_w = w_resized / h_resized * h / 200.0
    return (w_resized, h_resized), center, np.array([scale_w, scale_h])


def get_affine_transform(center, scale, output_size, inv: bool = False
                         ) -> np.ndarray:
    """2x3 affine (rotation 0) between the box ``center``/``scale`` (200 px
    units, width ``scale[0] * 200`` mapped onto ``output_size[0]``) and the
    ``output_size`` (w, h) image, as the original (inv: output -> image)."""
    center = np.asarray(center, dtype=np.float64)
    src_w = float(np.asarray(scale, dtype=np.float64).reshape(-1)[0]) * 200.0
    dst_w, dst_h = float(output_size[0]), float(output_size[1])
    r = src_w / dst_w  # output px -> image px (uniform in x and y)
    t = np.array([[r, 0.0, center[0] - r * dst_w * 0.5],
                  [0.0, r, center[1] - r * dst_h * 0.5]])
    if inv:
        return t
    s = 1.0 / r
    return np.array([[s, 0.0, dst_w * 0.5 - s * center[0]],
                     [0.0, s, dst_h * 0.5 - s * center[1]]])


def resize_align_multi_scale(image: np.ndarray, input_size: int,
                             current_scale: float, min_scale: float
                             ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Warp an (H, W, C) image to its test input at ``current_scale``, as
    the original: returns the warped image, center (px) and scale (200 px
    units). :class:`BottomupOriginalResize` and the deployment runtime both
    call it."""
    import cv2
    h, w = image.shape[:2]
    size, center, scale = get_multi_scale_size((w, h), input_size,
                                               current_scale, min_scale)
    trans = get_affine_transform(center, scale, size)
    return cv2.warpAffine(image, trans, (int(size[0]), int(size[1]))), \
        center, scale


def get_final_preds(keypoints: np.ndarray, center, scale,
                    heatmap_size: Sequence[int]) -> np.ndarray:
    """Map (P, K, C) keypoints from heatmap pixels (x, y first) to image
    pixels; other channels are kept. ``heatmap_size`` is (w, h)."""
    out = np.array(keypoints, copy=True)
    if out.shape[0] == 0:
        return out
    t = get_affine_transform(center, scale, heatmap_size, inv=True)
    xy = out[..., :2].astype(np.float64)
    out[..., 0] = xy[..., 0] * t[0, 0] + t[0, 2]
    out[..., 1] = xy[..., 1] * t[1, 1] + t[1, 2]
    return out
