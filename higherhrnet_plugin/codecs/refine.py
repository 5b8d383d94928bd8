# Copyright (c) OpenMMLab. All rights reserved.
"""The original ``HeatmapParser.refine``, searched instead of scanned.

For each person and each joint it lacks, the original takes the first
argmax over every pixel of ``f = det - round(|tag - mean tag|)`` and fills
the joint there when ``det > 0``. :func:`refine_people` returns the same
pixels without scanning every map for every person:

- ``f <= det``, so a pixel of value <= 0 can only matter when the best
  pixel has ``f <= 0``;
- a pixel with ``f >= L`` has a tag within ``floor(max det - L) + 0.5``
  of the mean tag in its first channel, so only a window of the positive
  pixels, sorted by that channel (or, where most pixels are positive and
  few people need the joint, masked on the full row), is scored: first
  for ``L = 0`` (a positive best settles it);
- otherwise a lower bound ``L < 0`` of the maximum comes from the
  person's own joint pixels and a coarse grid; if no positive pixel
  reaches it, the winner has value <= 0 and nothing changes;
- in the remaining cases (a positive pixel with ``L <= f <= 0``, which a
  pixel of value <= 0 may tie or beat) the full map is scored, as the
  original does.

Every candidate is scored with the original's float32 operations, and ties
go to the smallest flat index, as ``np.argmax`` gives them.
"""
from typing import Dict, List, Tuple

import numpy as np


def tag_scores(det: np.ndarray, tag: np.ndarray,
               prev: np.ndarray) -> np.ndarray:
    """``det - round(sqrt(sum((tag - prev) ** 2)))`` in the original's
    float32 operations. det (N,), tag (N, T), prev (T,) or (N, T)."""
    if tag.shape[-1] == 2:
        # numpy reduces a length-2 axis as exactly d0**2 + d1**2
        d0 = tag[:, 0] - prev[..., 0]
        d1 = tag[:, 1] - prev[..., 1]
        return det - np.round(np.sqrt(d0 * d0 + d1 * d1))
    d = tag - prev
    return det - np.round((d**2).sum(axis=-1)**0.5)


class _PositiveIndex:
    """One joint's pixels of value > 0, in bands of equal integer part of
    the value, each sorted by the first tag channel."""

    def __init__(self, flat: np.ndarray, det: np.ndarray, tag: np.ndarray):
        band = np.floor(det).astype(np.int64)
        self.bands = []
        for b in np.unique(band):
            sel = np.flatnonzero(band == b)
            sel = sel[np.argsort(tag[sel, 0], kind='stable')]
            self.bands.append((flat[sel], det[sel], tag[sel],
                               tag[sel, 0].astype(np.float64),
                               float(det[sel].max())))

    def best(self, prevs: np.ndarray, lower: np.ndarray
             ) -> Tuple[np.ndarray, np.ndarray]:
        """Per person: the max of ``f`` over these pixels and the smallest
        flat index attaining it, where that max is ``>= lower``; -inf and
        -1 where it is not.

        A pixel with ``f >= lower`` has ``round(dist) <= det - lower``, so
        a tag within ``floor(max det - lower) + 0.5`` of ``prev`` in the
        first channel: only that window of each band is scored.
        """
        P = prevs.shape[0]
        best = np.full(P, -np.inf)
        at = np.full(P, -1, dtype=np.int64)
        centre = prevs[:, 0].astype(np.float64)
        for flat, det, tag, key, dmax in self.bands:
            rmax = np.floor(dmax - lower + 1e-6)
            half = np.where(rmax >= 0, rmax + 0.5, -1.0)
            half = half + 1e-3 * (1.0 + np.abs(centre) + np.abs(half))
            lo = np.searchsorted(key, centre - half, side='left')
            hi = np.searchsorted(key, centre + half, side='right')
            n = np.where(rmax >= 0, np.maximum(hi - lo, 0), 0)
            if not n.any():
                continue
            seg = np.repeat(np.arange(P), n)
            start = np.cumsum(n) - n
            idx = lo[seg] + np.arange(seg.size) - start[seg]
            f = tag_scores(det[idx], tag[idx], prevs[seg])
            nz = np.flatnonzero(n)
            b = np.maximum.reduceat(f, start[nz]).astype(np.float64)
            cand = np.where(f == np.repeat(b, n[nz]), flat[idx],
                            np.iinfo(np.int64).max)
            a = np.minimum.reduceat(cand, start[nz])
            better = (b > best[nz]) | ((b == best[nz]) & (a < at[nz]))
            best[nz[better]] = b[better]
            at[nz[better]] = a[better]
        miss = ~(best >= lower)
        best[miss] = -np.inf
        at[miss] = -1
        return best, at


