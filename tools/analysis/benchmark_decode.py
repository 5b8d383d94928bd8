"""Benchmark the HigherHRNet grouping (NMS, top-k, match, adjust, refine).

Compares a faithful re-statement of the original HeatmapParser (torch
max-pool NMS, per-joint loops, ``munkres.Munkres``, per-joint adjust loop,
exhaustive per-person refine) with ``higherhrnet_plugin.codecs.grouping``
on synthetic inputs at the paper's test settings (flip test: two tag maps,
maps projected to a ~512x800 input), and checks that the poses are
identical.

Usage: python tools/analysis/benchmark_decode.py [--json PATH]
       [--people 1 10 30] [--repeats 3]
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

COCO_JOINT_ORDER = (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16)


# --------------------------------------------------------------------------
# reference: the original algorithm (HeatmapParser with munkres)
# --------------------------------------------------------------------------
def ref_match_by_tag(tag_k, loc_k, val_k, joint_order=COCO_JOINT_ORDER,
                     detection_threshold=0.1, tag_threshold=1.0,
                     max_num_people=30):
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


def ref_parse(det, tag, max_num_people=30, joint_order=COCO_JOINT_ORDER):
    """det (1, K, H, W), tag (1, K, H, W, D) torch tensors."""
    pool = torch.nn.MaxPool2d(5, 1, 2)
    maxm = torch.eq(pool(det), det).float()
    d = det * maxm
    n, k, h, w = d.shape
    val_k, ind = d.view(n, k, -1).topk(max_num_people, dim=2)
    t = tag.view(tag.size(0), tag.size(1), w * h, -1)
    tag_k = torch.stack(
        [torch.gather(t[:, :, :, i], 2, ind) for i in range(t.size(3))],
        dim=3)
    x = ind % w
    y = (ind / w).long()
    loc_k = torch.stack((x, y), dim=3)
    ans = [
        ref_match_by_tag(a, b, c, joint_order, max_num_people=max_num_people)
        for a, b, c in zip(
            tag_k.numpy(), loc_k.numpy(), val_k.numpy())
    ]
    # adjust
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
    ans = ans[0]
    for p in range(len(ans)):
        ans[p] = ref_refine(det[0].numpy(), tag[0].numpy(), ans[p])
    return ans, scores


def ref_refine(det, tag, keypoints):
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


# --------------------------------------------------------------------------
# synthetic inputs
# --------------------------------------------------------------------------
def make_inputs(num_people, size_wh=(800, 512), num_joints=17, seed=0,
                missing=0.15):
    """Heatmaps (1, K, H, W) and flip-test tags (1, K, H, W, 2) as a network
    projected to a 512x800 input would give (float16-exact values)."""
    rng = np.random.default_rng(seed)
    W, H = size_wh
    hm = np.zeros((num_joints, H, W), np.float32)
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    ptags = rng.permutation(np.arange(num_people)) * 2.0 + \
        rng.uniform(-0.3, 0.3, num_people)
    centers = np.stack([rng.uniform(40, W - 40, num_people),
                        rng.uniform(40, H - 40, num_people)], 1)
    sigma = 4.0
    r = int(3 * sigma) + 1
    joints = centers[:, None, :] + rng.normal(0, 15, (num_people, num_joints,
                                                        2))
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
    # tag maps: per joint, a smooth field equal to the person's tag around
    # that person's joint (nearest joint wins, blended over ~10 px)
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
    hm = hm.astype(np.float16).astype(np.float32)
    tags = tags.astype(np.float16).astype(np.float32)
    return torch.from_numpy(hm)[None], torch.from_numpy(tags)[None]


def _time(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times)), out


def main():
    from higherhrnet_plugin.codecs.grouping import parse_poses
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', default=None)
    parser.add_argument('--people', type=int, nargs='+', default=[1, 10, 30])
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    res = {'people': [], 'original_ms': [], 'ours_ms': [], 'identical': True}
    print(f'{"people":>6} {"found":>6} {"original ms":>12} {"ours ms":>9} '
          f'{"speed-up":>8} identical')
    for n in args.people:
        det, tag = make_inputs(n, seed=n)
        t_ref, (ref_k, ref_s) = _time(lambda: ref_parse(det, tag),
                                      args.repeats)
        t_our, (our_k, our_s) = _time(lambda: parse_poses(det[0], tag[0]),
                                      args.repeats)
        ref_k = np.array(ref_k, dtype=np.float32).reshape(our_k.shape) \
            if len(ref_k) else np.zeros_like(our_k)
        same = (ref_k.shape == our_k.shape and np.array_equal(ref_k, our_k)
                and np.array_equal(np.array(ref_s, np.float32), our_s))
        res['people'].append(n)
        res['original_ms'].append(round(t_ref, 2))
        res['ours_ms'].append(round(t_our, 2))
        res['identical'] = bool(res['identical'] and same)
        print(f'{n:>6} {len(our_k):>6} {t_ref:>12.1f} {t_our:>9.1f} '
              f'{t_ref / t_our:>7.1f}x {same}', flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0 if res['identical'] else 1


if __name__ == '__main__':
    sys.exit(main())
