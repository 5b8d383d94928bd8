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
"""
from mmcv.transforms import LoadImageFromFile
from mmengine.dist import is_main_process
from mmpose.datasets import CocoDataset, CrowdPoseDataset
from mmpose.registry import DATASETS

from .coco_validation import raise_on_problems, validate_coco_keypoints


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
        problems = validate_coco_keypoints(
            self.ann_file, self.data_prefix.get('img'),
            self.metainfo['num_keypoints'], images=self.check_images,
            progress=is_main_process(),
            orientation_applied=applies_exif_orientation(self.pipeline))
        raise_on_problems(
            problems, hint='; tools/analysis/check_dataset.py lists them')
        return super()._load_annotations()


@DATASETS.register_module()
class ValidatedCocoDataset(_ValidatedOnLoad, CocoDataset):
    """MMPose's ``CocoDataset``, validated on load (see the module)."""


@DATASETS.register_module()
class ValidatedCrowdPoseDataset(_ValidatedOnLoad, CrowdPoseDataset):
    """MMPose's ``CrowdPoseDataset``, validated on load (see the module)."""
