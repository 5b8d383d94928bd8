"""The plugin registers into MMPose's registries and its configs load it."""
import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import higherhrnet_plugin

PACKAGE = Path(higherhrnet_plugin.__file__).parent

PUBLIC_MODULES = [
    ('HigherHRNetHead', 'MODELS'),
    ('MultiResolutionHeatmapLoss', 'MODELS'),
    ('AssociativeEmbeddingCodec', 'KEYPOINT_CODECS'),
    ('HeatmapAggregationTTA', 'MODELS'),
    ('NarrowStemHRNet', 'MODELS'),
    ('WallClockBudgetHook', 'HOOKS'),
    ('EpochWallClockBudgetHook', 'HOOKS'),
    ('TrainFastPathHook', 'HOOKS'),
    ('TrainTimeHook', 'HOOKS'),
    ('EpochPosesHook', 'HOOKS'),
]


@pytest.mark.parametrize('name,registry', PUBLIC_MODULES)
def test_public_modules_resolve_in_mmpose_scope(name, registry):
    from mmpose import registry as mmpose_registry
    init_default_scope('mmpose')
    assert getattr(mmpose_registry, registry).get(name) is not None


def test_config_with_custom_imports_loads_the_plugin(tmp_path):
    sys.modules.pop('higherhrnet_plugin', None)
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(textwrap.dedent("""
        _base_ = ['mmpose::_base_/default_runtime.py']
        custom_imports = dict(imports=['higherhrnet_plugin'],
                              allow_failed_imports=False)
        """))
    cfg = Config.fromfile(str(cfg_file))
    assert 'higherhrnet_plugin' in sys.modules
    assert cfg.default_scope == 'mmpose'  # inherited from MMPose's runtime
    assert cfg.default_hooks.checkpoint.type == 'CheckpointHook'


def test_configs_ship_inside_the_package():
    """mim finds configs and tools in <package>/.mim, as for MMPose."""
    if importlib.util.find_spec('higherhrnet_plugin') is None:
        pytest.fail('higherhrnet_plugin is not installed')
    for name in ('configs', 'tools'):
        assert (PACKAGE / '.mim' / name).is_dir(), f'.mim/{name} missing'
    assert (PACKAGE / '.mim' / 'tools' / 'train.py').is_file()
