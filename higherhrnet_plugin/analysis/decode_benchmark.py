# Copyright (c) OpenMMLab. All rights reserved.
"""Time our decoder against the restated original, stage by stage.

Inputs are synthetic at the paper's test settings: flip test (two tag maps
per joint) and maps projected to a 512x800 input (:func:`make_inputs`).
Both decoders run on the same maps and must give the same poses, bit for
bit. Stages: ``aggregation`` (flip + levels -> input size, timed on raw
level outputs of the paper's shapes: it does not depend on their values),
``nms``, ``top-k``, ``matching``, ``adjust``, ``refine`` and
``mapping back`` (heatmap -> image pixels). The speed-up is over the
decoder proper (``nms`` .. ``mapping back``); aggregation is the same
tensor code in both and is reported beside it.
"""
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from higherhrnet_plugin.analysis import original_parser
from higherhrnet_plugin.core.dense_maps import NumpyMaps
from higherhrnet_plugin.core.grouping import (COCO_JOINT_ORDER, STAGES,
                                                DecodeOptions, group_people)
from higherhrnet_plugin.core.resize_geometry import \
    get_final_preds
from higherhrnet_plugin.models.utils.heatmap_aggregation import (
    TestView, aggregate_views)

COCO_FLIP_INDICES = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
_DECODE_STAGES = STAGES + ('mapping back', )
ALL_STAGES = ('aggregation', ) + _DECODE_STAGES
_CLOCKS = dict(wall=time.perf_counter, cpu=time.process_time)


def make_inputs(num_people, size_wh=(800, 512), num_joints=17, seed=0,
                missing=0.15, noise=0.0):
    """Heatmaps (1, K, H, W) and flip-test tags (1, K, H, W, 2) as a network
    projected to a 512x800 input would give (float16-exact values).

    ``noise > 0`` adds a background as real outputs have one: uniform in
    ``[-noise / 4, 3 * noise / 4]`` on the heatmaps (most pixels positive)
    and Gaussian with std ``noise`` on the tags."""
    rng = np.random.default_rng(seed)
    W, H = size_wh
    ptags = rng.permutation(np.arange(num_people)) * 2.0 + \
        rng.uniform(-0.3, 0.3, num_people)
    centers = np.stack([rng.uniform(40, W - 40, num_people),
                        rng.uniform(40, H - 40, num_people)], 1)
    joints = centers[:, None, :] + rng.normal(0, 15, (num_people, num_joints,
                                                        2))
    hm = _joint_heatmaps(rng, joints, (W, H), missing)
    tags = _tag_fields(joints, ptags, (W, H))
    if noise > 0:
        hm += rng.uniform(-noise / 4, 3 * noise / 4, hm.shape).astype(
            np.float32)
        tags += rng.normal(0, noise, tags.shape).astype(np.float32)
    hm = hm.astype(np.float16).astype(np.float32)
    tags = tags.astype(np.float16).astype(np.float32)
    return torch.from_numpy(hm)[None], torch.from_numpy(tags)[None]


def _joint_heatmaps(rng: np.random.Generator, joints: np.ndarray,
                    size_wh: Tuple[int, int], missing: float) -> np.ndarray:
    """(K, H, W) Gaussian peaks (sigma 4) at the (P, K, 2) ``joints``, a
    share ``missing`` of them left out, and low distractor peaks."""
    W, H = size_wh
    num_people, num_joints = joints.shape[:2]
    hm = np.zeros((num_joints, H, W), np.float32)
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    sigma = 4.0
    r = int(3 * sigma) + 1
    for p in range(num_people):
        for k in range(num_joints):
            if rng.random() < missing:
                continue
            # off-centre sub-pixel position: a unique maximum
            x, y = np.floor(joints[p, k]) + (0.2, 0.3)
            xi, yi = int(x), int(y)
            x0, x1 = max(0, xi - r), min(W, xi + r + 1)
            y0, y1 = max(0, yi - r), min(H, yi + r + 1)
            if x0 >= x1 or y0 >= y1:
                continue
            g = rng.uniform(0.3, 1.0) * np.exp(
                -((xs[y0:y1, x0:x1] - x)**2 + (ys[y0:y1, x0:x1] - y)**2) /
                (2 * sigma**2))
            hm[k, y0:y1, x0:x1] = np.maximum(hm[k, y0:y1, x0:x1], g)
    # low distractor peaks
    for _ in range(num_joints * 10):
        k = rng.integers(num_joints)
        x, y = rng.integers(3, W - 3), rng.integers(3, H - 3)
        hm[k, y - 1:y + 2, x - 1:x + 2] = np.maximum(
            hm[k, y - 1:y + 2, x - 1:x + 2], rng.uniform(0.02, 0.095))
    return hm


