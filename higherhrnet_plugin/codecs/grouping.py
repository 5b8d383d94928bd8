# Copyright (c) OpenMMLab. All rights reserved.
"""Associative-embedding grouping as in the original HigherHRNet test code.

Re-implementation (vectorised) of the original ``HeatmapParser``
(``top_k`` -> ``match_by_tag`` -> ``adjust`` -> ``refine``) whose output is
identical to the original, including the tie-breaking of the Hungarian solver
of ``munkres`` 1.1.4 (see :func:`munkres_assign`).

Shapes (single image):
    heatmaps: (K, H, W) float32 (torch tensor or numpy array)
    tags:     (K, H, W, D) float32 (one tag map per joint, D tag copies,
              e.g. plain and flipped)
Result of :func:`parse_poses`: ``(keypoints, scores)`` with keypoints
(P, K, 3 + D) float32: x, y (heatmap pixels, +0.5 centred as the original),
heatmap value, then the tag of the joint; scores (P,) float32.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

COCO_JOINT_ORDER = (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16)

ArrayLike = Union[np.ndarray, torch.Tensor]


# --------------------------------------------------------------------------
# Hungarian solver: faithful port of munkres 1.1.4 (Munkres().compute)
# --------------------------------------------------------------------------
def munkres_assign(cost: np.ndarray) -> np.ndarray:
    """Minimum-cost assignment, identical to ``munkres.Munkres().compute``.

    Same algorithm, same step order and the same tie-breaking as munkres
    1.1.4 (row reduction only, greedy starring in row-major order, the
    ``find_a_zero`` scan that keeps the *last* uncovered zero of the first
    row in the cyclic order, step 6 adding to covered rows before subtracting
    from uncovered columns), but each step works on whole numpy arrays.

    Args:
        cost: (R, C) cost matrix (float64 arithmetic is used as in munkres
            on float inputs). Non-square matrices are padded with 0.

    Returns:
        (M, 2) int array of (row, col) pairs with row < R and col < C, in
        row-major order.
    """
    cost = np.asarray(cost, dtype=np.float64)
    R, Cc = cost.shape if cost.ndim == 2 else (0, 0)
    if R == 0 or Cc == 0:
        return np.zeros((0, 2), dtype=np.int64)
    n = max(R, Cc)
    C = np.zeros((n, n), dtype=np.float64)
    C[:R, :Cc] = cost
    # step 1: subtract the row minimum
    C -= C.min(axis=1, keepdims=True)
    # marked: 0 none, 1 star, 2 prime
    marked = np.zeros((n, n), dtype=np.int8)
    row_cov = np.zeros(n, dtype=bool)
    col_cov = np.zeros(n, dtype=bool)
    # step 2: star zeros greedily in row-major order
    zero = C == 0
    for i in range(n):
        js = np.flatnonzero(zero[i] & ~col_cov)
        if js.size:
            j = js[0]
            marked[i, j] = 1
            col_cov[j] = True
    col_cov[:] = False
    step = 3
    row, col = 0, 0
    z0 = (0, 0)
    while True:
        if step == 3:
            col_cov = (marked == 1).any(axis=0)
            if int(col_cov.sum()) >= n:
                break
            step = 4
            row, col = 0, 0
        elif step == 4:
            # find_a_zero(row, col)
            Z = (C == 0) & ~row_cov[:, None] & ~col_cov[None, :]
            rows = np.flatnonzero(Z.any(axis=1))
            if rows.size == 0:
                step = 6
                continue
            after = rows[rows >= row]
            r = int(after[0]) if after.size else int(rows[0])
            cols = np.flatnonzero(Z[r])
            before = cols[cols < col]
            c = int(before[-1]) if before.size else int(cols[-1])
            marked[r, c] = 2
            stars = np.flatnonzero(marked[r] == 1)
            if stars.size:
                row, col = r, int(stars[0])
                row_cov[r] = True
                col_cov[col] = False
            else:
                z0 = (r, c)
                step = 5
        elif step == 5:
            path = [z0]
            while True:
                rs = np.flatnonzero(marked[:, path[-1][1]] == 1)
                if rs.size == 0:
                    break
                path.append((int(rs[0]), path[-1][1]))
                cs = np.flatnonzero(marked[path[-1][0]] == 2)
                path.append((path[-1][0], int(cs[0]) if cs.size else -1))
            for (pr, pc) in path:
                marked[pr, pc] = 0 if marked[pr, pc] == 1 else 1
            row_cov[:] = False
            col_cov[:] = False
            marked[marked == 2] = 0
            step = 3
        else:  # step 6
            unc = C[~row_cov][:, ~col_cov]
            minval = unc.min()
            C[row_cov] += minval
            C[:, ~col_cov] -= minval
            step = 4
            # step 4 restarts its scan at (0, 0), as in munkres
            row, col = 0, 0
    rr, cc = np.nonzero(marked[:R, :Cc] == 1)
    return np.stack([rr, cc], axis=1).astype(np.int64)


# --------------------------------------------------------------------------
# top-k
# --------------------------------------------------------------------------
def heatmap_nms(heatmaps: torch.Tensor, kernel: int = 5) -> torch.Tensor:
    """Keep local maxima (max-pool ``kernel``, stride 1, same padding).

    The max pool is computed separably (rows then columns), which gives the
    same maxima as the original square max-pool; non-maxima are set to
    ``value * 0`` exactly like the original ``det * eq(maxpool(det), det)``.
    Works on (..., H, W) tensors.
    """
    x = heatmaps
    pad = (kernel - 1) // 2
    # running max over shifted slices (out-of-image neighbours are ignored,
    # as with the -inf padding of max_pool2d): rows, then columns
    m = x.clone()
    for d in range(1, pad + 1):
        torch.maximum(m[..., :, d:], x[..., :, :-d], out=m[..., :, d:])
        torch.maximum(m[..., :, :-d], x[..., :, d:], out=m[..., :, :-d])
    mh = m
    m = mh.clone()
    for d in range(1, pad + 1):
        torch.maximum(m[..., d:, :], mh[..., :-d, :], out=m[..., d:, :])
        torch.maximum(m[..., :-d, :], mh[..., d:, :], out=m[..., :-d, :])
    return x * torch.eq(m, x).float()


def top_k(heatmaps: ArrayLike,
          tags: ArrayLike,
          k: int = 30,
          nms_kernel: int = 5) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NMS + top-k per joint, as ``HeatmapParser.top_k``.

    Args:
        heatmaps: (K, H, W); tags: (K, H, W, D) (or (K, H, W)).

    Returns:
        tag_k (K, k, D) float32, loc_k (K, k, 2) int64 (x, y),
        val_k (K, k) float32.
    """
    det = torch.as_tensor(heatmaps)
    tag = torch.as_tensor(tags)
    K, H, W = det.shape
    det = heatmap_nms(det, nms_kernel).reshape(K, H * W)
    val_k, ind = det.topk(k, dim=1)
    tag = tag.reshape(K, H * W, -1)
    tag_k = torch.gather(tag, 1, ind[:, :, None].expand(-1, -1, tag.shape[2]))
    loc_k = torch.stack((ind % W, ind // W), dim=2)
    return tag_k.numpy(), loc_k.numpy(), val_k.numpy()


def top_k_sparse(heatmaps: np.ndarray,
                 tags: np.ndarray,
                 k: int = 30,
                 nms_kernel: int = 5,
                 threshold: float = 0.1
                 ) -> Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Fast :func:`top_k` restricted to what the matching uses.

    Only local maxima with a value ``> threshold`` take part in the
    matching; they are found directly (5x5 neighbourhood test on the pixels
    above ``threshold``) and sorted by value. When their values are all
    distinct the order is unique, so the entries above ``threshold`` are
    exactly those of :func:`top_k` (the others are returned with value 0
    and are ignored by the matching, which needs ``threshold >= 0``).
    Returns None when there is a tie (the caller then uses :func:`top_k`,
    whose tie order is that of ``torch.topk``).
    """
    if not threshold >= 0:
        return None
    K, H, W = heatmaps.shape
    D = tags.shape[-1]
    tag_k = np.zeros((K, k, D), dtype=tags.dtype)
    loc_k = np.zeros((K, k, 2), dtype=np.int64)
    val_k = np.zeros((K, k), dtype=heatmaps.dtype)
    jj, yy, xx = np.nonzero(heatmaps > threshold)
    if jj.size == 0:
        return tag_k, loc_k, val_k
    v = heatmaps[jj, yy, xx]
    pad = (nms_kernel - 1) // 2
    is_max = np.ones(v.shape, dtype=bool)
    for dy in range(-pad, pad + 1):
        y2 = yy + dy
        oky = (y2 >= 0) & (y2 < H)
        y2 = np.clip(y2, 0, H - 1)
        for dx in range(-pad, pad + 1):
            if dy == 0 and dx == 0:
                continue
            x2 = xx + dx
            ok = oky & (x2 >= 0) & (x2 < W)
            x2 = np.clip(x2, 0, W - 1)
            is_max &= ~(ok & (heatmaps[jj, y2, x2] > v))
    jj, yy, xx, v = jj[is_max], yy[is_max], xx[is_max], v[is_max]
    order = np.lexsort((-v, jj))
    jj, yy, xx, v = jj[order], yy[order], xx[order], v[order]
    counts = np.bincount(jj, minlength=K)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(jj.size) - starts[jj]
    # ties among the kept entries or at the cut make the order ambiguous
    near = rank <= k
    same = (jj[1:] == jj[:-1]) & (v[1:] == v[:-1]) & near[1:]
    if same.any():
        return None
    keep = rank < k
    jj, yy, xx, v, rank = jj[keep], yy[keep], xx[keep], v[keep], rank[keep]
    val_k[jj, rank] = v
    loc_k[jj, rank, 0] = xx
    loc_k[jj, rank, 1] = yy
    tag_k[jj, rank] = tags[jj, yy, xx]
    return tag_k, loc_k, val_k


# --------------------------------------------------------------------------
# match_by_tag
# --------------------------------------------------------------------------
def match_by_tag(tag_k: np.ndarray,
                 loc_k: np.ndarray,
                 val_k: np.ndarray,
                 joint_order: Sequence[int] = COCO_JOINT_ORDER,
                 detection_threshold: float = 0.1,
                 tag_threshold: float = 1.0,
                 max_num_people: int = 30,
                 use_detection_val: bool = True,
                 ignore_too_much: bool = False) -> np.ndarray:
    """Group top-k candidates into people, as the original ``match_by_tag``.

    People are keyed by the first tag value of the joint that created them
    (a later new person with an equal key merges into the existing one, as
    with the original's dict), only the first ``max_num_people`` people take
    part in the matching, and the cost is
    ``round(tag distance) * 100 - value`` solved by :func:`munkres_assign`.

    Returns:
        (P, K, 3 + D) float32 array (x, y, value, tag...).
    """
    num_joints = tag_k.shape[0]
    D = tag_k.shape[2]
    default_ = np.zeros((num_joints, 3 + D))
    joint_dict: Dict[float, np.ndarray] = {}
    tag_dict: Dict[float, List[np.ndarray]] = {}
    for i, idx in enumerate(joint_order):
        tags = tag_k[idx]
        joints = np.concatenate((loc_k[idx], val_k[idx, :, None], tags), 1)
        mask = joints[:, 2] > detection_threshold
        tags = tags[mask]
        joints = joints[mask]
        if joints.shape[0] == 0:
            continue
        if i == 0 or len(joint_dict) == 0:
            for tag, joint in zip(tags, joints):
                key = float(tag[0])
                joint_dict.setdefault(key, np.copy(default_))[idx] = joint
                tag_dict[key] = [tag]
            continue
        grouped_keys = list(joint_dict.keys())[:max_num_people]
        grouped_tags = [np.mean(tag_dict[g], axis=0) for g in grouped_keys]
        if ignore_too_much and len(grouped_keys) == max_num_people:
            continue
        diff = joints[:, None, 3:] - np.array(grouped_tags)[None, :, :]
        diff_normed = np.linalg.norm(diff, ord=2, axis=2)
        diff_saved = diff_normed
        if use_detection_val:
            diff_normed = np.round(diff_normed) * 100 - joints[:, 2:3]
        num_added, num_grouped = diff.shape[0], diff.shape[1]
        if num_added > num_grouped:
            diff_normed = np.concatenate(
                (diff_normed,
                 np.zeros((num_added, num_added - num_grouped)) + 1e10),
                axis=1)
        pairs = munkres_assign(diff_normed)
        for row, col in pairs:
            if (row < num_added and col < num_grouped
                    and diff_saved[row][col] < tag_threshold):
                key = grouped_keys[col]
                joint_dict[key][idx] = joints[row]
                tag_dict[key].append(tags[row])
            else:
                key = float(tags[row][0])
                joint_dict.setdefault(key, np.copy(default_))[idx] = \
                    joints[row]
                tag_dict[key] = [tags[row]]
    if not joint_dict:
        return np.zeros((0, num_joints, 3 + D), dtype=np.float32)
    return np.array(list(joint_dict.values())).astype(np.float32)


# --------------------------------------------------------------------------
# adjust / refine
# --------------------------------------------------------------------------
def adjust_keypoints(people: np.ndarray, heatmaps: np.ndarray) -> np.ndarray:
    """Quarter-pixel shift toward the higher neighbour, then +0.5 (in place).

    Same as the original ``HeatmapParser.adjust`` for joints with value > 0.
    """
    if people.shape[0] == 0:
        return people
    K, H, W = heatmaps.shape
    p, j = np.nonzero(people[:, :, 2] > 0)
    x = people[p, j, 0]
    y = people[p, j, 1]
    xi = x.astype(np.int64)
    yi = y.astype(np.int64)
    hm = heatmaps
    right = hm[j, yi, np.minimum(xi + 1, W - 1)]
    left = hm[j, yi, np.maximum(xi - 1, 0)]
    down = hm[j, np.minimum(yi + 1, H - 1), xi]
    up = hm[j, np.maximum(yi - 1, 0), xi]
    q = np.float32(0.25)
    x = np.where(right > left, x + q, x - q)
    y = np.where(down > up, y + q, y - q)
    people[p, j, 0] = x + np.float32(0.5)
    people[p, j, 1] = y + np.float32(0.5)
    return people


class _RefineCandidates:
    """Per-image precomputation for :func:`refine_keypoints`.

    The original evaluates ``det - round(|tag - mean tag|)`` on every pixel
    for every person and joint and takes the first argmax. Since the
    rounded distance is >= 0, a pixel whose heatmap value is below the best
    value found so far can neither win nor tie; the search therefore first
    looks only at pixels with ``det >= tau`` and falls back to the pixels
    with ``det >= best`` when the best found is below ``tau``. The result is
    identical to the exhaustive search (same float32 arithmetic, ties go to
    the smallest flat index as in ``np.argmax``).
    """

    def __init__(self, heatmaps: np.ndarray, tags: np.ndarray,
                 tau: float = 0.1):
        K, H, W = heatmaps.shape
        self.K, self.H, self.W = K, H, W
        self.det = heatmaps.reshape(K, H * W)
        self.tag = tags.reshape(K, H * W, -1)
        self.tau = np.float32(tau)
        jj, ff = np.nonzero(self.det >= self.tau)
        self.cj = jj
        self.cf = ff
        self.cdet = self.det[jj, ff]
        self.ctag = self.tag[jj, ff]
        counts = np.bincount(jj, minlength=K)
        self.counts = counts
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        self._pos = {}

    @staticmethod
    def _score(det, tag, prev):
        """``det - round(sqrt(sum((tag - prev)**2)))`` in float32, with the
        same operations (and summation order) as the original."""
        d = tag - prev[None, :]
        sq = d * d
        if sq.shape[1] == 2:
            # numpy's reduction of a length-2 axis is exactly a0 + a1
            tt = np.sqrt(sq[:, 0] + sq[:, 1])
        else:
            tt = sq.sum(axis=1)**0.5
        return det - np.round(tt)

    def _positive(self, k: int) -> np.ndarray:
        if k not in self._pos:
            self._pos[k] = np.flatnonzero(self.det[k] > 0)
        return self._pos[k]

    def best(self, prev: np.ndarray, joints: np.ndarray,
             probes: np.ndarray) -> np.ndarray:
        """Flat index of the first argmax of ``det - round(|tag - prev|)``
        for each joint in ``joints``; -1 where that argmax is known to have
        a value <= 0 (the original then leaves the joint unchanged).

        ``probes`` are flat pixel indices (the person's detected joints)
        whose score gives a cheap lower bound of the maximum.
        """
        K = self.K
        out = np.full(K, -1, dtype=np.int64)
        best_val = np.full(K, -np.inf, dtype=np.float32)
        if self.cf.size:
            f = self._score(self.cdet, self.ctag, prev)
            nz = self.counts > 0
            gmax = np.full(K, -np.inf, dtype=np.float32)
            gmax[nz] = np.maximum.reduceat(f, self.starts[nz])
            hit = np.flatnonzero(f == gmax[self.cj])
            # first hit per joint (candidates are sorted by joint, flat idx)
            js, first = np.unique(self.cj[hit], return_index=True)
            out[js] = self.cf[hit[first]]
            best_val = gmax
        for k in joints:
            if best_val[k] >= self.tau:
                continue
            det = self.det[k]
            tag = self.tag[k]
            # lower bound of the maximum from the probes
            pf = self._score(det[probes], tag[probes], prev)
            L = max(float(best_val[k]), float(pf.max()))
            if L > 0:
                cand = np.flatnonzero(det >= np.float32(L))
                f = self._score(det[cand], tag[cand], prev)
                out[k] = cand[int(np.argmax(f))]
                continue
            pos = self._positive(k)
            if pos.size:
                f = self._score(det[pos], tag[pos], prev)
                i = int(np.argmax(f))
                m_pos = f[i]
                if m_pos > 0:
                    out[k] = pos[i]
                    continue
                if L > m_pos and (pf > m_pos).any() and \
                        (det[probes[pf > m_pos]] <= 0).any():
                    # a pixel with value <= 0 beats every positive pixel:
                    # the argmax has value <= 0
                    out[k] = -1
                    continue
            elif L > -np.inf and (det[probes] <= 0).all():
                out[k] = -1
                continue
            f = self._score(det, tag, prev)
            out[k] = int(np.argmax(f))
        return out


def refine_keypoints(people: np.ndarray,
                     heatmaps: np.ndarray,
                     tags: np.ndarray,
                     candidates: Optional[_RefineCandidates] = None
                     ) -> np.ndarray:
    """Fill undetected joints by tag, as the original
    ``HeatmapParser.refine`` (applied to every person, in place)."""
    if people.shape[0] == 0:
        return people
    K, H, W = heatmaps.shape
    if tags.ndim == 3:
        tags = tags[..., None]
    if candidates is None:
        candidates = _RefineCandidates(heatmaps, tags)
    q = 0.25
    for person in people:
        det_mask = person[:, 2] > 0
        if not det_mask.any():
            continue
        xy = person[det_mask, :2].astype(np.int32)
        jidx = np.flatnonzero(det_mask)
        prev = np.mean(tags[jidx, xy[:, 1], xy[:, 0]], axis=0)
        missing = np.flatnonzero(person[:, 2] == 0)
        if missing.size == 0:
            continue
        probes = xy[:, 1].astype(np.int64) * W + xy[:, 0]
        flat = candidates.best(prev, missing, probes)
        for i in missing:
            if flat[i] < 0:
                continue
            y, x = divmod(int(flat[i]), W)
            tmp = heatmaps[i]
            val = tmp[y, x]
            if not val > 0:
                continue
            fx = x + 0.5
            fy = y + 0.5
            fx += q if tmp[y, min(x + 1, W - 1)] > tmp[y, max(x - 1, 0)] \
                else -q
            fy += q if tmp[min(y + 1, H - 1), x] > tmp[max(0, y - 1), x] \
                else -q
            person[i, 0] = fx
            person[i, 1] = fy
            person[i, 2] = val
    return people


# --------------------------------------------------------------------------
# full parser
# --------------------------------------------------------------------------
def parse_poses(heatmaps: ArrayLike,
                tags: ArrayLike,
                adjust: bool = True,
                refine: bool = True,
                max_num_people: int = 30,
                nms_kernel: int = 5,
                detection_threshold: float = 0.1,
                tag_threshold: float = 1.0,
                joint_order: Sequence[int] = COCO_JOINT_ORDER,
                use_detection_val: bool = True,
                ignore_too_much: bool = False
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Original ``HeatmapParser.parse`` for one image.

    Args:
        heatmaps: (K, H, W) aggregated heatmaps (batch dim of 1 allowed).
        tags: (K, H, W, D) stacked tags (batch dim of 1 allowed).

    Returns:
        keypoints (P, K, 3 + D) float32 (x, y in heatmap pixels, value,
        tags) and scores (P,) float32 (mean value over joints after adjust,
        before refine).
    """
    hm_t = torch.as_tensor(heatmaps).float()
    tg_t = torch.as_tensor(tags).float()
    if hm_t.dim() == 4:
        hm_t = hm_t[0]
    if tg_t.dim() == 5 or (tg_t.dim() == 4 and hm_t.dim() == 3
                           and tg_t.shape[0] == 1 and hm_t.shape[0] != 1):
        tg_t = tg_t[0]
    if tg_t.dim() == 3:
        tg_t = tg_t[..., None]
    hm = hm_t.numpy()
    tg = tg_t.numpy()
    res = top_k_sparse(hm, tg, max_num_people, nms_kernel,
                       detection_threshold)
    if res is None:
        res = top_k(hm_t, tg_t, max_num_people, nms_kernel)
    tag_k, loc_k, val_k = res
    people = match_by_tag(
        tag_k,
        loc_k,
        val_k,
        joint_order=joint_order,
        detection_threshold=detection_threshold,
        tag_threshold=tag_threshold,
        max_num_people=max_num_people,
        use_detection_val=use_detection_val,
        ignore_too_much=ignore_too_much)
    if adjust:
        people = adjust_keypoints(people, hm)
    scores = np.array([p[:, 2].mean() for p in people], dtype=np.float32)
    if refine and people.shape[0]:
        people = refine_keypoints(people, hm, tg)
    return people, scores.astype(np.float32)
