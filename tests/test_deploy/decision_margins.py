"""Where two decodes of one image's maps part ways, and by how little.

Two backends give one image's maps up to float noise. Every decision of
the decoder is a comparison, and one whose input lies within that noise of
its boundary can go either way; after it, the whole grouping may differ, as
the original run on two machines would. :func:`first_divergence` replays the
decoder stage by stage on both maps and names the first decision that
differs, with its margin (how far its input lies from the boundary, on the
first maps) and the bound on how far the noise can move that input. A
divergence whose margin exceeds its bound is not float noise but a bug.

The decisions, in the decoder's order:

- top-k: a pixel is a candidate of its joint when it is above the detection
  threshold, is the maximum of its NMS window and ranks among the top k;
  candidates are ordered by value;
- matching: ``round(tag distance)`` in the cost, ``tag distance <
  tag_threshold`` for joining a person, and the Hungarian choice between
  assignments of near-equal cost;
- adjust: the quarter-pixel shift toward the higher neighbour;
- refine: the pixel of largest ``value - round(tag distance)`` of a missing
  joint, and whether its value is above 0.
"""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from higherhrnet_plugin.core.dense_maps import NumpyMaps
from higherhrnet_plugin.core.grouping import (DecodeOptions, adjust_people,
                                                match_by_tag, select_top_k)
from higherhrnet_plugin.core.hungarian import munkres_assign
from higherhrnet_plugin.core.refine import refine_people, tag_scores

# float32 arithmetic on the compared quantities themselves
ULP = 1e-6


@dataclass(frozen=True)
class Divergence:
    """The first decision two decodes take differently.

    Attributes:
        stage: ``'top-k'``, ``'matching'``, ``'adjust'`` or ``'refine'``.
        where: which joint, candidate or person.
        decision: what was decided (e.g. ``'round(tag distance)'``).
        margin: distance of the decision's input from its boundary.
        bound: how far the two maps' differences can move that input.
    """
    stage: str
    where: str
    decision: str
    margin: float
    bound: float

    @property
    def float_noise(self) -> bool:
        """The maps' noise can explain it."""
        return self.margin <= self.bound + ULP

    def __str__(self):
        return (f'{self.stage}: {self.decision} at {self.where}, margin '
                f'{self.margin:.3g} <= bound {self.bound:.3g}'
                if self.float_noise else
                f'{self.stage}: {self.decision} at {self.where}, margin '
                f'{self.margin:.3g} > bound {self.bound:.3g} (NOT noise)')


def _nms_margin(det: np.ndarray, y: int, x: int, kernel: int) -> float:
    """|value - largest other value of its NMS window| of one pixel."""
    pad = (kernel - 1) // 2
    win = det[max(0, y - pad):y + pad + 1, max(0, x - pad):x + pad + 1]
    others = np.sort(win.reshape(-1))
    # the window holds the pixel itself once
    other = others[-2] if others[-1] == det[y, x] else others[-1]
    return abs(float(det[y, x]) - float(other))


def _top_k(heatmaps, tags, options):
    maps = NumpyMaps(heatmaps, tags, options.nms_kernel)
    peaks = maps.peaks(options.detection_threshold)
    return maps, select_top_k(maps, peaks, options.topk,
                              options.detection_threshold)


def _top_k_divergence(ha, hb, la, lb, va, vb, options, noise):
    """The top-k candidates of one joint differ: NMS, threshold, cut-off or
    order, whichever margin is smallest for each differing candidate; the
    largest of those is the joint's margin (every difference must be
    explained)."""
    K = la.shape[0]
    for j in range(K):
        fa = [tuple(p) for p, v in zip(la[j], va[j]) if v > 0]
        fb = [tuple(p) for p, v in zip(lb[j], vb[j]) if v > 0]
        if fa == fb:
            continue
        worst = 0.0
        kth = float(va[j][len(fa) - 1]) if fa else 0.0
        for (x, y) in set(fa) ^ set(fb):
            v = float(ha[j, y, x])
            worst = max(worst, min(
                abs(v - options.detection_threshold),
                _nms_margin(ha[j], y, x, options.nms_kernel),
                abs(v - kth)))
        # the candidates both keep, in another order: a value near-tie
        common = set(fa) & set(fb)
        for pa, pb in zip([p for p in fa if p in common],
                          [p for p in fb if p in common]):
            if pa != pb:
                worst = max(worst, abs(float(ha[j, pa[1], pa[0]]) -
                                       float(ha[j, pb[1], pb[0]])))
        return Divergence('top-k', f'joint {j}',
                          'NMS peak / threshold / top-k order', worst,
                          2 * noise)
    return None


