"""A config's training and test data replaced by a small generated set.

:func:`make_data` generates a synthetic COCO set
(:func:`~higherhrnet_plugin.synthetic_coco.make_synthetic_coco`;
nothing is downloaded), cut to the config's keypoint count when it has fewer
than the generated 17 (:func:`~higherhrnet_plugin.datasets.keypoint_subset.
write_keypoint_subset`: labels for the config's keypoint count, not for its
keypoints' meaning, enough to train and test on, not to measure accuracy),
and points the config's train and test dataloaders at it with the config's
metainfo and pipelines.
"""
import copy
import os.path as osp
from typing import Tuple

from mmengine.config import Config

from higherhrnet_plugin.datasets.keypoint_subset import write_keypoint_subset
from higherhrnet_plugin.synthetic_coco import make_synthetic_coco

_SYNTHETIC_KEYPOINTS = 17


def _dataset_metainfo(dataset_cfg: Config, where: str) -> dict:
    """The raw metainfo of a dataset config: its ``metainfo`` or its
    class's ``METAINFO``; ValueError naming ``where`` otherwise."""
    from mmpose.registry import DATASETS
    if dataset_cfg.get('metainfo'):
        return copy.deepcopy(dataset_cfg.metainfo)
    cls = DATASETS.get(dataset_cfg.get('type', ''))
    if cls is None or not getattr(cls, 'METAINFO', None):
        raise ValueError(
            f'{where}.type: {dataset_cfg.get("type")!r} has no keypoint '
            'METAINFO (a single keypoint dataset is needed)')
    return copy.deepcopy(cls.METAINFO)


def _synthetic_dataset(dataset_cfg: Config, data_root: str, split: str,
                      where: str) -> dict:
    """A ``CocoDataset`` on the ``split`` of the generated set with the
    config's metainfo, data mode, test mode and pipeline."""
    return dict(
        type='CocoDataset',
        data_root=data_root,
        data_mode=dataset_cfg.get('data_mode', 'bottomup'),
        ann_file=f'annotations/person_keypoints_{split}.json',
        data_prefix=dict(img=f'images/{split}/'),
        metainfo=_dataset_metainfo(dataset_cfg, where),
        test_mode=dataset_cfg.get('test_mode', False),
        pipeline=dataset_cfg.pipeline)


def make_data(cfg: Config, root: str, num_keypoints: int,
              image_size: Tuple[int, int], num_val: int) -> Config:
    """Generate one training batch of images and ``num_val`` val images
    under ``root`` (cut to the first ``num_keypoints`` keypoints) and point
    the config's train and test data at them. The training loader gets an
    ``InfiniteSampler``: the iterations never restart the workers."""
    if num_keypoints > _SYNTHETIC_KEYPOINTS:
        raise ValueError(
            f'model.head.num_keypoints: {num_keypoints} keypoints; the '
            f'generated people have {_SYNTHETIC_KEYPOINTS}')
    make_synthetic_coco(root, num_train=cfg.train_dataloader.batch_size,
                        num_val=num_val, image_size=tuple(image_size))
    if num_keypoints < _SYNTHETIC_KEYPOINTS:
        for split in ('train', 'val'):
            ann = osp.join(root, 'annotations',
                           f'person_keypoints_{split}.json')
            write_keypoint_subset(ann, ann, range(num_keypoints))
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset = _synthetic_dataset(
        cfg.train_dataloader.dataset, root, 'train',
        'train_dataloader.dataset')
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler', shuffle=True)
    cfg.test_dataloader.dataset = _synthetic_dataset(
        cfg.test_dataloader.dataset, root, 'val', 'test_dataloader.dataset')
    return cfg
