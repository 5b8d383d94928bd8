# Copyright (c) OpenMMLab. All rights reserved.
"""A faithful restatement of the original HigherHRNet test-time decoding.

The original ``HeatmapParser`` (torch max-pool NMS and ``topk``, per-joint
loops, ``munkres.Munkres``, the per-joint ``adjust`` loop, the exhaustive
per-person ``refine``), its ``get_final_preds`` (one affine per person, one
point at a time) and its flip/scale aggregation, written out step by step.
It is the reference our decoder is checked against (bit for bit) and timed
against (:mod:`.decode_benchmark`). Needs torch and ``munkres``.
"""
import time
from contextlib import contextmanager
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from higherhrnet_plugin.core.grouping import COCO_JOINT_ORDER
from higherhrnet_plugin.core.resize_geometry import \
    get_affine_transform


@contextmanager
def _timed(stage_times: Optional[Dict[str, float]], name: str,
           clock: Callable[[], float]):
    t = clock()
    yield
    if stage_times is not None:
        stage_times[name] = stage_times.get(name, 0.0) + clock() - t


def match_by_tag(tag_k, loc_k, val_k, joint_order=COCO_JOINT_ORDER,
                 detection_threshold=0.1, tag_threshold=1.0,
                 max_num_people=30):
    """The original ``match_by_tag`` (``USE_DETECTION_VAL``, not
    ``IGNORE_TOO_MUCH``)."""
    from munkres import Munkres
    num_joints = tag_k.shape[0]
    default_ = np.zeros((num_joints, 3 + tag_k.shape[2]))
    joint_dict = {}
    tag_dict = {}
    for i in range(num_joints):
        idx = joint_order[i]
        tags = tag_k[idx]
        joints = np.concatenate((loc_k[idx], val_k[idx, :, None], tags), 1)
        mask = joints[:, 2] > detection_threshold
        tags = tags[mask]
        joints = joints[mask]
        if joints.shape[0] == 0:
            continue
        if i == 0 or len(joint_dict) == 0:
            for tag, joint in zip(tags, joints):
                key = tag[0]
                joint_dict.setdefault(key, np.copy(default_))[idx] = joint
                tag_dict[key] = [tag]
        else:
            grouped_keys = list(joint_dict.keys())[:max_num_people]
            grouped_tags = [np.mean(tag_dict[k], axis=0) for k in grouped_keys]
            diff = joints[:, None, 3:] - np.array(grouped_tags)[None, :, :]
            diff_normed = np.linalg.norm(diff, ord=2, axis=2)
            diff_saved = np.copy(diff_normed)
            diff_normed = np.round(diff_normed) * 100 - joints[:, 2:3]
            num_added = diff.shape[0]
            num_grouped = diff.shape[1]
            if num_added > num_grouped:
                diff_normed = np.concatenate(
                    (diff_normed,
                     np.zeros((num_added, num_added - num_grouped)) + 1e10),
                    axis=1)
            pairs = np.array(Munkres().compute(diff_normed)).astype(np.int32)
            for row, col in pairs:
                if (row < num_added and col < num_grouped
                        and diff_saved[row][col] < tag_threshold):
                    key = grouped_keys[col]
                    joint_dict[key][idx] = joints[row]
                    tag_dict[key].append(tags[row])
                else:
                    key = tags[row][0]
                    joint_dict.setdefault(key, np.copy(default_))[idx] = \
                        joints[row]
                    tag_dict[key] = [tags[row]]
    return np.array([joint_dict[i] for i in joint_dict]).astype(np.float32)


def refine(det, tag, keypoints):
    """The original ``HeatmapParser.refine`` of one person."""
    if len(tag.shape) == 3:
        tag = tag[:, :, :, None]
    tags = []
    for i in range(keypoints.shape[0]):
        if keypoints[i, 2] > 0:
            x, y = keypoints[i][:2].astype(np.int32)
            tags.append(tag[i, y, x])
    prev_tag = np.mean(tags, axis=0)
    ans = []
    for i in range(keypoints.shape[0]):
        tmp = det[i, :, :]
        tt = (((tag[i, :, :] - prev_tag[None, None, :])**2).sum(axis=2)**0.5)
        tmp2 = tmp - np.round(tt)
        y, x = np.unravel_index(np.argmax(tmp2), tmp.shape)
        xx = x
        yy = y
        val = tmp[y, x]
        x += 0.5
        y += 0.5
        if tmp[yy, min(xx + 1, tmp.shape[1] - 1)] > tmp[yy, max(xx - 1, 0)]:
            x += 0.25
        else:
            x -= 0.25
        if tmp[min(yy + 1, tmp.shape[0] - 1), xx] > tmp[max(0, yy - 1), xx]:
            y += 0.25
        else:
            y -= 0.25
        ans.append((x, y, val))
    ans = np.array(ans)
    for i in range(det.shape[0]):
        if ans[i, 2] > 0 and keypoints[i, 2] == 0:
            keypoints[i, :2] = ans[i, :2]
            keypoints[i, 2] = ans[i, 2]
    return keypoints