def _people_layout(people: np.ndarray) -> List[Tuple]:
    """What the matching decided: which candidate each person holds."""
    return [tuple(map(tuple, np.round(p[:, :3][:, :2] * (p[:, 2:3] > 0))))
            for p in people]


def _matching_divergence(cand_a, cand_b, options, noise_hm, noise_tag):
    order = options.joint_order
    kwargs = dict(detection_threshold=options.detection_threshold,
                  tag_threshold=options.tag_threshold,
                  topk=options.topk,
                  use_detection_val=options.use_detection_val,
                  ignore_too_much=options.ignore_too_much)
    before_a = before_b = None
    for i in range(1, len(order) + 1):
        pa = match_by_tag(*cand_a, joint_order=order[:i], **kwargs)
        pb = match_by_tag(*cand_b, joint_order=order[:i], **kwargs)
        if _people_layout(pa) == _people_layout(pb):
            before_a, before_b = pa, pb
            continue
        idx = order[i - 1]
        if before_a is None or before_a.shape[0] == 0:
            return Divergence('matching', f'joint {idx} (first joint)',
                              'new people keyed by tag', 0.0, noise_tag)
        costs = []
        for (tag_k, _, val_k), before in ((cand_a, before_a),
                                          (cand_b, before_b)):
            keep = val_k[idx] > options.detection_threshold
            tags = tag_k[idx][keep]
            grouped = before[:options.topk]
            mean = np.stack([g[g[:, 2] > 0, 3:].mean(axis=0)
                             for g in grouped])
            d = np.linalg.norm(tags[:, None] - mean[None], axis=2)
            costs.append((d, np.round(d) * 100 - val_k[idx][keep][:, None]))
        (da, ca), (db, cb) = costs
        bound_d = 2 * np.sqrt(tag_k.shape[2]) * noise_tag
        rounds = np.round(da) != np.round(db)
        if rounds.any():
            return Divergence(
                'matching', f'joint {idx}', 'round(tag distance)',
                float(np.abs(da[rounds] % 1 - 0.5).max()), bound_d)
        joins = (da < options.tag_threshold) != (db < options.tag_threshold)
        if joins.any():
            return Divergence(
                'matching', f'joint {idx}', 'tag distance < tag_threshold',
                float(np.abs(da[joins] - options.tag_threshold).max()),
                bound_d)
        # same rounded costs: two assignments of near-equal total value
        total = []
        for c in (ca, cb):
            n, m = c.shape
            if n > m:
                c = np.concatenate((c, np.full((n, n - m), 1e10)), axis=1)
            rows, cols = munkres_assign(c).T
            total.append((rows, cols))
        (ra, ka), (rb, kb) = total
        pad_a = np.concatenate(
            (ca, np.full((ca.shape[0], max(0, ca.shape[0] - ca.shape[1])),
                         1e10)), axis=1)
        gap = float(pad_a[rb, kb].sum() - pad_a[ra, ka].sum())
        return Divergence('matching', f'joint {idx}',
                          'Hungarian assignment of near-equal cost', gap,
                          2 * len(ra) * noise_hm)
    return None


def _adjust_divergence(before, adj_a, adj_b, ha, noise):
    """``before``: A's people before adjust (whole-pixel positions)."""
    diff = np.argwhere(np.abs(adj_a[..., :2] - adj_b[..., :2]) > 1e-3)
    if diff.size == 0:
        return None
    worst = 0.0
    H, W = ha.shape[1:]
    for p, j, axis in diff:
        x, y = int(before[p, j, 0]), int(before[p, j, 1])
        m = ha[j]
        if axis == 0:
            a, b = m[y, min(x + 1, W - 1)], m[y, max(x - 1, 0)]
        else:
            a, b = m[min(y + 1, H - 1), x], m[max(y - 1, 0), x]
        worst = max(worst, abs(float(a) - float(b)))
    p, j = diff[0][:2]
    return Divergence('adjust', f'person {p} joint {j}',
                      'quarter-pixel shift toward the higher neighbour',
                      worst, 2 * noise)


