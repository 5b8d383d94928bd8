"""Fixtures shared by the test files: the paths of ``repo_paths``, the
shared data next to the repository, a random-init checkpoint of the demo
config and tiny synthetic COCO sets."""
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

from repo_paths import DEMO_CONFIG, REPO, SHARED


@pytest.fixture(autouse=True)
def mmpose_scope():
    """Every test starts in MMPose's registry scope, as the configs do; a
    Runner built by an earlier test would otherwise leave its own scope."""
    init_default_scope('mmpose')


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope='session')
def demo_config() -> Path:
    """configs/demo/'s narrow HigherHRNet (trains on CPU in minutes)."""
    return DEMO_CONFIG


@pytest.fixture(scope='session')
def shared_dir() -> Path:
    """../shared, which may be absent: for tests that can do without it."""
    return SHARED


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f'{path} is absent (it comes with ../shared)')
    return path


@pytest.fixture(scope='session')
def shared_coco() -> Path:
    """../shared/data/coco (a few COCO val images and test_coco.json)."""
    return _shared('data', 'coco')


@pytest.fixture(scope='session')
def shared_crowdpose() -> Path:
    """../shared/data/crowdpose (images and test_crowdpose.json)."""
    return _shared('data', 'crowdpose')


@pytest.fixture(scope='session')
def shared_reference() -> Path:
    """../shared/reference: the original implementation's numbers."""
    return _shared('reference')


@pytest.fixture(scope='session')
def train_targets_losses(shared_reference):
    """The original's targets and losses of two training images
    (``train_targets_losses.npz``)."""
    import numpy as np
    return np.load(_shared('reference', 'train_targets_losses.npz'))


@pytest.fixture(scope='session')
def target_pipeline():
    """``build(input_size)``: the end of every training pipeline, built:
    ``GenerateTarget`` with an ``AssociativeEmbeddingCodec`` at that (w, h)
    input size, the per-level masks and ``PackPoseInputs``."""
    from mmpose.registry import TRANSFORMS

    def build(input_size):
        return [
            TRANSFORMS.build(dict(
                type='GenerateTarget',
                encoder=dict(type='AssociativeEmbeddingCodec',
                             input_size=input_size))),
            TRANSFORMS.build(dict(type='BottomupGetMultiLevelHeatmapMask')),
            TRANSFORMS.build(dict(type='PackPoseInputs')),
        ]

    return build


@pytest.fixture(scope='session')
def random_demo_checkpoint(tmp_path_factory) -> Path:
    """A checkpoint of the demo config's model at its seed-0 random init:
    predictions are meaningless but well formed."""
    import torch
    from mmpose.apis import init_model
    torch.manual_seed(0)
    model = init_model(str(DEMO_CONFIG), None, device='cpu')
    path = tmp_path_factory.mktemp('ckpt') / 'random_demo.pth'
    torch.save({'state_dict': model.state_dict()}, str(path))
    return path


@pytest.fixture(scope='session')
def synthetic_coco(tmp_path_factory):
    """``make(num_train, num_val)``: the data root of a synthetic COCO set
    of that size (seed 0), generated once per size in the session."""
    from higherhrnet_plugin.synthetic_coco import \
        make_synthetic_coco
    made = {}

    def make(num_train: int, num_val: int) -> Path:
        if (num_train, num_val) not in made:
            root = tmp_path_factory.mktemp(f'syn_{num_train}_{num_val}')
            make_synthetic_coco(str(root), num_train=num_train,
                                num_val=num_val)
            made[num_train, num_val] = root
        return made[num_train, num_val]

    return make
