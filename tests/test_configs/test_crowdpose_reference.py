"""Both CrowdPose configs decode the original's three CrowdPose vectors
(../shared/reference) exactly: the matching order is the original's."""

import numpy as np
import pytest

from higherhrnet_plugin.codecs.associative_embedding import \
    AssociativeEmbeddingCodec
from higherhrnet_plugin.reference.inference_vectors import (
    check_inference_vector, config_codec, decode_inference_vector)

from repo_paths import REFERENCE, REPO

VECTORS = ('flip_crowdpose_103319.npz', 'flip_crowdpose_106848.npz',
           'flip_crowdpose12.npz')
CONFIGS = sorted((REPO / 'configs/higherhrnet/crowdpose').glob('*.py'))


@pytest.fixture(scope='module')
def reference():
    if not REFERENCE.is_dir():
        pytest.skip(f'{REFERENCE} is absent (it comes with ../shared)')
    return REFERENCE


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.name)
@pytest.mark.parametrize('vector', VECTORS)
def test_crowdpose_configs_reproduce_the_original(reference, config, vector):
    data = np.load(reference / vector)
    assert str(data['dataset']) == 'crowdpose'
    ok, detail = check_inference_vector(reference / vector,
                                        codec=config_codec(str(config)))
    assert ok, detail


def test_identity_order_groups_the_crowd_differently(reference):
    """The order decides the 12-person crowd (the test above can fail)."""
    data = np.load(reference / 'flip_crowdpose12.npz')
    codec = AssociativeEmbeddingCodec(
        input_size=(512, 512), decode_joint_order=tuple(range(14)))
    keypoints, _ = decode_inference_vector(data, codec)
    assert len(keypoints) != len(data['expected_keypoints'])


def test_unknown_dataset_is_one_line(reference, tmp_path):
    data = dict(np.load(reference / 'flip_crowdpose_103319.npz'))
    data['dataset'] = np.array('mpii')
    np.savez(tmp_path / 'flip_mpii.npz', **data)
    with pytest.raises(ValueError, match="dataset 'mpii' has no config"):
        check_inference_vector(tmp_path / 'flip_mpii.npz')
