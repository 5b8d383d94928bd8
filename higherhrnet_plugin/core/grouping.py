# Copyright (c) OpenMMLab. All rights reserved.
"""Associative-embedding grouping as in the original HigherHRNet test code.

A faster re-implementation of the original ``HeatmapParser`` (``top_k`` ->
``match_by_tag`` -> ``adjust`` -> ``refine``) whose output is identical to
the original's, including the order of ``torch.topk`` among tied values
(:mod:`.topk_order`) and the tie-breaking of the Hungarian solver of
``munkres`` 1.1.4 (:func:`~.hungarian.munkres_assign`). It imports numpy only, so the
torch-free runtime and the codec run the same code.

Entry points:

- :func:`decode_people` (numpy in, numpy out): one image's aggregated
  heatmaps (K, H, W) and tags (K, H, W, T) and :class:`DecodeOptions` ->
  keypoints (N, K, 2) in heatmap pixels, keypoint scores (N, K) and
  instance scores (N,). ``AssociativeEmbeddingCodec.decode`` calls it (via
  :func:`group_people`, with the maps on the model's device for CUDA
  tensors).
- :func:`group_people`: the same from a dense-maps object
  (:class:`~.dense_maps.NumpyMaps` or :class:`~higherhrnet_plugin.codecs.dense_maps_torch.TorchMaps`)
  with the tags of each joint kept, and an optional per-stage timing.
- :func:`parse_poses`: the original ``HeatmapParser.parse`` signature.

Keypoints are (P, K, 3 + T) float32 inside: x, y (heatmap pixels, +0.5
centred as the original), heatmap value, then the tag of the joint.
"""
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .dense_maps import DenseMaps, NumpyMaps
from .hungarian import munkres_assign
from .refine import refine_people
from .topk_order import torch_cpu_topk

COCO_JOINT_ORDER = (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16)


