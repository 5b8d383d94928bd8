"""Per-level valid-region masks for multi-resolution bottom-up targets."""
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmpose.registry import TRANSFORMS


def _rle_string_to_counts(s: bytes) -> List[int]:
    """Decode a compressed COCO RLE string into run lengths (pure Python
    port of ``rleFrString``)."""
    if isinstance(s, str):
        s = s.encode('ascii')
    counts: List[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, 1
        while more:
            c = s[p] - 48
            x |= (c & 0x1f) << (5 * k)
            more = c & 0x20
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def decode_rle(rle: dict) -> np.ndarray:
    """Decode a COCO RLE (compressed or not) into a (h, w) uint8 mask with
    numpy alone (the same mask as ``xtcocotools.mask.decode``, without the
    compiled extension's build against the installed numpy)."""
    h, w = rle['size']
    counts = rle['counts']
    if not isinstance(counts, list):
        counts = _rle_string_to_counts(counts)
    values = np.arange(len(counts)) % 2
    flat = np.repeat(values.astype(np.uint8), counts)
    flat = np.pad(flat, (0, max(0, h * w - flat.size)))[:h * w]
    return flat.reshape(w, h).T.copy()


def segs_to_mask(segs: Sequence, img_shape: Tuple[int, int]) -> np.ndarray:
    """Union of COCO segmentations (polygon lists or RLE dicts) as a (h, w)
    uint8 mask (1 inside)."""
    h, w = int(img_shape[0]), int(img_shape[1])
    mask = np.zeros((h, w), dtype=np.uint8)
    if not segs:
        return mask
    from xtcocotools import mask as cocomask
    for seg in segs:
        if seg is None or (isinstance(seg, (list, tuple)) and not seg):
            continue
        if isinstance(seg, dict) and isinstance(seg.get('counts'),
                                                (bytes, str)):
            rles = [seg]
        else:
            rles = cocomask.frPyObjects(seg, h, w)
            if isinstance(rles, dict):
                rles = [rles]
        for rle in rles:
            m = decode_rle(rle)
            if m.shape == mask.shape:
                mask |= m
    return mask


@TRANSFORMS.register_module()
class BottomupGetMultiLevelHeatmapMask(BaseTransform):
    """Valid-region mask at every heatmap level (crowd / unlabelled people
    masked out), as the original HigherHRNet does.

    The mask of the invalid segmentations, polygons and RLE alike, is warped
    directly to each level's size with the level-scaled ``warp_mat`` and
    binarised at 0.5. MMPose's ``BottomupGetHeatmapMask`` (1.3.2, NumPy 2)
    gives wrong masks without an error: its ``_segs_to_mask`` keeps only
    polygon segmentations, so a crowd annotation's RLE segmentation is
    skipped and its region stays valid (a 100x100 crowd RLE in a 480x640
    image: 0 of its 10000 pixels masked out). It also warps one mask to the
    input size and resizes that to each level; given heatmaps but no
    ``warp_mat``, it passes a bool mask to ``cv2.resize``, which raises.

    Required keys: ``heatmaps`` (list of (K, H_l, W_l) or one array),
    ``input_size``, ``ori_shape`` or ``img_shape``; optional
    ``invalid_segs``, ``warp_mat``, ``flip``, ``flip_direction``.

    Added keys: ``heatmap_mask``: list of (H_l, W_l) float32 (one array if
    ``heatmaps`` is one array), 1 = valid.

    Args:
        get_invalid (bool): return the invalid region instead.
            Defaults to False.
    """

    def __init__(self, get_invalid: bool = False):
        super().__init__()
        self.get_invalid = get_invalid

    def transform(self, results: Dict) -> Optional[dict]:
        segs = results.get('invalid_segs', []) or []
        if 'warp_mat' in results and 'ori_shape' in results:
            src_shape = results['ori_shape'][:2]
        else:
            src_shape = results['img_shape'][:2]
        invalid = segs_to_mask(segs, src_shape)
        mask = invalid if self.get_invalid else 1 - invalid
        mask = mask.astype(np.float32)

        input_w, input_h = results['input_size']
        heatmaps = results['heatmaps']
        is_list = isinstance(heatmaps, (list, tuple))
        sizes = [hm.shape[-2:] for hm in heatmaps] if is_list \
            else [heatmaps.shape[-2:]]

        masks = []
        for h, w in sizes:
            if 'warp_mat' in results:
                scale = np.diag([w / input_w, h / input_h]).astype(np.float64)
                mat = scale @ np.asarray(results['warp_mat'], np.float64)
                m = cv2.warpAffine(
                    mask, mat, (int(w), int(h)), flags=cv2.INTER_LINEAR)
            else:
                m = cv2.resize(
                    mask, (int(w), int(h)), interpolation=cv2.INTER_LINEAR)
            if results.get('flip', False):
                direction = results.get('flip_direction', 'horizontal')
                if direction == 'horizontal':
                    m = m[:, ::-1]
                elif direction == 'vertical':
                    m = m[::-1]
                elif direction == 'diagonal':
                    m = m[::-1, ::-1]
            masks.append(np.ascontiguousarray((m > 0.5).astype(np.float32)))

        results['heatmap_mask'] = masks if is_list else masks[0]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(get_invalid={self.get_invalid})'
