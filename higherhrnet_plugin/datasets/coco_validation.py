"""Validate a COCO-format keypoint dataset before training or testing.

:func:`validate_coco_keypoints` reads an annotation file and the headers of
its images and returns every problem it finds, each as one line naming the
file, the image id and the annotation id. What is an error, and what is left
to MMPose (which skips or clips it), is listed in ``docs/reliability.md``.

The annotation checks are vectorised over all annotations (numpy), so that
a COCO-size file (~250k annotations) adds a fraction of its JSON parse
time; only the image headers are read one by one, with a progress bar.
Imports numpy, Pillow and the standard library only.
"""
import gc
import json
import os
import os.path as osp
import warnings
from itertools import chain
from typing import Dict, List, NamedTuple, Optional

import numpy as np

#: ``images``: ``'exist'`` (a stat per file), ``'header'`` (also the
#: format and size from the file header) or ``'decode'`` (also a full
#: decode with OpenCV, as ``LoadImage`` does; slow)
IMAGE_CHECKS = ('none', 'exist', 'header', 'decode')
#: a labelled keypoint further outside its image than this many image sizes
#: cannot belong to it (MMPose keeps points a little outside: the encoder
#: drops them from the heatmaps)
_OUTSIDE_LIMIT = 1.0
_ORIENTATION = 0x0112  # the EXIF tag


class DatasetError(ValueError):
    """A dataset that cannot be trained or tested on, in one line."""


class Problem(NamedTuple):
    """One problem: where (``path``, image and annotation id) and what."""
    path: str
    message: str
    image_id: Optional[object] = None
    ann_id: Optional[object] = None

    def __str__(self):
        where = [self.path]
        if self.image_id is not None:
            where.append(f'image id {self.image_id}')
        if self.ann_id is not None:
            where.append(f'annotation id {self.ann_id}')
        return ': '.join([', '.join(where), self.message])


def _load_annotation_file(ann_file: str) -> Dict:
    """The parsed annotation file; :class:`DatasetError` naming the file
    when it is missing, unreadable, not JSON or truncated."""
    if not osp.isfile(ann_file):
        raise DatasetError(f'{ann_file}: no such annotation file')
    try:
        with open(ann_file, 'rb') as f:
            text = f.read()
    except OSError as e:
        raise DatasetError(f'{ann_file}: cannot read it: {e.strerror}')
    try:
        return json.loads(text)
    except UnicodeDecodeError as e:
        raise DatasetError(f'{ann_file}: not JSON (not UTF-8 text at byte '
                           f'{e.start})')
    except json.JSONDecodeError as e:
        # the parser reached the end of the file: it stops in the middle
        cut = (e.pos >= len(text.rstrip())
               or e.msg.startswith('Unterminated string'))
        raise DatasetError(f'{ann_file}: not JSON{" (truncated?)" * cut}: '
                           f'{e.msg} (line {e.lineno}, column {e.colno})')