# --------------------------------------------------------------------------
# top-k
# --------------------------------------------------------------------------
def select_top_k(maps: DenseMaps,
                 peaks: Optional[Tuple[np.ndarray, ...]],
                 k: int = 30,
                 threshold: float = 0.1
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The original ``HeatmapParser.top_k`` (``topk`` of the NMS'd maps),
    for every entry the matching uses (value > ``threshold``).

    With ``threshold >= 0`` only the NMS peaks above it can be such
    entries; a joint whose peaks are all distinct among its first ``k + 1``
    takes them in value order, which is the only order ``topk`` can give.
    A joint with a tie there (and every joint when ``threshold < 0``) runs
    :func:`~.topk_order.torch_cpu_topk` on its full NMS'd row, the order
    ``torch.topk`` gives ties on the CPU. Entries the matching ignores are
    left at value 0 (only when ``threshold >= 0``).

    Args:
        maps: a dense-maps object (:class:`~.dense_maps.NumpyMaps`).
        peaks: ``maps.peaks(threshold)``; None when ``threshold < 0``.

    Returns:
        tag_k (K, k, T) float32, loc_k (K, k, 2) int64 (x, y),
        val_k (K, k) float32.
    """
    K, W, T = maps.num_joints, maps.width, maps.tag_dim
    k = min(int(k), maps.height * W)
    loc_k = np.zeros((K, k, 2), dtype=np.int64)
    val_k = np.zeros((K, k), dtype=np.float32)
    flat_k = np.zeros((K, k), dtype=np.int64)
    filled = np.zeros((K, k), dtype=bool)
    if threshold >= 0:
        jj, ff, vv = peaks
        order = np.lexsort((-vv, jj))
        jj, ff, vv = jj[order], ff[order], vv[order]
        counts = np.bincount(jj, minlength=K)
        rank = np.arange(jj.size) - (np.cumsum(counts) - counts)[jj]
        same = (jj[1:] == jj[:-1]) & (vv[1:] == vv[:-1]) & (rank[1:] <= k)
        dense = np.unique(jj[1:][same])
        keep = (rank < k) & ~np.isin(jj, dense)
        jj, rr = jj[keep], rank[keep]
        val_k[jj, rr] = vv[keep]
        flat_k[jj, rr] = ff[keep]
        filled[jj, rr] = True
    else:
        dense = np.arange(K)
    for j in dense.tolist():
        vals, idx = torch_cpu_topk(maps.nms_row(j), k)
        val_k[j], flat_k[j], filled[j] = vals, idx, True
    loc_k[..., 0] = flat_k % W
    loc_k[..., 1] = flat_k // W
    tag_k = np.zeros((K, k, T), dtype=np.float32)
    jj, rr = np.nonzero(filled)
    tag_k[jj, rr] = maps.tags_at(jj, flat_k[jj, rr])
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
                 topk: int = 30,
                 use_detection_val: bool = True,
                 ignore_too_much: bool = False) -> np.ndarray:
    """Group top-k candidates into people, as the original ``match_by_tag``.

    People are keyed by the first tag value of the joint that created them
    (a later new person with an equal key merges into the existing one, as
    with the original's dict), only the first ``topk`` people take
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

    def start_person(idx, joint, tag):
        key = float(tag[0])
        joint_dict.setdefault(key, np.copy(default_))[idx] = joint
        tag_dict[key] = [tag]

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
                start_person(idx, joint, tag)
            continue
        grouped_keys = list(joint_dict.keys())[:topk]
        grouped_tags = [np.mean(tag_dict[g], axis=0) for g in grouped_keys]
        if ignore_too_much and len(grouped_keys) == topk:
            continue
        cost, dist = _matching_cost(joints, np.array(grouped_tags),
                                    use_detection_val)
        for row, col in munkres_assign(cost):
            if (row < len(joints) and col < len(grouped_keys)
                    and dist[row][col] < tag_threshold):
                key = grouped_keys[col]
                joint_dict[key][idx] = joints[row]
                tag_dict[key].append(tags[row])
            else:
                start_person(idx, joints[row], tags[row])
    if not joint_dict:
        return np.zeros((0, num_joints, 3 + D), dtype=np.float32)
    return np.array(list(joint_dict.values())).astype(np.float32)


def _matching_cost(joints: np.ndarray, grouped_tags: np.ndarray,
                   use_detection_val: bool) -> Tuple[np.ndarray, np.ndarray]:
    """The original's cost of joining each of N joints (x, y, value,
    tag...) to each of G people of mean tag ``grouped_tags`` (G, D):
    ``round(tag distance) * 100 - value`` (or the distance alone), padded
    with columns of 1e10 to N where N > G; and the (N, G) tag
    distances."""
    diff = joints[:, None, 3:] - grouped_tags[None, :, :]
    dist = np.linalg.norm(diff, ord=2, axis=2)
    cost = dist
    if use_detection_val:
        cost = np.round(dist) * 100 - joints[:, 2:3]
    num_added, num_grouped = dist.shape
    if num_added > num_grouped:
        cost = np.concatenate(
            (cost, np.zeros((num_added, num_added - num_grouped)) + 1e10),
            axis=1)
    return cost, dist


# --------------------------------------------------------------------------
# adjust
# --------------------------------------------------------------------------
def adjust_people(people: np.ndarray, maps: DenseMaps) -> np.ndarray:
    """Quarter-pixel shift toward the higher neighbour, then +0.5 (in
    place), as the original ``HeatmapParser.adjust`` for joints with
    value > 0."""
    if people.shape[0] == 0:
        return people
    H, W = maps.height, maps.width
    p, j = np.nonzero(people[:, :, 2] > 0)
    x = people[p, j, 0]
    y = people[p, j, 1]
    xi = x.astype(np.int64)
    yi = y.astype(np.int64)
    right = maps.values_at(j, yi * W + np.minimum(xi + 1, W - 1))
    left = maps.values_at(j, yi * W + np.maximum(xi - 1, 0))
    down = maps.values_at(j, np.minimum(yi + 1, H - 1) * W + xi)
    up = maps.values_at(j, np.maximum(yi - 1, 0) * W + xi)
    q = np.float32(0.25)
    x = np.where(right > left, x + q, x - q)
    y = np.where(down > up, y + q, y - q)
    people[p, j, 0] = x + np.float32(0.5)
    people[p, j, 1] = y + np.float32(0.5)
    return people


# --------------------------------------------------------------------------
# the decoder
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class DecodeOptions:
    """What decoding needs besides the maps (the codec's ``decode_*``
    arguments; ``asdict``/``DecodeOptions(**d)`` round-trip them, e.g.
    through an exported model's metadata).

    Args:
        joint_order: the order in which joints are matched to people, a
            permutation of ``range(K)`` (the original's for COCO:
            :data:`COCO_JOINT_ORDER`).
        nms_kernel: max-pool NMS kernel. topk: candidates per joint, and
            the groups each joint is matched against (the original's
            ``TEST.MAX_NUM_PEOPLE``: it bounds each joint's candidates, not
            the people). max_instances: most people
            returned (in the grouping's order), or None for every group the
            matching makes, as the original. A cap departs from the
            original (COCO's evaluation keeps the 20 best-scoring people of
            an image anyway).
        detection_threshold, tag_threshold, use_detection_val,
        ignore_too_much, adjust, refine: as the original's test options.
    """
    joint_order: Tuple[int, ...]
    nms_kernel: int = 5
    topk: int = 30
    max_instances: Optional[int] = None
    detection_threshold: float = 0.1
    tag_threshold: float = 1.0
    adjust: bool = True
    refine: bool = True
    use_detection_val: bool = True
    ignore_too_much: bool = False

    def __post_init__(self):
        # config values (JSON, YAML) come as any number type
        cast = dict(joint_order=lambda v: tuple(int(j) for j in v),
                    nms_kernel=int, topk=int,
                    max_instances=lambda v: None if v is None else int(v),
                    detection_threshold=float, tag_threshold=float,
                    adjust=bool, refine=bool, use_detection_val=bool,
                    ignore_too_much=bool)
        for name, to in cast.items():
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, to(value))
            except (TypeError, ValueError):
                raise ValueError(f'decode option {name}: {value!r} is not '
                                 f'a valid value') from None

    def to_dict(self) -> dict:
        return asdict(self)


def decode_config(decode_cfg: Optional[dict],
                  decode_kwargs: Dict[str, object]) -> dict:
    """The decode options a codec config gives: ``decode_cfg`` (fields of
    :class:`DecodeOptions`) and ``decode_<field>=value`` keywords, the one
    place where those names are mapped.

    Raises:
        TypeError: one line naming an argument that is not an option.
    """
    names = [f.name for f in fields(DecodeOptions)]
    cfg = dict(decode_cfg or {})
    for key, value in decode_kwargs.items():
        name = key[len('decode_'):]
        if not key.startswith('decode_') or name not in names:
            raise TypeError(
                f'AssociativeEmbeddingCodec: unknown argument {key!r} (decode '
                f'options: decode_<name> or decode_cfg.<name>, name in '
                f'{", ".join(names)})')
        cfg[name] = value
    unknown = sorted(set(cfg) - set(names))
    if unknown:
        raise TypeError(f'AssociativeEmbeddingCodec: decode_cfg has unknown '
                        f'option(s) {", ".join(unknown)} (known: '
                        f'{", ".join(names)})')
    return cfg


STAGES = ('nms', 'top-k', 'matching', 'adjust', 'refine')


@contextmanager
def _timed(stage_times: Optional[Dict[str, float]], name: str,
           clock: Callable[[], float]):
    if stage_times is None:
        yield
        return
    t = clock()
    yield
    stage_times[name] = stage_times.get(name, 0.0) + clock() - t


def group_people(maps: DenseMaps, options: DecodeOptions,
                 stage_times: Optional[Dict[str, float]] = None,
                 clock: Callable[[], float] = time.perf_counter
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """NMS, top-k, matching in ``options.joint_order``, adjust and refine
    of one image, as the original ``HeatmapParser.parse``.

    Args:
        maps: dense maps of the image (:class:`~.dense_maps.NumpyMaps`, or
            :class:`~higherhrnet_plugin.codecs.dense_maps_torch.TorchMaps` on a device).
        options: the decode options.
        stage_times: if given, seconds per stage (:data:`STAGES`) are added
            to it, read from ``clock``.

    Returns:
        people (P, K, 3 + T) float32 (x, y in heatmap pixels, value, tags)
        and scores (P,) float32 (mean value over all joints after adjust,
        before refine: the original pose score).
    """
    if sorted(options.joint_order) != list(range(maps.num_joints)):
        raise ValueError(
            f'joint_order {options.joint_order} is not a permutation of '
            f'the {maps.num_joints} joints of the heatmaps')
    threshold = options.detection_threshold
    with _timed(stage_times, 'nms', clock):
        peaks = maps.peaks(threshold) if threshold >= 0 else None
    with _timed(stage_times, 'top-k', clock):
        res = select_top_k(maps, peaks, options.topk, threshold)
    with _timed(stage_times, 'matching', clock):
        people = match_by_tag(
            *res,
            joint_order=options.joint_order,
            detection_threshold=options.detection_threshold,
            tag_threshold=options.tag_threshold,
            topk=options.topk,
            use_detection_val=options.use_detection_val,
            ignore_too_much=options.ignore_too_much)
    with _timed(stage_times, 'adjust', clock):
        if options.adjust:
            people = adjust_people(people, maps)
        scores = np.array([p[:, 2].mean() for p in people], dtype=np.float32)
    with _timed(stage_times, 'refine', clock):
        if options.refine and people.shape[0]:
            people = refine_people(people, maps)
    return people, scores


def split_people(people: np.ndarray, scores: np.ndarray, num_joints: int,
                 max_instances: Optional[int] = None
                 ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keypoints (N, K, 2), keypoint_scores (N, K), instance_scores (N,))
    of the first ``max_instances`` people (all of them when None)."""
    people = people[:max_instances]
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)[:max_instances]
    if people.shape[0] == 0:
        return (np.zeros((0, num_joints, 2), np.float32),
                np.zeros((0, num_joints), np.float32),
                np.zeros((0, ), np.float32))
    return people[..., :2].copy(), people[..., 2].copy(), scores


def decode_maps(maps: DenseMaps, options: DecodeOptions
                ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`group_people`, then the first ``options.max_instances``
    people (all when None) as (keypoints (N, K, 2), keypoint_scores (N, K),
    instance_scores (N,)), all float32, keypoints in heatmap pixels."""
    people, scores = group_people(maps, options)
    return split_people(people, scores, maps.num_joints,
                        options.max_instances)


def decode_people(heatmaps: np.ndarray, tags: np.ndarray,
                  options: DecodeOptions
                  ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group one image's aggregated maps into people (numpy only).

    The decoder of ``AssociativeEmbeddingCodec.decode`` and of the
    torch-free runtime.

    Args:
        heatmaps: (K, H, W) float32 aggregated heatmaps.
        tags: (K, H, W, T) float32 stacked tags ((K, H, W) is T = 1).
        options: :class:`DecodeOptions`.

    Returns:
        keypoints (N, K, 2) float32 in heatmap (= network input) pixels,
        keypoint_scores (N, K) float32 (heatmap values) and
        instance_scores (N,) float32 (N <= ``options.max_instances`` when
        set).
    """
    return decode_maps(NumpyMaps(heatmaps, tags, options.nms_kernel),
                       options)


def parse_poses(heatmaps: np.ndarray,
                tags: np.ndarray,
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
        heatmaps: (K, H, W) aggregated heatmaps (batch dim of 1 allowed;
            numpy or CPU tensors).
        tags: (K, H, W, T) stacked tags (batch dim of 1 allowed).

    Returns:
        keypoints (P, K, 3 + T) float32 (x, y in heatmap pixels, value,
        tags) and scores (P,) float32 (mean value over joints after adjust,
        before refine).
    """
    hm = np.asarray(heatmaps, dtype=np.float32)
    tg = np.asarray(tags, dtype=np.float32)
    if hm.ndim == 4:
        hm = hm[0]
    if tg.ndim == 5 or (tg.ndim == 4 and tg.shape[0] == 1
                        and hm.shape[0] != 1):
        tg = tg[0]
    options = DecodeOptions(
        joint_order=joint_order, nms_kernel=nms_kernel,
        topk=max_num_people,
        detection_threshold=detection_threshold,
        tag_threshold=tag_threshold, adjust=adjust, refine=refine,
        use_detection_val=use_detection_val,
        ignore_too_much=ignore_too_much)
    return group_people(NumpyMaps(hm, tg, nms_kernel), options)
