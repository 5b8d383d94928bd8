"""``tag_per_keypoint=False``: one tag map for all joints (the original's
``TAG_PER_JOINT: False``) decodes as the original does, by reading that map
for every joint (its ``tag.expand``), from the head and from an exported
graph."""
import numpy as np
import pytest

from random_models import (NUM_KEYPOINTS, WEIGHT_GAIN, random_demo_model,
                           save_checkpoint)
from repo_paths import DEMO_CONFIG, SHARED_COCO


@pytest.fixture(scope='module')
def single_tag(tmp_path_factory):
    """The demo config with one tag map (random weights, output layers
    amplified as the other deployment tests' model), its checkpoint and
    config."""
    root = tmp_path_factory.mktemp('single_tag')
    config = root / 'single_tag.py'
    config.write_text(f"_base_ = ['{DEMO_CONFIG}']\n"
                      'model = dict(head=dict(tag_per_keypoint=False))\n')
    model = random_demo_model(config, weight_gain=WEIGHT_GAIN)
    assert model.head.final_layers[0].out_channels == NUM_KEYPOINTS + 1
    return model, config, save_checkpoint(model, root / 'single_tag.pth')


def _expanded(maps_outputs):
    """The original's decode input: the single tag map repeated for every
    joint, as a contiguous copy."""
    heatmaps, tags = maps_outputs[:2]
    assert tags.shape[0] == 1 and heatmaps.shape[0] == NUM_KEYPOINTS
    return heatmaps, np.repeat(tags, NUM_KEYPOINTS, axis=0)


def test_single_tag_decodes_from_the_head_and_the_graph(tmp_path, single_tag):
    from mmpose.apis import inference_bottomup

    from higherhrnet_plugin.core.image_files import read_image
    from higherhrnet_plugin.apis.pytorch_predictor import PyTorchPosePredictor
    from higherhrnet_plugin.core.grouping import decode_people
    from higherhrnet_plugin.core.resize_geometry import \
        get_final_preds
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    from higherhrnet_plugin.deploy.export import export_onnx, test_input_size
    model, config, ckpt = single_tag
    predictor = PyTorchPosePredictor(str(config), str(ckpt))
    onnx_file = tmp_path / 'single_tag.onnx'
    export_onnx(predictor.model, str(onnx_file), dynamic=True,
                input_size=test_input_size(predictor.pipeline))
    estimator = OnnxPoseEstimator(str(onnx_file), 'onnxruntime', threads=2)
    people = 0
    for path in sorted(SHARED_COCO.glob('*.jpg'))[:2]:
        img, _ = read_image(str(path))
        # MMPose's API on the head's outputs
        result = inference_bottomup(model, str(path))[0].pred_instances
        # the graph's outputs, decoded with the tag map expanded by hand
        feeds, center, scale = estimator.prepare(img)
        outputs = estimator.run(feeds)
        kpts, kpt_scores, scores = decode_people(
            *_expanded(outputs), estimator.decode_options)
        kpts = get_final_preds(kpts, center, scale,
                               (outputs[0].shape[2], outputs[0].shape[1]))
        got = estimator(str(path))
        expected = predictor.predict(img, str(path))
        assert len(result.keypoints) == len(expected.keypoints)
        np.testing.assert_allclose(result.keypoints, expected.keypoints,
                                   atol=1e-3)
        for pred in (got, expected):
            assert pred.keypoints.shape == kpts.shape, path.name
            np.testing.assert_allclose(pred.keypoints, kpts, atol=1e-3)
            np.testing.assert_allclose(pred.instance_scores, scores,
                                       atol=1e-5)
        people += len(kpts)
    assert people > 0