def _numbers(rows: List, width: int) -> Optional[np.ndarray]:
    """``rows`` as an (N, width) float64 array, or None when any row is not
    a list of ``width`` numbers (the caller then finds which)."""
    if not all(type(r) is list and len(r) == width for r in rows):
        return None
    try:  # fromiter over the flat values: ~2x faster than np.array(rows)
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64,
                           count=len(rows) * width)
    except (TypeError, ValueError):
        return None
    return flat.reshape(len(rows), width)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_id(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _size(img: Dict, key: str) -> float:
    """``img[key]`` (width or height), inf when it is not a number."""
    v = img.get(key)
    return v if _is_number(v) else np.inf


def _check_structure(data, ann_file: str) -> List[Problem]:
    if not isinstance(data, dict):
        return [Problem(ann_file, 'the top level is not a JSON object')]
    problems = []
    for key in ('images', 'annotations', 'categories'):
        if key not in data:
            problems.append(Problem(ann_file, f'no `{key}` list'))
        elif not isinstance(data[key], list):
            problems.append(Problem(ann_file, f'`{key}` is not a list'))
        elif not data[key]:
            problems.append(Problem(ann_file, f'`{key}` is empty'))
        elif not all(isinstance(x, dict) for x in data[key]):
            problems.append(Problem(ann_file,
                                    f'`{key}` holds a non-object entry'))
    return problems


def _check_categories(categories: List[Dict], num_keypoints: int,
                      ann_file: str) -> List[Problem]:
    problems = []
    for cat in categories:
        names = cat.get('keypoints')
        if names is not None and len(names) != num_keypoints:
            problems.append(Problem(
                ann_file, f'category {cat.get("id")!r} names {len(names)} '
                f'keypoints, the dataset has {num_keypoints}'))
    return problems


def _check_images(images: List[Dict], ann_file: str) -> List[Problem]:
    problems, seen = [], set()
    for img in images:
        iid = img.get('id')
        if not _is_id(iid):
            problems.append(Problem(ann_file, 'image `id` is not an integer',
                                    image_id=repr(iid)))
            continue
        if iid in seen:
            problems.append(Problem(ann_file, 'duplicate image id',
                                    image_id=iid))
        seen.add(iid)
        if not isinstance(img.get('file_name'), str):
            problems.append(Problem(ann_file, 'no `file_name`', image_id=iid))
        for key in ('width', 'height'):
            v = img.get(key)
            if not _is_number(v) or not v >= 1:
                problems.append(Problem(
                    ann_file, f'`{key}` is {v!r}, not a positive number',
                    image_id=iid))
    return problems


def _check_annotations(anns: List[Dict], images: Dict[int, Dict],
                       num_keypoints: int, ann_file: str) -> List[Problem]:
    """Ids, references, ``keypoints``, ``bbox`` and ``area`` of every
    annotation (vectorised; loops only over the annotations at fault)."""
    return (_check_annotation_ids(anns, images, ann_file) +
            _check_keypoints(anns, images, num_keypoints, ann_file) +
            _check_boxes(anns, ann_file) + _check_areas(anns, ann_file))


def _check_annotation_ids(anns: List[Dict], images: Dict[int, Dict],
                          ann_file: str) -> List[Problem]:
    """Annotation ids (integers, unique) and the images they refer to."""
    problems = []
    seen = set()
    for a in anns:
        ann_id, img_id = a.get('id'), a.get('image_id')
        if not _is_id(ann_id):
            problems.append(Problem(ann_file, 'annotation `id` is not an '
                                    'integer', img_id, repr(ann_id)))
        elif ann_id in seen:
            problems.append(Problem(ann_file, 'duplicate annotation id',
                                    image_id=img_id, ann_id=ann_id))
        seen.add(ann_id if _is_id(ann_id) else None)
        if not _is_id(img_id) or img_id not in images:
            problems.append(Problem(
                ann_file, 'its `image_id` is not in `images`',
                image_id=img_id, ann_id=ann_id))
    return problems


def _check_keypoints(anns: List[Dict], images: Dict[int, Dict],
                     num_keypoints: int, ann_file: str) -> List[Problem]:
    """``keypoints``: 3K numbers, finite, visibility 0/1/2, not far
    outside the image."""
    width = 3 * num_keypoints
    kpts = _numbers([a.get('keypoints') for a in anns], width)
    if kpts is None:
        return _keypoint_list_problems(anns, num_keypoints, ann_file)
    problems = []
    ids = [a.get('id') for a in anns]
    image_ids = [a.get('image_id') for a in anns]
    xyv = kpts.reshape(len(anns), num_keypoints, 3)
    bad = ~np.isfinite(kpts).all(1)
    for i in np.flatnonzero(bad):
        problems.append(Problem(ann_file, '`keypoints` holds NaN or inf',
                                image_ids[i], ids[i]))
    vis = xyv[..., 2]
    bad_vis = ~bad & ~np.isin(vis, (0, 1, 2)).all(1)
    for i in np.flatnonzero(bad_vis):
        problems.append(Problem(
            ann_file, '`keypoints` visibility is not 0, 1 or 2',
            image_ids[i], ids[i]))
    # each annotation's image size (inf where the image is unknown)
    pos = {iid: i for i, iid in enumerate(images)}
    wh = np.array([[_size(img, 'width'), _size(img, 'height')]
                   for img in images.values()] + [[np.inf, np.inf]])
    size = wh[[pos.get(j, -1) if _is_id(j) else -1
               for j in image_ids]][:, None, :]
    with np.errstate(invalid='ignore'):
        far = ((xyv[..., :2] < -_OUTSIDE_LIMIT * size) |
               (xyv[..., :2] > (1 + _OUTSIDE_LIMIT) * size)).any(-1)
    far &= (vis > 0) & ~bad[:, None]
    for i in np.flatnonzero(far.any(1)):
        k = int(np.flatnonzero(far[i])[0])
        problems.append(Problem(
            ann_file, f'keypoint {k} at ({xyv[i, k, 0]:g}, '
            f'{xyv[i, k, 1]:g}) lies more than the image size outside '
            'its image', image_ids[i], ids[i]))
    return problems


def _keypoint_list_problems(anns: List[Dict], num_keypoints: int,
                            ann_file: str) -> List[Problem]:
    """The annotations whose ``keypoints`` is not a list of 3K numbers."""
    width = 3 * num_keypoints
    problems = []
    for a in anns:
        k = a.get('keypoints')
        if not isinstance(k, list):
            msg = 'no `keypoints` list'
        elif len(k) != width:
            msg = (f'`keypoints` has {len(k)} values, not 3 x '
                   f'{num_keypoints} = {width}')
        elif not all(_is_number(v) for v in k):
            msg = '`keypoints` holds a value that is not a number'
        else:
            continue
        problems.append(Problem(ann_file, msg, a.get('image_id'),
                                a.get('id')))
    return problems


def _check_boxes(anns: List[Dict], ann_file: str) -> List[Problem]:
    """``bbox``: 4 finite numbers."""
    problems = []
    boxes = _numbers([a.get('bbox') for a in anns], 4)
    if boxes is None or not np.isfinite(boxes).all():
        for a in anns:
            b = a.get('bbox')
            if not (isinstance(b, list) and len(b) == 4
                    and all(_is_number(v) for v in b)
                    and np.isfinite(b).all()):
                msg = ('no `bbox`' if b is None else
                       f'`bbox` is {b!r}, not 4 finite numbers')
                problems.append(Problem(ann_file, msg, a.get('image_id'),
                                        a.get('id')))
    return problems


def _check_areas(anns: List[Dict], ann_file: str) -> List[Problem]:
    """``area`` (0 where absent): a finite number >= 0."""
    problems = []
    try:
        areas = np.fromiter((a.get('area', 0) for a in anns), np.float64,
                            count=len(anns))
    except (TypeError, ValueError):
        areas = np.full(1, np.nan)
    with np.errstate(invalid='ignore'):
        areas_ok = bool((areas >= 0).all())
    for a in ([] if areas_ok else anns):  # NaN fails >= 0 too
        area = a.get('area', 0)
        if not (_is_number(area) and np.isfinite(area) and area >= 0):
            problems.append(Problem(
                ann_file, f'`area` is {area!r}, not a number >= 0',
                a.get('image_id'), a.get('id')))
    return problems


def _image_header(path: str):
    """(format, (width, height), EXIF orientation) from the file header;
    raises when Pillow cannot read it."""
    from PIL import Image
    with warnings.catch_warnings():
        # a huge image is legitimate here: only its header is read
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        with Image.open(path) as im:
            return im.format, im.size, im.getexif().get(_ORIENTATION, 1)


def check_image_files(images: List[Dict], img_dir: str, how: str = 'header',
                      progress: bool = True,
                      orientation_applied: bool = True) -> List[Problem]:
    """Every image of ``images`` exists in ``img_dir`` and (``how``:
    ``'header'``) has a readable header giving the annotated size, or
    (``'decode'``) also decodes with OpenCV as ``LoadImage`` reads it.

    With ``orientation_applied`` (``LoadImage``'s default ``color_type``
    ``'color'``, which rotates by the EXIF orientation), an image with an
    EXIF orientation other than 1 is a problem: it would be loaded turned
    against its annotation, which is of the stored pixels."""
    if how not in IMAGE_CHECKS:
        raise ValueError(f'images must be one of {IMAGE_CHECKS}, got {how!r}')
    if how == 'none':
        return []
    if not osp.isdir(img_dir):
        return [Problem(img_dir, 'no such image folder')]
    names = set(os.listdir(img_dir))
    problems = []
    bar = None
    if progress and how != 'exist':
        from mmengine.utils import ProgressBar
        bar = ProgressBar(len(images))
    for img in images:
        iid, name = img.get('id'), img.get('file_name')
        if not isinstance(name, str):
            continue  # reported by the annotation check
        path = osp.join(img_dir, name)
        if name not in names and not osp.isfile(path):
            problems.append(Problem(path, 'no such image file', iid))
        elif how != 'exist':
            problems += _check_image_file(path, img, how,
                                          orientation_applied)
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)  # ProgressBar leaves the cursor on its line
    return problems


