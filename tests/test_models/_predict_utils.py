"""Shared helpers of the prediction / TTA tests."""

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from repo_paths import DEMO_CONFIG, SHARED_COCO


def tiny_cfg():
    return Config.fromfile(str(DEMO_CONFIG))


def build_tiny(flip_test=True, seed=0):
    import higherhrnet_plugin  # noqa: F401
    from mmpose.registry import MODELS
    cfg = tiny_cfg()
    cfg.model.test_cfg = dict(flip_test=flip_test)
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.eval()
    return model, cfg


def need_coco():
    if not (SHARED_COCO / 'test_coco.json').is_file():
        pytest.skip(f'COCO sample data absent ({SHARED_COCO})')


def coco_dataset(pipeline):
    from mmpose.datasets import CocoDataset
    need_coco()
    return CocoDataset(
        data_root=str(SHARED_COCO),
        ann_file='test_coco.json',
        data_prefix=dict(img=''),
        data_mode='bottomup',
        test_mode=True,
        pipeline=pipeline)


def run_batch(model, items):
    with torch.no_grad():
        return model.test_step(pseudo_collate(items))


def check_instances(pred, num_keypoints=17):
    kpts = np.asarray(pred.keypoints)
    n = kpts.shape[0]
    assert kpts.shape == (n, num_keypoints, 2)
    assert np.asarray(pred.keypoint_scores).shape == (n, num_keypoints)
    assert np.asarray(pred.bbox_scores).shape == (n, )
    assert np.isfinite(kpts).all()
    return n
