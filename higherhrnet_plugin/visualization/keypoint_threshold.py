"""The keypoint-score threshold of a model's pictures, chosen on labelled
images, so that a drawn joint is right at least half the time.

The rule, for predicted people and labelled (ground-truth) people of each
image:

1. Match each predicted person to the labelled person of its image with
   the highest COCO OKS, ``mean_i exp(-d_i^2 / (2 s^2 k_i^2))`` over the
   labelled person's labelled joints (``d_i`` the distance of joint ``i``,
   ``s^2`` the labelled person's area, ``k_i = 2 sigma_i``). Several
   predicted people may match one labelled person: a person the grouping
   split into fragments is drawn as several, and each fragment's joints
   are judged on their own. Labelled people without labelled joints match
   no one.
2. A predicted joint is *right* when it lies within the matched person's
   OKS sigma-radius of the same joint: ``d_i <= k_i * s`` (its own OKS term
   at least ``exp(-1/2)``, about 0.61). Joints of predicted people in an
   image with no labelled person are wrong. Joints whose matched joint is
   unlabelled are not judged (nothing to judge them by).
3. The threshold is the lowest joint score ``t`` at which a joint is right
   with a chance of at least ``fraction`` (a half). The chance at each
   score is the isotonic regression of right (1) or wrong (0) on the
   score: the non-decreasing fit closest in squared error, equal scores
   pooled. So every drawn joint is, by this fit, at least as likely right
   as wrong, however many well-placed joints score higher.

When no joint can be judged, or no score reaches the fraction, the
threshold is a stated ``default`` and the result says which of the two
happened.
"""
from typing import Sequence, Tuple

import numpy as np


def oks(pred: np.ndarray, gt: np.ndarray, areas: np.ndarray,
        sigmas: np.ndarray) -> np.ndarray:
    """COCO's object keypoint similarity of every pair.

    Args:
        pred (np.ndarray): (P, K, 2) predicted joints.
        gt (np.ndarray): (G, K, 3) labelled joints, ``x, y, v`` (``v > 0``:
            labelled).
        areas (np.ndarray): (G, ) labelled people's areas.
        sigmas (np.ndarray): (K, ) COCO's per-joint sigmas.

    Returns:
        np.ndarray: (P, G) OKS; -1 for a labelled person without labelled
        joints.
    """
    d2 = ((pred[:, None, :, :2] - gt[None, :, :, :2])**2).sum(-1)
    k2 = (2 * np.asarray(sigmas, float))**2
    e = d2 / (2 * np.maximum(areas, np.spacing(1))[None, :, None] * k2)
    labelled = gt[None, :, :, 2] > 0
    n = labelled.sum(-1)
    sim = (np.exp(-e) * labelled).sum(-1) / np.maximum(n, 1)
    return np.where(n > 0, sim, -1.0)


def judge_joints(pred: np.ndarray, scores: np.ndarray, gt: np.ndarray,
                 areas: np.ndarray, sigmas: np.ndarray
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Steps 1 and 2 of the rule on one image.

    Args:
        pred (np.ndarray): (P, K, 2) predicted joints.
        scores (np.ndarray): (P, K) their scores.
        gt (np.ndarray): (G, K, 3) labelled joints (``v > 0``: labelled).
        areas (np.ndarray): (G, ) labelled people's areas.
        sigmas (np.ndarray): (K, ) COCO's per-joint sigmas.

    Returns:
        tuple: the judged joints' scores (M, ) and whether each is right
        (M, ) bool.
    """
    k = len(sigmas)
    pred = np.asarray(pred, float).reshape(-1, k, 2)
    gt = np.asarray(gt, float).reshape(-1, k, 3)
    sim = oks(pred, gt, np.asarray(areas, float), sigmas)
    match = sim.argmax(1) if sim.size else np.full(len(pred), -1)
    match[sim.max(1, initial=-1.0) < 0] = -1
    k2 = (2 * np.asarray(sigmas, float))**2
    out_s, out_r = [], []
    for p, g in enumerate(match):
        if g < 0:  # no labelled person to match: every joint is wrong
            out_s.append(scores[p])
            out_r.append(np.zeros(len(scores[p]), bool))
            continue
        judged = gt[g, :, 2] > 0
        d2 = ((pred[p] - gt[g, :, :2])**2).sum(-1)
        out_s.append(scores[p][judged])
        out_r.append((d2 <= k2 * areas[g])[judged])
    if not out_s:
        return np.zeros(0), np.zeros(0, bool)
    return np.concatenate(out_s).astype(float), np.concatenate(out_r)


def isotonic(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The non-decreasing fit of ``y`` (N, ), in that order, closest in
    ``w``-weighted squared error (pool adjacent violators)."""
    blocks = []  # [mean, weight, length]
    for yi, wi in zip(y, w):
        blocks.append([float(yi), float(wi), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            (m1, w1, n1), (m2, w2, n2) = blocks[-2], blocks.pop()
            blocks[-1] = [(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2]
    return np.repeat([b[0] for b in blocks], [b[2] for b in blocks])


def choose_threshold(scores: Sequence[float], right: Sequence[bool],
                     fraction: float = 0.5, default: float = 0.1) -> dict:
    """Step 3 of the rule: the lowest score at which the isotonic fit of
    right on score reaches ``fraction``.

    Args:
        scores (Sequence[float]): (M, ) the judged joints' scores.
        right (Sequence[bool]): (M, ) whether each is right.
        fraction (float): the chance of being right asked for.
        default (float): the threshold when the rule gives none.

    Returns:
        dict: ``kpt_thr``, ``rule`` (how it was chosen, the fallback's
        reason included), ``joints`` (M), ``joints_above`` (how many score
        ``>= kpt_thr``) and ``fraction_right`` (their share of right ones;
        None for a fallback).
    """
    scores = np.asarray(scores, float)
    right = np.asarray(right, bool)
    rule = (f'lowest score at which a val joint lies within the COCO OKS '
            f'sigma-radius of its OKS-matched labelled joint with a chance '
            f'>= {fraction:g} (isotonic fit of right on score)')
    out = dict(kpt_thr=float(default), rule=rule, joints=int(len(scores)),
               joints_above=None, fraction_right=None)
    if not len(scores):
        out['rule'] = f'fallback {default:g}: no predicted joint to judge'
        return out
    levels, inverse, counts = np.unique(scores, return_inverse=True,
                                        return_counts=True)
    chance = isotonic(np.bincount(inverse, right) / counts, counts)
    ok = np.flatnonzero(chance >= fraction)
    if not len(ok):
        out['rule'] = (f'fallback {default:g}: at no score is a joint right '
                       f'with a chance >= {fraction:g}')
        return out
    thr = levels[ok[0]]
    above = scores >= thr
    out.update(kpt_thr=float(thr), joints_above=int(above.sum()),
               fraction_right=round(float(right[above].mean()), 4))
    return out
