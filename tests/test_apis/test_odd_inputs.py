"""MMPose's APIs (``inference_bottomup``, ``MMPoseInferencer``) with our
demo config on odd images: tiny, 1:20, constant, noise, grayscale, RGBA,
16-bit, CMYK, EXIF-rotated and 10000x10000. Each gives well-formed poses.

The model: ``random_models.random_demo_model``, which predicts people on
any image."""
import numpy as np
import pytest
from odd_images import SIZES, write_huge_images, write_odd_images
from random_models import NUM_KEYPOINTS, random_demo_model, save_checkpoint
from repo_paths import DEMO_CONFIG


@pytest.fixture(scope='module')
def model_and_images(tmp_path_factory):
    root = tmp_path_factory.mktemp('odd_api')
    model = random_demo_model()
    ckpt = save_checkpoint(model, root / 'tiny.pth')
    paths = write_odd_images(root / 'odd')
    return model, str(ckpt), paths, root


def _well_formed(inst, h, w):
    kpts = np.asarray(inst.keypoints)
    scores = np.asarray(inst.keypoint_scores)
    assert kpts.ndim == 3 and kpts.shape[1:] == (NUM_KEYPOINTS, 2)
    assert scores.shape == kpts.shape[:2]
    assert np.isfinite(kpts).all() and np.isfinite(scores).all()
    return kpts.shape[0]


@pytest.mark.parametrize('name', sorted(SIZES))
def test_inference_bottomup_on_odd_images(model_and_images, name):
    from mmpose.apis import inference_bottomup
    model, _, paths, _ = model_and_images
    result = inference_bottomup(model, str(paths[name]))[0]
    h, w = result.metainfo['ori_shape'][:2]
    assert (h, w) == SIZES[name] or (w, h) == SIZES[name]
    _well_formed(result.pred_instances, h, w)


def test_inference_bottomup_on_a_10000x10000_jpeg(model_and_images):
    """MMPose's ``LoadImage`` decodes it full size (300 MB); the original
    resize then brings it to the 256 input: poses, no error."""
    from mmpose.apis import inference_bottomup
    model, _, _, root = model_and_images
    path = write_huge_images(root / 'huge')['jpeg']
    result = inference_bottomup(model, str(path))[0]
    assert result.metainfo['ori_shape'][:2] == (10000, 10000)
    _well_formed(result.pred_instances, 10000, 10000)


def test_mmpose_inferencer_on_a_folder_of_odd_images(model_and_images):
    from mmpose.apis import MMPoseInferencer
    _, ckpt, paths, root = model_and_images
    inferencer = MMPoseInferencer(
        pose2d=str(DEMO_CONFIG), pose2d_weights=ckpt, device='cpu')
    results = list(inferencer(str(root / 'odd'), return_vis=False))
    assert len(results) == len(SIZES)
    for res in results:
        people = res['predictions'][0]
        for person in people:
            kpts = np.asarray(person['keypoints'])
            assert kpts.shape == (NUM_KEYPOINTS, 2)
            assert np.isfinite(kpts).all()
            assert len(person['keypoint_scores']) == NUM_KEYPOINTS
