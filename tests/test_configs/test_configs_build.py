"""Every config in configs/ parses and builds its model (no forward), with
the parameter count it is documented with (docs/experiments.md)."""

import pytest
from mmengine.config import Config

import higherhrnet_plugin  # noqa: F401  (registers the plugin's modules)

from repo_paths import CONFIGS

# measured with this test's build; W32 and W48 are the original's counts
# (../shared/reference/README.md)
PARAMS = {
    'ae/coco/ae_hrnet-w32_8xb12-300e_coco-512x512.py': 28_536_674,
    'custom/higherhrnet_hrnet-w16-tiny_1xb8-30e_synthetic5-256x256.py':
    1_231_231,
    'demo/higherhrnet_hrnet-w16-tiny_1xb4-30e_synthetic-256x256.py':
    1_237_987,
    'higherhrnet/coco/ablations/'
    'table4b_mrs_hrnet-w32_8xb12-300e_coco-512x512.py': 28_553_683,
    'higherhrnet/coco/ablations/'
    'table4c_mrs-concat_hrnet-w32_8xb12-300e_coco-512x512.py': 28_571_091,
    'higherhrnet/coco/ablations/table4d_mrs-concat-aggregation_hrnet-w32_'
    '8xb12-300e_coco-512x512.py': 28_571_091,
    'higherhrnet/coco/higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py':
    28_645_331,
    'higherhrnet/coco/higherhrnet_hrnet-w32_8xb12-300e_coco-640x640.py':
    28_645_331,
    'higherhrnet/coco/higherhrnet_hrnet-w32_8xb10-300e_coco-768x768.py':
    28_645_331,
    'higherhrnet/coco/higherhrnet_hrnet-w40_8xb12-300e_coco-640x640.py':
    44_484_427,
    'higherhrnet/coco/higherhrnet_hrnet-w48_8xb10-300e_coco-640x640.py':
    63_827_139,
    'higherhrnet/coco/higherhrnet_litehrnet-18_8xb12-300e_coco-512x512.py':
    1_244_219,
    'higherhrnet/crowdpose/'
    'higherhrnet_hrnet-w32_8xb12-300e_crowdpose-512x512.py': 28_641_962,
    'higherhrnet/crowdpose/'
    'higherhrnet_hrnet-w48_8xb10-300e_crowdpose-640x640.py': 63_822_090,
}


def test_every_config_is_listed():
    found = {str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob('*.py')
             if '_base_' not in p.parts}
    assert found == set(PARAMS)


def _input_sizes(cfg):
    """Every place a config states its input size."""
    train = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    val = {t.type: t for t in cfg.val_dataloader.dataset.pipeline}
    tta = cfg.tta_pipeline[1].transforms[0]
    side = cfg.codec.input_size[0]
    return dict(
        codec=tuple(cfg.codec.input_size),
        decoder=tuple(cfg.model.head.decoder.input_size),
        affine=tuple(train['BottomupRandomAffine'].input_size),
        target=tuple(train['GenerateTarget'].encoder.input_size),
        val=(val['BottomupOriginalResize'].input_size, ) * 2,
        tta=(tta[0].input_size, ) * 2,
        square=(side, side))


@pytest.mark.parametrize('name', sorted(PARAMS))
def test_config_builds(name):
    from mmpose.registry import MODELS
    cfg = Config.fromfile(str(CONFIGS / name))
    sizes = _input_sizes(cfg)
    assert len(set(sizes.values())) == 1, sizes
    # the codec's levels are the head's
    head = cfg.model.head
    assert len(cfg.codec.heatmap_sizes) == head.num_deconv_layers + 1
    cfg.model.backbone.pop('init_cfg', None)  # no weight download
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) == PARAMS[name]
    assert model.head.num_keypoints == head.num_keypoints
