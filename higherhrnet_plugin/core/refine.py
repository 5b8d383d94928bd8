# Copyright (c) OpenMMLab. All rights reserved.
"""The original ``HeatmapParser.refine``, searched instead of scanned.

For each person and each joint it lacks, the original scores every pixel
of that joint's map with ``f = det - round(|tag - mean tag|)``, takes the
first argmax (the smallest flat index among ties, as ``np.argmax``) and
fills the joint there when ``det > 0`` at that pixel. The rounded distance
is >= 0, so ``f <= det``, and :func:`_refine_winners` finds the same pixels
from far fewer:

1. all people who lack the joint are scored at once on about
   ``TOP_PIXELS`` pixels of largest value. A person whose best ``f`` there
   exceeds every value outside them is settled: no other pixel can reach
   or tie it. On maps with strong peaks (crowded images, amplified random
   networks) this settles most people.
2. For every other person, that best ``f``, or its ``f`` at its detected
   joints if higher, is a value ``L`` the maximum reaches. A pixel reaching
   ``L`` has ``det >= L`` and a rounded tag distance of at most
   ``floor(max det - L)``, so a first tag channel within half a unit more
   of the person's. Only the pixels of value > 0 among those are scored,
   found through 8x8 tiles that hold such values and tags (values and tags
   are smooth, so most tiles are skipped). A best ``f`` > 0 wins; one
   below ``L`` means the winner has value <= 0 (nothing is filled);
   otherwise the pixels of value <= 0 that could tie or beat it are
   scored too.

Every pixel is scored with the original's float32 operations, so the
winners are the original's pixels, bit for bit.
"""
from typing import Dict, List, Tuple

import numpy as np

from .dense_maps import DenseMaps

# pixels of largest value scored for every person first: enough to hold
# the peaks of a crowded image, few enough to cost little per person
TOP_PIXELS = 2048


def tag_scores(det: np.ndarray, tag: np.ndarray,
               prev: np.ndarray) -> np.ndarray:
    """``det - round(sqrt(sum((tag - prev) ** 2)))`` in the original's
    float32 operations. det (N,), tag (N, T) and prev (T,) give (N,);
    prev (P, 1, T) gives (P, N)."""
    if tag.shape[-1] == 2:
        # numpy reduces a length-2 axis as exactly d0**2 + d1**2
        d0 = tag[:, 0] - prev[..., 0]
        d1 = tag[:, 1] - prev[..., 1]
        return det - np.round(np.sqrt(d0 * d0 + d1 * d1))
    d = tag - prev
    return det - np.round((d**2).sum(axis=-1)**0.5)


