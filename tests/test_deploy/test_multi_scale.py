"""The multi-scale test (scales 2, 1, 0.5 with flip) of an exported graph:
``export_onnx(..., scales=(2, 1, 0.5))`` gives one graph input per scale
and the head's aggregation of all views inside the graph, and
``OnnxPoseEstimator`` warps the image once per scale. It finds the people
the PyTorch path finds with the config's ``HeatmapAggregationTTA``
(``tools/infer.py --tta``)."""
import cv2
import pytest

from conftest import assert_same_people
from repo_paths import DEMO_CONFIG, SHARED_COCO

SCALES = (2.0, 1.0, 0.5)


@pytest.fixture(scope='module')
def tiny_multi_scale_onnx(deploy_dir, tiny_predictor):
    from higherhrnet_plugin.deploy.export import export_onnx, test_input_size
    out = deploy_dir / 'tiny_multi_scale.onnx'
    export_onnx(tiny_predictor.model, str(out), scales=SCALES, dynamic=True,
                input_size=test_input_size(tiny_predictor.pipeline))
    return out


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_multi_scale_graph_finds_the_tta_people(tiny_checkpoint,
                                                tiny_multi_scale_onnx,
                                                backend):
    """A square and a portrait image (scale-1 inputs 256x256 and 384x256:
    small, as decoding these dense maps is the slow part)."""
    from higherhrnet_plugin.apis.pytorch_predictor import PyTorchPosePredictor
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    tta = PyTorchPosePredictor(str(DEMO_CONFIG), str(tiny_checkpoint),
                               tta=True)
    assert tuple(tta.model.scales) == SCALES and tta.model.flip_test
    estimator = OnnxPoseEstimator(str(tiny_multi_scale_onnx), backend,
                                  threads=2)
    assert tuple(estimator.metadata.scales) == SCALES
    assert estimator.metadata.input_names == ['image_x2', 'image',
                                              'image_x0.5']
    coco = cv2.imread(str(SHARED_COCO / '000000000785.jpg'))
    total = 0
    for name, img in (('square', cv2.resize(coco, (256, 256))),
                      ('portrait', cv2.resize(coco[:, :300], (203, 301)))):
        feeds = estimator.prepare(img)[0]
        assert [feeds[n].shape[1:3] for n in estimator.metadata.input_names
                ] == [(512, 512), (256, 256), (128, 128)] \
            if name == 'square' else [(768, 512), (384, 256), (192, 128)]
        expected = tta.predict(img, name)
        got = estimator(img)
        total += len(got.keypoints)
        assert_same_people(expected, got, f'{backend} {name}')
    assert total > 10, 'too few people to compare'
