"""MMPose's COCO and CrowdPose datasets, validated when they load.

``ValidatedCocoDataset`` and ``ValidatedCrowdPoseDataset`` are MMPose's
``CocoDataset`` and ``CrowdPoseDataset`` whose annotation file and images
are checked by :func:`~.coco_validation.validate_coco_keypoints` before
MMPose parses them: a bad dataset stops training or testing before the
first iteration with one line naming the file, image id and annotation id,
instead of a numpy or JSON traceback later. ``check_images`` sets how far
the image files are checked (``'header'`` by default); an EXIF-rotated
image is a problem only when the pipeline's ``LoadImage`` applies the
rotation (``color_type='color'``).

The check runs once per start, on rank 0; the other ranks wait for its
verdict (:func:`broadcast_object_list`) and raise the same error. A clean
verdict is cached in ``$XDG_CACHE_HOME/higherhrnet_plugin/dataset_checks/``
(``~/.cache/...`` by default), keyed by the annotation file's path, size,
mtime and SHA-256, the image folder's path and mtime and the check's
options, so a resume or a second run of the same data reads no image header
(a COCO train set's 118k headers) again. An image changed in place after a
clean verdict is not noticed; delete the cache file to check again.
"""
import hashlib
import json
import logging
import os
import os.path as osp
from typing import List, Optional

from mmcv.transforms import LoadImageFromFile
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.logging import print_log
from mmpose.datasets import CocoDataset, CrowdPoseDataset
from mmpose.registry import DATASETS

from .coco_validation import (Problem, raise_on_problems,
                              validate_coco_keypoints)


def check_cache_dir() -> str:
    """Where clean verdicts are kept:
    ``$XDG_CACHE_HOME/higherhrnet_plugin/dataset_checks``."""
    root = os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache')
    return osp.join(root, 'higherhrnet_plugin', 'dataset_checks')


def _cache_file(ann_file: str, img_dir: Optional[str],
                options: list) -> str:
    """The cache file of this annotation file (content and stat), image
    folder and check options."""
    digest = hashlib.sha256()
    with open(ann_file, 'rb') as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b''):
            digest.update(chunk)
    st = os.stat(ann_file)
    img_mtime = os.stat(img_dir).st_mtime_ns \
        if img_dir and osp.isdir(img_dir) else None
    key = json.dumps([
        osp.abspath(ann_file), st.st_size, st.st_mtime_ns, digest.hexdigest(),
        img_dir and osp.abspath(img_dir), img_mtime, *options
    ])
    return osp.join(check_cache_dir(),
                    hashlib.sha256(key.encode()).hexdigest() + '.json')


def validate_once(ann_file: str, img_dir: Optional[str], num_keypoints: int,
                  images: str = 'header',
                  orientation_applied: bool = True) -> List[Problem]:
    """:func:`validate_coco_keypoints` (with a progress bar), or nothing
    when the cache holds a clean verdict for the same inputs; a new clean
    verdict is cached."""
    if not osp.isfile(ann_file):  # the check's own one-line error
        return validate_coco_keypoints(ann_file, img_dir, num_keypoints,
                                       images, True, orientation_applied)
    cache = _cache_file(ann_file, img_dir,
                        [num_keypoints, images, orientation_applied])
    if osp.isfile(cache):
        return []
    problems = validate_coco_keypoints(ann_file, img_dir, num_keypoints,
                                       images, True, orientation_applied)
    if not problems:
        try:
            os.makedirs(osp.dirname(cache), exist_ok=True)
            tmp = f'{cache}.{os.getpid()}.tmp'
            with open(tmp, 'w') as fh:
                json.dump(dict(ann_file=osp.abspath(ann_file),
                               img_dir=img_dir, images=images), fh)
            os.replace(tmp, cache)
        except OSError as e:  # a read-only home: check again next time
            print_log(f'dataset check not cached in {cache}: {e}',
                      logger='current', level=logging.WARNING)
    return problems


def applies_exif_orientation(pipeline) -> bool:
    """Whether a pipeline's ``LoadImage`` rotates images by their EXIF
    orientation (``color_type`` without ``ignore_orientation``)."""
    return any(isinstance(t, LoadImageFromFile)
               and 'ignore_orientation' not in t.color_type
               for t in getattr(pipeline, 'transforms', []))


class _ValidatedOnLoad:
    """Runs the dataset check in ``_load_annotations`` (MMPose's loader of
    the annotation file, called on full init)."""

    def __init__(self, *args, check_images: str = 'header', **kwargs):
        self.check_images = check_images
        super().__init__(*args, **kwargs)

    def _load_annotations(self):
        verdict = [None]
        if is_main_process():
            try:
                verdict[0] = validate_once(
                    self.ann_file, self.data_prefix.get('img'),
                    self.metainfo['num_keypoints'], self.check_images,
                    applies_exif_orientation(self.pipeline))
            except Exception as e:  # noqa: BLE001  (every rank raises it)
                verdict[0] = e
        broadcast_object_list(verdict)  # a no-op without a process group
        if isinstance(verdict[0], Exception):
            raise verdict[0]
        raise_on_problems(
            verdict[0], hint='; tools/analysis/check_dataset.py lists them')
        return super()._load_annotations()


@DATASETS.register_module()
class ValidatedCocoDataset(_ValidatedOnLoad, CocoDataset):
    """MMPose's ``CocoDataset``, validated on load (see the module)."""


@DATASETS.register_module()
class ValidatedCrowdPoseDataset(_ValidatedOnLoad, CrowdPoseDataset):
    """MMPose's ``CrowdPoseDataset``, validated on load (see the module)."""