def _check_image_file(path: str, img: Dict, how: str,
                      orientation_applied: bool) -> List[Problem]:
    iid = img.get('id')
    try:
        fmt, (w, h), orientation = _image_header(path)
    except Exception as e:  # PIL raises many types for corrupt headers
        reason = (e.strerror if isinstance(e, OSError) and e.strerror
                  else str(e).splitlines()[0] if str(e) else
                  type(e).__name__)
        return [Problem(path, f'not a readable image: {reason}', iid)]
    if (w, h) != (img.get('width'), img.get('height')):
        return [Problem(
            path, f'the file is {w}x{h}, the annotation says '
            f'{img.get("width")}x{img.get("height")}', iid)]
    if orientation_applied and orientation != 1:
        return [Problem(
            path, f'EXIF orientation {orientation}: LoadImage(color_type='
            "'color') would turn it against its annotation; load with "
            "color_type='color_ignore_orientation' (as the original)", iid)]
    if how == 'decode':
        import cv2
        data = np.fromfile(path, dtype=np.uint8)
        flag = cv2.IMREAD_COLOR | (0 if orientation_applied else
                                   cv2.IMREAD_IGNORE_ORIENTATION)
        if cv2.imdecode(data, flag) is None:
            return [Problem(path, f'{fmt} header reads, OpenCV cannot '
                            'decode the image', iid)]
    return []