def _refine_divergence(adjusted, ra, rb, maps_a, noise_hm, noise_tag):
    W = maps_a.width
    diff = np.argwhere(np.abs(ra[..., :2] - rb[..., :2]).max(-1) > 1e-3)
    if diff.size == 0:
        return None
    worst = 0.0
    for p, k in diff:
        person = adjusted[p]
        found = np.flatnonzero(person[:, 2] > 0)
        xy = person[found, :2].astype(np.int64)
        prev = maps_a.tags_at(found, xy[:, 1] * W + xy[:, 0]).mean(axis=0)
        det, tag = maps_a.row(int(k))
        f = tag_scores(det, tag, prev)
        dist = np.linalg.norm(tag - prev, axis=1)
        pixels = [int(r[p, k, 1]) * W + int(r[p, k, 0]) for r in (ra, rb)]
        margins = [abs(float(f[pixels[0]]) - float(f[pixels[1]]))]
        margins += [abs(float(dist[q]) % 1 - 0.5) for q in pixels]
        if (ra[p, k, 2] > 0) != (rb[p, k, 2] > 0):
            margins += [abs(float(det[q])) for q in pixels]
        worst = max(worst, min(margins))
    p, k = diff[0]
    tag_dim = maps_a.tag_dim
    return Divergence('refine', f'person {p} joint {k}',
                      'argmax of value - round(tag distance)', worst,
                      2 * noise_hm + 2 * np.sqrt(tag_dim) * noise_tag)


def first_divergence(heatmaps_a: np.ndarray, tags_a: np.ndarray,
                     heatmaps_b: np.ndarray, tags_b: np.ndarray,
                     options: DecodeOptions) -> Optional[Divergence]:
    """The first decision where decoding maps A and maps B differ.

    Args:
        heatmaps_a, heatmaps_b: (K, H, W) float32 aggregated heatmaps.
        tags_a, tags_b: (K, H, W, T) float32 stacked tags.
        options: the decoder's options.

    Returns:
        a :class:`Divergence`, or None when both give the same people.
    """
    noise_hm = float(np.abs(heatmaps_a - heatmaps_b).max())
    noise_tag = float(np.abs(tags_a - tags_b).max())
    maps_a, cand_a = _top_k(heatmaps_a, tags_a, options)
    maps_b, cand_b = _top_k(heatmaps_b, tags_b, options)
    div = _top_k_divergence(heatmaps_a, heatmaps_b, cand_a[1], cand_b[1],
                            cand_a[2], cand_b[2], options, noise_hm)
    if div is not None:
        return div
    div = _matching_divergence(cand_a, cand_b, options, noise_hm, noise_tag)
    if div is not None:
        return div
    kwargs = dict(joint_order=options.joint_order,
                  detection_threshold=options.detection_threshold,
                  tag_threshold=options.tag_threshold,
                  topk=options.topk,
                  use_detection_val=options.use_detection_val,
                  ignore_too_much=options.ignore_too_much)
    people_a = match_by_tag(*cand_a, **kwargs)
    people_b = match_by_tag(*cand_b, **kwargs)
    if options.adjust:
        before = people_a.copy()
        people_a = adjust_people(people_a, maps_a)
        people_b = adjust_people(people_b, maps_b)
        div = _adjust_divergence(before, people_a, people_b, heatmaps_a,
                                 noise_hm)
        if div is not None:
            return div
    if options.refine and people_a.shape[0]:
        adjusted = people_a.copy()
        refined_a = refine_people(people_a.copy(), maps_a)
        refined_b = refine_people(people_b.copy(), maps_b)
        return _refine_divergence(adjusted, refined_a, refined_b, maps_a,
                                  noise_hm, noise_tag)
    return None
