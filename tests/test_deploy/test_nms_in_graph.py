"""``export_onnx(..., nms_in_graph=True)``: the graph's max-pool NMS output
is the decoder's NMS of the graph's heatmaps, and the runtime that takes its
peaks from it finds the same people."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from repo_paths import DEMO_CONFIG, REPO, SHARED_COCO


@pytest.fixture(scope='module')
def tiny_nms_onnx(deploy_dir, tiny_checkpoint):
    """The tiny model exported by the tool with --dynamic --nms-in-graph."""
    from higherhrnet_plugin.deploy import DeployMetadata
    from higherhrnet_plugin.deploy.backends import load_backend
    out = deploy_dir / 'tiny_nms.onnx'
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/deployment/export_onnx.py'),
         str(DEMO_CONFIG), str(tiny_checkpoint), str(out), '--dynamic',
         '--nms-in-graph'],
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''), capture_output=True,
        text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'NMS in graph on' in proc.stdout
    metadata = DeployMetadata.from_json(
        load_backend(str(out)).metadata, str(out))
    assert metadata.nms_in_graph
    assert metadata.output_names == ('heatmaps', 'tags', 'nms_heatmaps')
    return out


def _images():
    """A shared COCO image (landscape) and a portrait crop of it at an odd
    size: two resizes (256x384 and 384x256)."""
    coco = cv2.imread(str(SHARED_COCO / '000000000785.jpg'))
    return {'000000000785.jpg': coco,
            'portrait_301x203': cv2.resize(coco[:, :300], (203, 301))}


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_graph_nms_is_the_decoders_nms(tiny_nms_onnx, backend):
    from higherhrnet_plugin.core.dense_maps import NumpyMaps
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    from higherhrnet_plugin.deploy.graph_nms_maps import GraphNmsMaps
    estimator = OnnxPoseEstimator(str(tiny_nms_onnx), backend, threads=2)
    assert estimator.metadata.nms_in_graph
    kernel = estimator.decode_options.nms_kernel
    threshold = estimator.decode_options.detection_threshold
    for name, img in _images().items():
        heatmaps, tags, nms = estimator.run(estimator.prepare(img)[0])
        maps = estimator.dense_maps([heatmaps, tags, nms])
        assert isinstance(maps, GraphNmsMaps), name
        reference = NumpyMaps(heatmaps, tags, kernel)
        np.testing.assert_array_equal(
            nms.reshape(len(nms), -1),
            [reference.nms_row(j) for j in range(len(nms))], err_msg=name)
        ours, theirs = maps.peaks(threshold), reference.peaks(threshold)
        assert ours[0].size > 100, f'{name}: too few peaks to compare'
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b, err_msg=name)


def test_people_identical_with_and_without_graph_nms(tiny_nms_onnx,
                                                     tiny_onnx):
    """The NMS output leaves the graph's heatmaps and tags bit for bit as
    they are, and the runtime finds bit-identical people with it (peaks
    from the graph) and without it (peaks from NumpyMaps). One 256x256
    image: decoding these dense maps is the slow part."""
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    with_nms = OnnxPoseEstimator(str(tiny_nms_onnx), threads=2)
    without = OnnxPoseEstimator(str(tiny_onnx), threads=2)
    img = cv2.resize(_images()['000000000785.jpg'], (256, 256))
    feeds = with_nms.prepare(img)[0]
    for a, b in zip(with_nms.run(feeds), without.run(feeds)):
        np.testing.assert_array_equal(a, b)
    got, expected = with_nms(img), without(img)
    assert len(got.keypoints) > 10, 'too few people to compare'
    for a, b in zip(got[:3], expected[:3]):
        np.testing.assert_array_equal(a, b)
