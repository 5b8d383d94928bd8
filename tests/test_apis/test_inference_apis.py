"""MMPose's high-level APIs with a HigherHRNet model: ``init_model`` +
``inference_bottomup``, ``MMPoseInferencer`` and ``PoseLocalVisualizer``.

The demo config's model at a random init (``random_demo_checkpoint``):
the predictions are meaningless but must be well formed."""
import numpy as np
import pytest

IMG_NAME = '000000000785.jpg'


@pytest.fixture(scope='module')
def image(shared_dir):
    """The shared COCO image, or None where ../shared is absent (the tests
    that can then run on a random array instead)."""
    path = shared_dir / 'data' / 'coco' / IMG_NAME
    return str(path) if path.is_file() else None


def _image_or_array(image):
    """The shared COCO image, or a random array where it is absent."""
    if image is not None:
        return image
    rng = np.random.RandomState(0)
    return rng.randint(0, 255, (200, 300, 3), dtype=np.uint8)


def _check_instances(pred_instances, img_hw, input_center, input_scale):
    kpts = np.asarray(pred_instances.keypoints)
    scores = np.asarray(pred_instances.keypoint_scores)
    assert kpts.ndim == 3 and kpts.shape[1:] == (17, 2), kpts.shape
    assert scores.shape == kpts.shape[:2], scores.shape
    assert np.isfinite(kpts).all() and np.isfinite(scores).all()
    if 'bbox_scores' in pred_instances:
        assert np.asarray(pred_instances.bbox_scores).shape == \
            (kpts.shape[0], )
    if kpts.shape[0]:
        # predictions lie in the (expanded) input region in image pixels
        c = np.asarray(input_center, np.float64)
        s = np.asarray(input_scale, np.float64)
        lo, hi = c - s / 2 - 0.05 * s, c + s / 2 + 0.05 * s
        assert (kpts >= lo).all() and (kpts <= hi).all(), (
            kpts.min((0, 1)), kpts.max((0, 1)), lo, hi)


def test_init_model_inference_bottomup(demo_config, random_demo_checkpoint,
                                       image):
    from mmpose.apis import inference_bottomup, init_model
    from mmpose.structures import PoseDataSample
    model = init_model(str(demo_config), str(random_demo_checkpoint),
                       device='cpu')
    assert model.dataset_meta is not None
    assert model.dataset_meta['num_keypoints'] == 17
    img = _image_or_array(image)
    results = inference_bottomup(model, img)
    assert isinstance(results, list) and len(results) == 1
    result = results[0]
    assert isinstance(result, PoseDataSample)
    assert 'pred_instances' in result
    h, w = result.metainfo['ori_shape'][:2]
    _check_instances(result.pred_instances, (h, w),
                     result.metainfo['input_center'],
                     result.metainfo['input_scale'])


def test_mmpose_inferencer(demo_config, random_demo_checkpoint, shared_coco):
    image = str(shared_coco / IMG_NAME)
    from mmpose.apis import MMPoseInferencer
    inferencer = MMPoseInferencer(
        pose2d=str(demo_config), pose2d_weights=str(random_demo_checkpoint),
        device='cpu')
    outputs = list(inferencer(image, return_vis=True))
    assert len(outputs) == 1
    out = outputs[0]
    assert 'predictions' in out and 'visualization' in out
    preds = out['predictions'][0]
    assert isinstance(preds, list)
    for person in preds:
        assert np.asarray(person['keypoints']).shape == (17, 2)
        assert np.asarray(person['keypoint_scores']).shape == (17, )
    import mmcv
    h, w = mmcv.imread(image).shape[:2]
    vis = np.asarray(out['visualization'][0])
    assert vis.shape == (h, w, 3)


def test_pose_local_visualizer(demo_config, random_demo_checkpoint, image):
    import mmcv
    from mmpose.apis import inference_bottomup, init_model
    from mmpose.registry import VISUALIZERS
    model = init_model(str(demo_config), str(random_demo_checkpoint),
                       device='cpu')
    img = _image_or_array(image)
    result = inference_bottomup(model, img)[0]
    rgb = mmcv.imread(img, channel_order='rgb') if isinstance(img, str) \
        else img[..., ::-1].copy()
    # the configs' visualizer (MMPose's, working under NumPy 2)
    visualizer = VISUALIZERS.build(dict(
        model.cfg.visualizer, name='test_higherhrnet_vis'))
    visualizer.set_dataset_meta(model.dataset_meta)
    visualizer.add_datasample(
        'result', rgb, data_sample=result, draw_gt=False, show=False,
        kpt_thr=-1)
    drawn = visualizer.get_image()
    assert isinstance(drawn, np.ndarray)
    assert drawn.shape == rgb.shape and drawn.dtype == np.uint8
    if len(result.pred_instances.keypoints):
        # something was drawn
        assert not np.array_equal(drawn, rgb)
