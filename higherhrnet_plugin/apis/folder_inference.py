"""Run a pose predictor over image files: ``results.json`` and overlays.

The loop is the same for every backend. A backend gives a ``predict``
callable, ``predict(img, path) -> Prediction`` (people in the pixels of the
``img`` it was given), and optionally a ``draw(img, prediction, out_file)``
callable. Memory stays bounded over any number of files: one image is held
at a time, and each image's people are kept only as COCO records.
"""
import os
import os.path as osp
import sys
from typing import Callable, List, NamedTuple, Optional

import numpy as np

from ..core.coco_results import image_ids, person_records, write_results
from ..core.errors import ImageReadError, InferenceError, first_line
from ..core.image_files import MAX_PIXELS, read_image
from ..core.prediction import Prediction


class FolderSummary(NamedTuple):
    """What :func:`infer_images` did."""
    num_images: int
    num_people: int
    failed: List[str]
    results_file: str
    vis_dir: str


def _warn(path: str, message: str) -> None:
    print(f'infer: {path!r}: {message}', file=sys.stderr, flush=True)


def _prepare_out_dir(out_dir: str) -> str:
    """Create ``out_dir/vis`` (keeping what is there); returns its path."""
    vis_dir = osp.join(out_dir, 'vis')
    try:
        os.makedirs(vis_dir, exist_ok=True)
    except OSError as e:
        raise InferenceError(f'--out-dir: cannot create {vis_dir!r}: '
                             f'{first_line(e)}')
    return vis_dir


def infer_images(files: List[str],
                 predict: Callable[[np.ndarray, str], Prediction],
                 out_dir: str,
                 draw: Optional[Callable] = None,
                 max_pixels: int = MAX_PIXELS) -> FolderSummary:
    """Predict the people of every file, write ``out_dir/results.json``
    (COCO keypoint results, image pixels) and, with ``draw``,
    ``out_dir/vis/<stem>.png``.

    A file that cannot be read or predicted is reported on stderr (one
    line) and skipped; the others are processed. Nothing already in
    ``out_dir`` is deleted. An image decoded reduced (see
    :func:`~higherhrnet_plugin.core.image_files.read_image`) is drawn at its reduced size.
    """
    vis_dir = _prepare_out_dir(out_dir)
    results, failed, vis_names = [], [], set()
    for path, image_id in zip(files, image_ids(files)):
        file_name = osp.basename(path)
        try:
            img, (sx, sy) = read_image(path, max_pixels)
        except ImageReadError as e:
            _warn(path, f'{e}; skipped')
            failed.append(path)
            continue
        try:
            pred = predict(img, path)
        except Exception as e:  # report the image, go on with the others
            _warn(path, f'inference failed: {first_line(e)}; skipped')
            failed.append(path)
            continue
        kpts = np.asarray(pred.keypoints, np.float64) * np.array([sx, sy])
        results += person_records(kpts, pred.keypoint_scores,
                                  pred.instance_scores, image_id, file_name)
        if draw is None:
            continue
        stem, ext = osp.splitext(file_name)
        vis_name = stem if stem not in vis_names else f'{stem}_{ext[1:]}'
        vis_names.add(vis_name)
        try:
            draw(img, pred, osp.join(vis_dir, f'{vis_name}.png'))
        except Exception as e:
            _warn(path, f'cannot write its overlay in {vis_dir!r}: '
                  f'{first_line(e)}')
            failed.append(path)
    out_file = osp.join(out_dir, 'results.json')
    write_results(results, out_file)
    return FolderSummary(len(files), len(results), failed, out_file, vis_dir)