class _RowIndex:
    """One joint's full map, for maps where most pixels are positive (real
    network outputs) and few people need the joint. Image rows are visited
    in order of their largest value, a few at a time, masked by the same
    first-channel window, until no row left can reach the best ``f``
    found (``f <= det``), instead of sorting the pixels."""

    rows_per_step = 8

    def __init__(self, det: np.ndarray, tag: np.ndarray, width: int):
        self.det, self.tag, self.width = det, tag, width
        self.key = np.ascontiguousarray(tag[:, 0])
        self.pos = det > 0
        self.max = float(det[self.pos].max()) if self.pos.any() else -np.inf
        self.bands = [self] if self.pos.any() else []
        row_max = det.reshape(-1, width).max(axis=1)
        self.order = np.argsort(-row_max, kind='stable')
        self.row_max = row_max[self.order].astype(np.float64)

    def best(self, prevs: np.ndarray, lower: np.ndarray
             ) -> Tuple[np.ndarray, np.ndarray]:
        """As :meth:`_PositiveIndex.best`."""
        P = prevs.shape[0]
        best = np.full(P, -np.inf)
        at = np.full(P, -1, dtype=np.int64)
        cols = np.arange(self.width)
        step = self.rows_per_step
        for p in range(P):
            rmax = np.floor(self.max - lower[p] + 1e-6)
            if not rmax >= 0:
                continue
            centre = float(prevs[p, 0])
            half = rmax + 0.5
            half += 1e-3 * (1.0 + abs(centre) + half)
            m, a = -np.inf, -1
            for start in range(0, self.order.size, step):
                # every pixel left has f <= det <= this row maximum
                if self.row_max[start] < max(m, lower[p]):
                    break
                rows = self.order[start:start + step]
                idx = (rows[:, None] * self.width + cols).reshape(-1)
                idx = idx[self.pos[idx]
                          & (np.abs(self.key[idx] - centre) <= half)]
                if idx.size == 0:
                    continue
                f = tag_scores(self.det[idx], self.tag[idx], prevs[p])
                fm = float(f.max())
                first = int(idx[f == fm].min())
                if fm > m:
                    m, a = fm, first
                elif fm == m:
                    a = min(a, first)
            if m >= lower[p]:
                best[p] = m
                at[p] = a
        return best, at


def _index(maps, k: int, num_people: int):
    """The cheaper search structure for joint ``k``: sorting its positive
    pixels costs about 40 pixel operations each, masking the full row about
    one per pixel and person."""
    num_pos = maps.count_positive(k)
    if num_people * maps.height * maps.width < 40 * num_pos:
        return _RowIndex(*maps.row(k), maps.width)
    return _PositiveIndex(*maps.positive(k))


def _grid(height: int, width: int, step: int = 8) -> np.ndarray:
    """Flat indices of every ``step``-th pixel in both directions."""
    ys = np.arange(step // 2, height, step)
    xs = np.arange(step // 2, width, step)
    return (ys[:, None] * width + xs[None, :]).reshape(-1)


def _scan(maps, k: int, prev: np.ndarray) -> int:
    """The original's exhaustive search: first argmax of ``f`` over the
    map, -1 when its value is <= 0."""
    det, tag = maps.row(k)
    i = int(np.argmax(tag_scores(det, tag, prev)))
    return i if det[i] > 0 else -1


def _refine_joint(maps, k: int, index, prevs: np.ndarray,
                  probes: List[np.ndarray]) -> np.ndarray:
    """Winning flat index for joint ``k`` per person (-1: left unchanged).

    prevs (P, T) mean tags; probes: per person, the flat indices of its
    detected joints."""
    P = prevs.shape[0]
    out = np.full(P, -1, dtype=np.int64)
    if not index.bands:
        return out  # every pixel has value <= 0: nothing is filled
    # f <= 0 off the positive pixels, so a positive f settles it
    best, at = index.best(prevs, np.zeros(P))
    won = best > 0
    out[won] = at[won]
    # best == 0: the first pixel with f == 0 wins, wherever it lies
    for p in np.flatnonzero(best == 0):
        out[p] = _scan(maps, k, prevs[p])
    rest = np.flatnonzero(best == -np.inf)
    if rest.size == 0:
        return out
    # every positive pixel has f < 0: a lower bound of the maximum from
    # the person's joint pixels and a coarse grid (pixels of any value)
    grid = _grid(maps.height, maps.width)
    pts = [np.concatenate((probes[p], grid)) for p in rest]
    n = np.array([len(q) for q in pts])
    flat = np.concatenate(pts)
    kk = np.full(flat.shape, k)
    seg = np.repeat(np.arange(rest.size), n)
    f = tag_scores(maps.values_at(kk, flat), maps.tags_at(kk, flat),
                   prevs[rest][seg])
    low = np.maximum.reduceat(f, np.cumsum(n) - n).astype(np.float64)
    open_ = low < 0  # low >= 0 beats every positive pixel: unchanged
    best2, _ = index.best(prevs[rest[open_]], low[open_])
    # a positive pixel reaches the bound: scan the map as the original
    for p in rest[open_][best2 > -np.inf]:
        out[p] = _scan(maps, k, prevs[p])
    return out


def refine_people(people: np.ndarray, maps) -> np.ndarray:
    """Fill every person's missing joints by tag, as the original
    ``HeatmapParser.refine`` (in place).

    Args:
        people: (P, K, 3 + T) float32 (x, y, value, tags), after adjust.
        maps: :class:`~.dense_maps.NumpyMaps` or
            :class:`~.dense_maps_torch.TorchMaps` of the same image.
    """
    P, K = people.shape[:2]
    W = maps.width
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
        win = _refine_joint(maps, k, _index(maps, k, len(rows)),
                            np.stack([prevs[i] for i in rows]),
                            [probes[i] for i in rows])
        sel = np.flatnonzero(win >= 0)
        if sel.size == 0:
            continue
        flat = win[sel]
        y, x = flat // W, flat % W
        kk = np.full(flat.shape, k)
        H = maps.height
        val = maps.values_at(kk, flat)
        right = maps.values_at(kk, y * W + np.minimum(x + 1, W - 1))
        left = maps.values_at(kk, y * W + np.maximum(x - 1, 0))
        down = maps.values_at(kk, np.minimum(y + 1, H - 1) * W + x)
        up = maps.values_at(kk, np.maximum(y - 1, 0) * W + x)
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
