import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def mmpose_scope():
    """Every test starts in MMPose's registry scope, as the configs do; a
    Runner built by an earlier test would otherwise leave its own scope."""
    init_default_scope('mmpose')
