"""NumPy2PoseLocalVisualizer draws the joints MMPose's own visualizer fails
on under NumPy 2."""
import numpy as np
import pytest
from mmengine.structures import InstanceData

import higherhrnet_plugin  # noqa: F401
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample


def _sample():
    inst = InstanceData()
    inst.keypoints = np.array([[[10. + 3 * k, 20. + 2 * k]
                                for k in range(17)]])
    inst.keypoint_scores = np.ones((1, 17))
    sample = PoseDataSample()
    sample.pred_instances = inst
    return sample


def _draw(type_):
    vis = VISUALIZERS.build(dict(type=type_, name=f'test_{type_}'))
    vis.set_dataset_meta(parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/coco.py')))
    img = np.zeros((80, 80, 3), np.uint8)
    vis.add_datasample('r', img, data_sample=_sample(), draw_gt=False,
                       show=False, kpt_thr=0.3)
    return vis.get_image()


def test_mmpose_visualizer_fails_under_numpy2():
    # the bug the subclass exists for; if MMPose fixes it, drop the class
    if int(np.__version__.split('.')[0]) < 2:
        pytest.skip('NumPy < 2 converts 1-element arrays to int')
    with pytest.raises(TypeError, match='0-dimensional'):
        _draw('PoseLocalVisualizer')


def test_numpy2_visualizer_draws_the_joints():
    drawn = _draw('NumPy2PoseLocalVisualizer')
    assert drawn.shape == (80, 80, 3) and drawn.any()
    # a joint's centre is painted
    assert drawn[20, 10].any()


def test_joints_below_kpt_thr_are_not_drawn():
    # as a bottom-up model's predictions: keypoints_visible are the scores
    rng = np.random.RandomState(0)
    confident = np.stack([rng.uniform(5, 35, 17), rng.uniform(5, 75, 17)], -1)
    faint = confident + [40, 0]  # the same pose, right half of the image
    inst = InstanceData(
        keypoints=np.stack([confident, faint]),
        keypoint_scores=np.array([[0.9] * 17, [0.05] * 17]))
    inst.keypoints_visible = inst.keypoint_scores
    sample = PoseDataSample(pred_instances=inst)
    vis = VISUALIZERS.build(
        dict(type='NumPy2PoseLocalVisualizer', name='test_kpt_thr'))
    vis.set_dataset_meta(parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/coco.py')))
    img = np.zeros((80, 80, 3), np.uint8)
    vis.add_datasample('r', img, data_sample=sample, draw_gt=False,
                       kpt_thr=0.1)
    drawn = vis.get_image()
    assert not img.any(), 'the input image was modified'
    for x, y in confident.astype(int):
        assert drawn[y, x].any()
    assert not drawn[:, 42:].any()