def parse(det: torch.Tensor, tag: torch.Tensor, max_num_people: int = 30,
          joint_order: Sequence[int] = COCO_JOINT_ORDER,
          stage_times: Optional[Dict[str, float]] = None,
          clock: Callable[[], float] = time.perf_counter
          ) -> Tuple[List[np.ndarray], List[float]]:
    """The original ``HeatmapParser.parse`` with adjust and refine.

    Args:
        det: (1, K, H, W) aggregated heatmaps; tag: (1, K, H, W, T).
        stage_times: if given, seconds of ``nms``, ``top-k``, ``matching``,
            ``adjust`` and ``refine`` are added to it, read from ``clock``.

    Returns:
        the people (each (K, 3 + T) float32) and their scores.
    """
    with _timed(stage_times, 'nms', clock):
        pool = torch.nn.MaxPool2d(5, 1, 2)
        maxm = torch.eq(pool(det), det).float()
        d = det * maxm
    with _timed(stage_times, 'top-k', clock):
        n, k, h, w = d.shape
        val_k, ind = d.view(n, k, -1).topk(max_num_people, dim=2)
        t = tag.view(tag.size(0), tag.size(1), w * h, -1)
        tag_k = torch.stack(
            [torch.gather(t[:, :, :, i], 2, ind) for i in range(t.size(3))],
            dim=3)
        x = ind % w
        y = (ind / w).long()
        loc_k = torch.stack((x, y), dim=3)
    with _timed(stage_times, 'matching', clock):
        ans = [
            match_by_tag(a, b, c, joint_order, max_num_people=max_num_people)
            for a, b, c in zip(tag_k.cpu().numpy(), loc_k.cpu().numpy(),
                               val_k.cpu().numpy())
        ]
    with _timed(stage_times, 'adjust', clock):
        for batch_id, people in enumerate(ans):
            for people_id, i in enumerate(people):
                for joint_id, joint in enumerate(i):
                    if joint[2] > 0:
                        y, x = joint[0:2]
                        xx, yy = int(x), int(y)
                        tmp = det[batch_id][joint_id]
                        if tmp[xx, min(yy + 1, tmp.shape[1] - 1)] > \
                                tmp[xx, max(yy - 1, 0)]:
                            y += 0.25
                        else:
                            y -= 0.25
                        if tmp[min(xx + 1, tmp.shape[0] - 1), yy] > \
                                tmp[max(0, xx - 1), yy]:
                            x += 0.25
                        else:
                            x -= 0.25
                        ans[batch_id][people_id, joint_id, 0:2] = (y + 0.5,
                                                                   x + 0.5)
        scores = [i[:, 2].mean() for i in ans[0]]
    with _timed(stage_times, 'refine', clock):
        ans = ans[0]
        for p in range(len(ans)):
            ans[p] = refine(det[0].cpu().numpy(), tag[0].cpu().numpy(),
                            ans[p])
    return ans, scores


def get_final_preds(people: Sequence[np.ndarray], center, scale,
                    heatmap_size) -> List[np.ndarray]:
    """The original ``get_final_preds``: per person one inverse affine,
    then one point at a time."""
    results = []
    for person in people:
        coords = person.copy()
        trans = get_affine_transform(center, scale, heatmap_size, inv=True)
        for p in range(coords.shape[0]):
            pt = np.array([coords[p, 0], coords[p, 1], 1.]).T
            coords[p, 0:2] = np.dot(trans, pt)[:2]
        results.append(coords)
    return results


def aggregate(outputs: Sequence[torch.Tensor],
              flip_outputs: Sequence[torch.Tensor],
              flip_indices: Sequence[int], size_wh: Tuple[int, int]
              ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The original ``get_multi_stage_outputs`` + ``aggregate_results`` for
    one scale with flip (``PROJECT2IMAGE``): level 0 (2K channels: heatmaps
    then tags) and level 1 (K heatmaps). Returns (1, K, H, W) heatmaps and
    (1, K, H, W, 2) tags."""
    num_joints = outputs[1].shape[1]
    size_hw = (size_wh[1], size_wh[0])
    heatmaps, tags = [], []
    for flip, outs in ((False, outputs), (True, flip_outputs)):
        hm_sum, num = 0, 0
        for i, output in enumerate(outs):
            if i != len(outs) - 1:
                output = F.interpolate(
                    output, size=(outs[-1].size(2), outs[-1].size(3)),
                    mode='bilinear', align_corners=False)
            if flip:
                output = torch.flip(output, [3])
            hm = output[:, :num_joints]
            if flip:
                hm = hm[:, flip_indices]
            hm_sum += hm
            num += 1
            if i == 0:
                tg = output[:, num_joints:]
                tags.append(tg[:, flip_indices] if flip else tg)
        heatmaps.append(hm_sum / num)
    heatmaps = [F.interpolate(h, size=size_hw, mode='bilinear',
                              align_corners=False) for h in heatmaps]
    tags = [F.interpolate(t, size=size_hw, mode='bilinear',
                          align_corners=False).unsqueeze(4) for t in tags]
    return (heatmaps[0] + heatmaps[1]) / 2.0, torch.cat(tags, dim=4)
