"""Models and exported graphs shared by the deployment tests.

The tiny model is ``random_models.random_demo_model`` with its output layers
amplified (``WEIGHT_GAIN``): many candidates per joint, with peaks and tags
apart from float noise, which is what the decoder's equivalence needs."""

import numpy as np
import pytest

from random_models import WEIGHT_GAIN, random_demo_model, save_checkpoint
from repo_paths import DEMO_CONFIG, SHARED_COCO


@pytest.fixture(scope='session')
def deploy_dir(tmp_path_factory):
    return tmp_path_factory.mktemp('deploy')


@pytest.fixture(scope='session')
def tiny_checkpoint(deploy_dir):
    return save_checkpoint(random_demo_model(weight_gain=WEIGHT_GAIN),
                           deploy_dir / 'tiny_higherhrnet.pth')


@pytest.fixture(scope='session')
def tiny_predictor(tiny_checkpoint):
    """The PyTorch path: the config's test pipeline and model."""
    from higherhrnet_plugin.apis.pytorch_predictor import PyTorchPosePredictor
    return PyTorchPosePredictor(str(DEMO_CONFIG), str(tiny_checkpoint))


@pytest.fixture(scope='session')
def tiny_onnx(deploy_dir, tiny_predictor):
    """The tiny model exported with the flip test, dynamic batch/H/W."""
    from higherhrnet_plugin.deploy.export import export_onnx, test_input_size
    out = deploy_dir / 'tiny.onnx'
    export_onnx(tiny_predictor.model, str(out), dynamic=True,
                input_size=test_input_size(tiny_predictor.pipeline))
    return out


@pytest.fixture(scope='session')
def tiny_int8(deploy_dir, tiny_onnx):
    """The tiny graph quantized on three shared COCO images."""
    from higherhrnet_plugin.deploy.quantization import quantize_graph
    out = deploy_dir / 'tiny_int8.onnx'
    calls = []
    quantize_graph(str(tiny_onnx), str(out),
                   [str(p) for p in sorted(SHARED_COCO.glob('*.jpg'))[:3]],
                   progress=lambda: calls.append(1))
    assert len(calls) == 3, 'one progress step per calibration image'
    return out


def assert_same_people(expected, got, where):
    """Same people in the same order: keypoints within 1e-3 px, keypoint
    and person scores within 1e-5."""
    assert got.keypoints.shape == expected.keypoints.shape, where
    assert np.abs(got.keypoints - expected.keypoints).max(initial=0) < 1e-3, \
        where
    assert np.abs(got.keypoint_scores - expected.keypoint_scores).max(
        initial=0) < 1e-5, where
    assert np.abs(got.instance_scores - expected.instance_scores).max(
        initial=0) < 1e-5, where