def validate_coco_keypoints(ann_file: str, img_dir: Optional[str],
                            num_keypoints: int, images: str = 'header',
                            progress: bool = True,
                            orientation_applied: bool = True
                            ) -> List[Problem]:
    """Every problem of a COCO-format keypoint dataset, as one-line
    :class:`Problem` s (empty: the dataset is fine).

    Args:
        ann_file: the annotation file (``images``, ``annotations``,
            ``categories``).
        img_dir: the folder ``file_name`` is relative to (None: images are
            not checked).
        num_keypoints: K of the dataset (COCO 17, CrowdPose 14):
            ``keypoints`` must hold 3K numbers.
        images: how far image files are checked, one of
            :data:`IMAGE_CHECKS`.
        progress: show a progress bar while reading image headers.
        orientation_applied: images are loaded rotated by their EXIF
            orientation (see :func:`check_image_files`).

    Raises:
        DatasetError: the annotation file is missing or not JSON.
    """
    gc_was_enabled = gc.isenabled()
    # the parsed file is millions of objects: every collection the checks'
    # allocations would trigger walks them all (~2x the time)
    gc.disable()
    try:
        return _validate(ann_file, img_dir, num_keypoints, images, progress,
                         orientation_applied)
    finally:
        if gc_was_enabled:
            gc.enable()


def _validate(ann_file, img_dir, num_keypoints, images, progress,
              orientation_applied):
    data = _load_annotation_file(ann_file)
    problems = _check_structure(data, ann_file)
    if problems:
        return problems
    problems += _check_categories(data['categories'], num_keypoints, ann_file)
    problems += _check_images(data['images'], ann_file)
    by_id = {img['id']: img for img in data['images']
             if _is_id(img.get('id'))}
    problems += _check_annotations(data['annotations'], by_id, num_keypoints,
                                   ann_file)
    if img_dir is not None:
        problems += check_image_files(data['images'], img_dir, images,
                                      progress, orientation_applied)
    return problems


def raise_on_problems(problems: List[Problem], hint: str = '') -> None:
    """:class:`DatasetError` with the first problem (and the count of the
    others) unless ``problems`` is empty."""
    if problems:
        more = (f' (and {len(problems) - 1} more problem(s){hint})'
                if len(problems) > 1 else '')
        raise DatasetError(f'{problems[0]}{more}')