def _tag_fields(joints: np.ndarray, ptags: np.ndarray,
                size_wh: Tuple[int, int]) -> np.ndarray:
    """(K, H, W, 2) tag maps: per joint, a smooth field equal to the
    person's tag around that person's joint (nearest joint wins, blended
    over ~10 px); the flipped pass's values 0.05 higher."""
    W, H = size_wh
    num_joints = joints.shape[1]
    gh, gw = H // 8, W // 8
    gy, gx = np.mgrid[0:gh, 0:gw].astype(np.float32) * 8 + 4
    tags = np.empty((num_joints, H, W, 2), np.float32)
    for k in range(num_joints):
        d2 = (gx[None] - joints[:, k, 0, None, None])**2 + \
            (gy[None] - joints[:, k, 1, None, None])**2
        wgt = np.exp(-(d2 - d2.min(0, keepdims=True)) / (2 * 10.0**2))
        field = (wgt * ptags[:, None, None]).sum(0) / wgt.sum(0)
        field = torch.nn.functional.interpolate(
            torch.from_numpy(field)[None, None].float(), size=(H, W),
            mode='bilinear', align_corners=False)[0, 0].numpy()
        tags[k, :, :, 0] = field
        tags[k, :, :, 1] = field + 0.05
    return tags


def _level_outputs(size_wh, num_joints=17, seed=0):
    """Random raw outputs of a plain and a flipped pass: level 0 (1, 2K,
    h/4, w/4) and level 1 (1, K, h/2, w/2)."""
    g = torch.Generator().manual_seed(seed)
    w, h = size_wh

    def level(c, s):
        return torch.rand(1, c, h // s, w // s, generator=g)
    return ([level(2 * num_joints, 4), level(num_joints, 2)],
            [level(2 * num_joints, 4), level(num_joints, 2)])


def _median_run(fn: Callable, repeats: int, stages: Sequence[str]):
    """Run ``fn(stage_times)`` ``repeats`` times; the output of the last
    run and the median seconds per stage."""
    runs: List[Dict[str, float]] = []
    out = None
    for _ in range(repeats):
        times: Dict[str, float] = {}
        out = fn(times)
        runs.append(times)
    return out, {s: float(np.median([r.get(s, 0.0) for r in runs]))
                 for s in stages}


def _ours(det, tag, center, scale, options, clock):
    def run(times):
        maps = NumpyMaps(det[0].numpy(), tag[0].numpy(), options.nms_kernel)
        people, scores = group_people(maps, options, times, clock)
        t = clock()
        preds = get_final_preds(people, center, scale,
                                (det.shape[3], det.shape[2]))
        times['mapping back'] = clock() - t
        return people, scores, preds
    return run


def _original(det, tag, center, scale, clock):
    def run(times):
        people, scores = original_parser.parse(det, tag, stage_times=times,
                                               clock=clock)
        t = clock()
        preds = original_parser.get_final_preds(
            people, center, scale, (det.shape[3], det.shape[2]))
        times['mapping back'] = clock() - t
        shape = (-1, det.shape[1], 3 + tag.shape[-1])
        return (np.asarray(people, np.float32).reshape(shape),
                np.array(scores, np.float32),
                np.asarray(preds, np.float32).reshape(shape))
    return run


def _aggregation_times(size_wh, repeats, clock):
    """(original, ours) median seconds of the flip aggregation, and whether
    both give the same maps."""
    outputs, flip_outputs = _level_outputs(size_wh)
    views = [TestView(1.0, outputs, flip_outputs)]
    ref_t, ours_t = [], []
    for _ in range(repeats):
        t = clock()
        ref = original_parser.aggregate(outputs, flip_outputs,
                                        list(COCO_FLIP_INDICES), size_wh)
        ref_t.append(clock() - t)
        t = clock()
        got = aggregate_views(views, size_wh, 17, COCO_FLIP_INDICES)
        ours_t.append(clock() - t)
    same = all(torch.equal(a, b) for a, b in zip(ref, got))
    return float(np.median(ref_t)), float(np.median(ours_t)), same


def benchmark_decode(people: Sequence[int] = (1, 10, 30),
                     repeats: int = 3,
                     size_wh=(800, 512),
                     clock: str = 'wall',
                     noise: float = 0.0,
                     progress: Optional[Callable[[str], None]] = None
                     ) -> dict:
    """Median stage times (ms) of the original and ours per people count.

    Args:
        people: how many people each synthetic input holds.
        repeats: runs per decoder and input (median taken).
        clock: ``'wall'`` (``time.perf_counter``) or ``'cpu'``
            (``time.process_time``: this process's CPU time, which other
            processes on a busy machine inflate much less).
        noise: background noise of the inputs (see :func:`make_inputs`).
        progress: called with a short message after each step.

    Returns:
        dict with ``stages``, ``size_wh``, ``repeats``, ``clock``,
        ``threads`` and
        ``rows``: per people count ``people``, ``found`` (people decoded),
        ``original_ms`` / ``ours_ms`` (per stage), ``original_total_ms`` /
        ``ours_total_ms`` (decoder proper), ``speedup`` and ``identical``
        (bit-equal people and scores in heatmap pixels, the same aggregated
        maps, image-pixel keypoints within 1e-3 px).
    """
    if clock not in _CLOCKS:
        raise ValueError(f'clock must be one of {sorted(_CLOCKS)}, got '
                         f'{clock!r}')
    tick = _CLOCKS[clock]
    options = DecodeOptions(joint_order=COCO_JOINT_ORDER)
    w, h = size_wh
    center = np.array([w / 2.0, h / 2.0])
    scale = np.array([w / 200.0, h / 200.0])
    agg_ref, agg_ours, agg_same = _aggregation_times(size_wh, repeats, tick)
    if progress:
        progress(f'aggregation: original {agg_ref * 1e3:.1f} ms, ours '
                 f'{agg_ours * 1e3:.1f} ms, same maps: {agg_same}')
    rows = []
    for n in people:
        det, tag = make_inputs(n, size_wh, seed=n, noise=noise)
        ref, ref_t = _median_run(
            _original(det, tag, center, scale, tick), repeats, _DECODE_STAGES)
        if progress:
            progress(f'{n} people: original done')
        ours, our_t = _median_run(
            _ours(det, tag, center, scale, options, tick), repeats,
            _DECODE_STAGES)
        if progress:
            progress(f'{n} people: ours done')
        ref_t['aggregation'], our_t['aggregation'] = agg_ref, agg_ours
        rows.append(_row(n, ref, ours, ref_t, our_t, agg_same))
    return dict(stages=list(ALL_STAGES), size_wh=list(size_wh),
                repeats=repeats, clock=clock, noise=noise,
                threads=torch.get_num_threads(), rows=rows)


def _row(n: int, ref: tuple, ours: tuple, ref_t: Dict[str, float],
         our_t: Dict[str, float], agg_same: bool) -> dict:
    """The table row of ``n`` people from both decoders' (people, scores,
    image-pixel keypoints) and median stage seconds."""
    (ref_k, ref_s, ref_p), (our_k, our_s, our_p) = ref, ours
    # identical in heatmap pixels; the mapping back is float64
    # arithmetic in a different order (<= 1e-3 px)
    same = (ref_k.shape == our_k.shape and np.array_equal(ref_k, our_k)
            and np.array_equal(ref_s, our_s) and agg_same
            and np.allclose(ref_p, our_p, rtol=0, atol=1e-3))
    ref_total = sum(ref_t[s] for s in _DECODE_STAGES)
    our_total = sum(our_t[s] for s in _DECODE_STAGES)
    return dict(
        people=n, found=int(our_k.shape[0]),
        original_ms={s: round(ref_t[s] * 1e3, 2) for s in ALL_STAGES},
        ours_ms={s: round(our_t[s] * 1e3, 2) for s in ALL_STAGES},
        original_total_ms=round(ref_total * 1e3, 2),
        ours_total_ms=round(our_total * 1e3, 2),
        speedup=round(ref_total / our_total, 1),
        identical=bool(same))


def format_table(result: dict) -> str:
    """The result as a Markdown table: one row per people count and
    decoder, one column per stage."""
    stages = result['stages']
    head = '| people | decoder | ' + ' | '.join(stages) + \
        ' | decoder total | speed-up | identical |'
    lines = [head, '|' + '---|' * (len(stages) + 5)]
    for r in result['rows']:
        for name in ('original', 'ours'):
            ms = r[f'{name}_ms']
            cells = ' | '.join(f'{ms[s]:.1f}' for s in stages)
            tail = (f'{r["speedup"]}x | {"yes" if r["identical"] else "NO"}'
                    if name == 'ours' else ' | ')
            lines.append(f'| {r["people"]} | {name} | {cells} | '
                         f'{r[f"{name}_total_ms"]:.1f} | {tail} |')
    return '\n'.join(lines)