def _top_pixels_argmax(det: np.ndarray, tag: np.ndarray, prevs: np.ndarray,
                       top_pixels: int
                       ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 1: per person, the first argmax of ``f`` over about
    ``top_pixels`` pixels of largest value, its ``f``, and whether no pixel
    outside them has a value reaching it.

    det (H * W,), tag (H * W, T), prevs (P, T); returns (P,) int64 flat
    indices, (P,) float32 values and (P,) bool."""
    n = det.shape[0]
    if n <= top_pixels:
        top, rest_max = np.arange(n), -np.inf
    else:
        # the cut-off from a strided sample: np.argpartition of the whole
        # row is slow on maps of many equal values (exact zeros)
        # (np.partition too is slow on many ties; a sort of 8k is not)
        stride = max(1, n // (4 * top_pixels))
        sample = np.sort(det[::stride])
        rest_max = sample[sample.size - max(1, top_pixels // stride)]
        top = np.flatnonzero(det > rest_max)  # flat order: first argmax
        if top.size == 0:  # a constant map: the first pixel
            top = np.zeros(1, np.int64)
    f = tag_scores(det[top], tag[top], prevs[:, None, :])
    best = f.max(axis=1)
    return top[np.argmax(f, axis=1)], best, best > rest_max


def _window(dmax: float, low: float, centre: float) -> float:
    """Half-width in the first tag channel of the pixels that can reach
    ``f >= low`` where values are at most ``dmax``: ``|tag0 - centre| <=
    dist`` and ``round(dist) <= dmax - low``. The margins cover float32
    rounding of ``f`` and of the distance."""
    half = np.floor(dmax - low + 1e-5 * (1.0 + abs(dmax) + abs(low))) + 0.5
    return half + 1e-3 * (1.0 + abs(centre) + half)


class _Tiles:
    """One joint's map in ``size`` x ``size`` tiles (edge pixels repeated
    to fill the last ones), with each tile's value and first-tag-channel
    ranges, so that a search skips whole tiles: values and tags are smooth.

    Args:
        det: (H * W,) float32 values; tag: (H * W, T) float32 tags.
    """

    size = 8

    def __init__(self, det: np.ndarray, tag: np.ndarray, height: int,
                 width: int):
        s = self.size
        self.det, self.tag = det, tag
        self.height, self.width = height, width
        self.key = np.ascontiguousarray(tag[:, 0])
        pad = ((0, -height % s), (0, -width % s))

        def reduce(a, op):  # (tiles,); strided ops: numpy's axis
            # reductions over 8 elements are ~10x slower
            a = a.reshape(height, width)
            if pad != ((0, 0), (0, 0)):
                a = np.pad(a, pad, mode='edge')
            rows, cols = a.shape
            a = a.reshape(rows, cols // s, s)
            m = a[:, :, 0].copy()
            for i in range(1, s):
                op(m, a[:, :, i], out=m)
            a = m.reshape(rows // s, s, cols // s)
            m = a[:, 0].copy()
            for i in range(1, s):
                op(m, a[:, i], out=m)
            return m.reshape(-1)

        self.cols = -(-width // s)
        self.det_min = reduce(det, np.minimum)
        self.det_max = reduce(det, np.maximum)
        self.key_min = reduce(self.key, np.minimum)
        self.key_max = reduce(self.key, np.maximum)

    def pixels(self, tiles: np.ndarray) -> np.ndarray:
        """Flat indices (with repeats at the edges) of the given tiles."""
        r = np.arange(self.size)
        ys = np.minimum((tiles // self.cols)[:, None] * self.size + r,
                        self.height - 1)
        xs = np.minimum((tiles % self.cols)[:, None] * self.size + r,
                        self.width - 1)
        return (ys[:, :, None] * self.width + xs[:, None, :]).reshape(-1)

    def best(self, prev: np.ndarray, f_low: float, low: float, high: float,
             half: float) -> Tuple[float, int]:
        """Max ``f`` and its first flat index over the pixels with ``low <=
        det <= high`` and a first tag channel within ``half`` of
        ``prev[0]``, where that max is ``>= f_low`` (tiles that cannot reach
        ``f_low`` are skipped); a smaller value, or (-inf, -1), otherwise."""
        c = float(prev[0])
        # a tile's best f is at most its largest value less the rounded
        # gap between c and its first-channel range (np.round is monotone)
        gap = np.maximum(np.maximum(self.key_min - c, c - self.key_max), 0)
        bound = np.minimum(self.det_max, high) - np.round(
            np.maximum(gap - 1e-3 * (1.0 + abs(c) + gap), 0))
        keep = (self.det_max >= low) & (self.det_min <= high) & (
            bound >= f_low - 1e-5 * (1.0 + abs(f_low))) & (gap <= half)
        if 4 * np.count_nonzero(keep) > keep.size:
            # most of the map: scoring it whole is cheaper than gathering
            det, key = self.det, self.key
            f = tag_scores(det, self.tag, prev)
            f[(det < low) | (det > high) | (np.abs(key - c) > half)] = -np.inf
            i = int(np.argmax(f))
            return float(f[i]), (i if f[i] > -np.inf else -1)
        cand = self.pixels(np.flatnonzero(keep))
        det = self.det[cand]
        cand = cand[(det >= low) & (det <= high)
                    & (np.abs(self.key[cand] - c) <= half)]
        if cand.size == 0:
            return -np.inf, -1
        f = tag_scores(self.det[cand], self.tag[cand], prev)
        m = f.max()
        return float(m), int(cand[f == m].min())


def _refine_winners(det: np.ndarray, tag: np.ndarray, prevs: np.ndarray,
                   probes: List[np.ndarray], height: int, width: int,
                   top_pixels: int = TOP_PIXELS) -> np.ndarray:
    """Per person, the pixel the original's refine fills for one joint:
    the first argmax of ``f``, or -1 where its value is <= 0.

    Args:
        det: (H * W,) float32 values of the joint.
        tag: (H * W, T) float32 tags of the joint.
        prevs: (P, T) float32 mean tags of the people.
        probes: per person, flat indices where its ``f`` is likely high
            (its detected joints).
        height, width: H and W.
        top_pixels: how many pixels of largest value step 1 scores.

    Returns:
        (P,) int64 flat indices, -1 for a joint left as it is.
    """
    at, best, settled = _top_pixels_argmax(det, tag, prevs, top_pixels)
    out = np.where(settled & (det[at] > 0), at, -1)
    if settled.all():
        return out
    tiles = _Tiles(det, tag, height, width)
    dmax = float(tiles.det_max.max())
    tiny = float(np.nextafter(np.float32(0), np.float32(1)))
    for p in np.flatnonzero(~settled):
        prev, c = prevs[p], float(prevs[p, 0])
        # a value the maximum reaches
        low = max(float(best[p]), float(tag_scores(
            det[probes[p]], tag[probes[p]], prev).max()))
        # the best pixel of value > 0 among those that can reach it
        b_pos, i_pos = tiles.best(prev, low, max(low, tiny), np.inf,
                                  _window(dmax, low, c))
        if b_pos < low:
            continue  # the maximum lies on a pixel of value <= 0
        if b_pos <= 0:
            # pixels of value <= 0 have f <= 0 and may beat or tie it
            b_non, i_non = tiles.best(prev, b_pos, b_pos, 0.0,
                                      _window(0.0, b_pos, c))
            if b_non > b_pos or (b_non == b_pos and i_non < i_pos):
                continue
        out[p] = i_pos
    return out


def refine_people(people: np.ndarray, maps: DenseMaps,
                  top_pixels: int = TOP_PIXELS) -> np.ndarray:
    """Fill every person's missing joints by tag, as the original
    ``HeatmapParser.refine`` (in place).

    Args:
        people: (P, K, 3 + T) float32 (x, y, value, tags), after adjust.
        maps: :class:`~.dense_maps.NumpyMaps` or
            :class:`~higherhrnet_plugin.codecs.dense_maps_torch.TorchMaps` of the same image.
        top_pixels: see :func:`_refine_winners`.
    """
    P, K = people.shape[:2]
    W, H = maps.width, maps.height
    prevs, probes, needs = [], [], []
    for p in range(P):
        person = people[p]
        det_mask = person[:, 2] > 0
        if not det_mask.any():
            continue
        jidx = np.flatnonzero(det_mask)
        xy = person[det_mask, :2].astype(np.int32)
        flat = xy[:, 1].astype(np.int64) * W + xy[:, 0]
        prevs.append(np.mean(maps.tags_at(jidx, flat), axis=0))
        probes.append(flat)
        needs.append((p, np.flatnonzero(person[:, 2] == 0)))
    by_joint: Dict[int, List[int]] = {}
    for i, (p, missing) in enumerate(needs):
        for k in missing:
            by_joint.setdefault(int(k), []).append(i)
    q = np.float32(0.25)
    for k in sorted(by_joint):
        rows = by_joint[k]
        det, tag = maps.row(k)
        flat = _refine_winners(det, tag, np.stack([prevs[i] for i in rows]),
                              [probes[i] for i in rows], H, W, top_pixels)
        sel = np.flatnonzero(flat >= 0)
        if sel.size == 0:
            continue
        flat = flat[sel]
        y, x = flat // W, flat % W
        val = det[flat]
        right = det[y * W + np.minimum(x + 1, W - 1)]
        left = det[y * W + np.maximum(x - 1, 0)]
        down = det[np.minimum(y + 1, H - 1) * W + x]
        up = det[np.maximum(y - 1, 0) * W + x]
        fx = x.astype(np.float32) + np.float32(0.5)
        fy = y.astype(np.float32) + np.float32(0.5)
        fx = np.where(right > left, fx + q, fx - q)
        fy = np.where(down > up, fy + q, fy - q)
        for j, i in enumerate(sel):
            p = needs[rows[i]][0]
            people[p, k, 0] = fx[j]
            people[p, k, 1] = fy[j]
            people[p, k, 2] = val[j]
    return people
