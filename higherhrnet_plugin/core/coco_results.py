"""COCO keypoint result records of predicted people, and ``results.json``.

Every inference backend turns its people into the same records here.
Imports numpy, json and os only (the torch-free runtime uses it).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np


def image_ids(file_names: Sequence[str]) -> List[int]:
    """COCO image ids of files: the integer stems (as COCO's
    ``000000000785.jpg``), else a running index in the given order that
    skips the integer stems' ids."""
    stems = [osp.splitext(osp.basename(f))[0] for f in file_names]
    is_int = [s.isascii() and s.isdigit() for s in stems]
    used = {int(s) for s, ok in zip(stems, is_int) if ok}
    ids, nxt = [], 0
    for s, ok in zip(stems, is_int):
        if ok:
            ids.append(int(s))
            continue
        while nxt in used:
            nxt += 1
        ids.append(nxt)
        used.add(nxt)
    return ids


def person_records(keypoints: np.ndarray, keypoint_scores: np.ndarray,
                   instance_scores: Optional[np.ndarray], image_id: int,
                   file_name: str) -> List[Dict]:
    """One image's people as COCO keypoint results.

    Args:
        keypoints: (N, K, 2) joint positions in image pixels.
        keypoint_scores: (N, K) joint scores.
        instance_scores: (N, ) person scores; None: the mean joint score.
        image_id: the COCO image id.
        file_name: the image's file name (an extra key of each record).

    Returns:
        list: N dicts ``image_id``, ``category_id`` (1), ``keypoints``
        (``[x, y, score] * K``), ``score`` and ``file_name``.
    """
    kpts = np.asarray(keypoints, dtype=np.float64)
    scores = np.asarray(keypoint_scores, dtype=np.float64).reshape(
        kpts.shape[:2])
    inst = (scores.mean(-1) if instance_scores is None else np.asarray(
        instance_scores, dtype=np.float64).reshape(-1))
    # explicit width: an image with no people gives (0, 3K), not an error
    flat = np.concatenate([kpts, scores[..., None]], axis=2).reshape(
        len(kpts), 3 * kpts.shape[1])
    return [dict(image_id=int(image_id), category_id=1,
                 keypoints=[float(v) for v in row], score=float(s),
                 file_name=file_name) for row, s in zip(flat, inst)]


def write_results(records: List[Dict], out_file: str) -> None:
    """Write ``records`` as JSON to ``out_file`` atomically (a complete
    file or the previous one, never a partial file)."""
    tmp_file = out_file + '.tmp'
    with open(tmp_file, 'w') as f:
        json.dump(records, f)
    os.replace(tmp_file, out_file)
