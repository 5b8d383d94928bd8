"""The matching order of AssociativeEmbeddingCodec for any keypoint count."""
import numpy as np
import pytest

from higherhrnet_plugin.codecs.associative_embedding import (
    AssociativeEmbeddingCodec, original_joint_order)


@pytest.mark.parametrize('num_keypoints,order', [
    (17, (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16)),
    # CrowdPose: the original's COCO list filtered to the joints that exist
    (14, (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13)),
    (5, (0, 1, 2, 3, 4)),
    (8, (0, 1, 2, 3, 4, 5, 6, 7)),
    (12, (0, 1, 2, 3, 4, 5, 6, 11, 7, 8, 9, 10)),
    # beyond COCO's 17: the extra joints after, in index order
    (19, (0, 1, 2, 3, 4, 5, 6, 11, 12, 7, 8, 9, 10, 13, 14, 15, 16, 17, 18)),
])
def test_original_joint_order(num_keypoints, order):
    assert original_joint_order(num_keypoints) == order
    assert sorted(order) == list(range(num_keypoints))


def _one_person(num_keypoints, size=32):
    """Heatmaps with one peak per joint and a constant tag."""
    heatmaps = np.zeros((num_keypoints, size, size), np.float32)
    for k in range(num_keypoints):
        heatmaps[k, 4 + k, 8] = 1.0
    tags = np.zeros((num_keypoints, size, size, 1), np.float32)
    return heatmaps, tags


def test_codec_default_order_follows_the_rule():
    codec = AssociativeEmbeddingCodec(input_size=(128, 128))
    assert codec.decode_options(14).joint_order == original_joint_order(14)
    keypoints, scores, _ = codec.decode(*_one_person(5))
    assert keypoints.shape == (1, 5, 2) and scores.shape == (1, 5)


def test_codec_explicit_order_and_bad_order():
    codec = AssociativeEmbeddingCodec(
        input_size=(128, 128), decode_joint_order=(4, 3, 2, 1, 0))
    assert codec.decode_options(5).joint_order == (4, 3, 2, 1, 0)
    assert codec.decode(*_one_person(5))[0].shape == (1, 5, 2)
    codec = AssociativeEmbeddingCodec(
        input_size=(128, 128), decode_joint_order=(0, 1, 2))
    with pytest.raises(ValueError, match='not a permutation of the 5'):
        codec.decode(*_one_person(5))
