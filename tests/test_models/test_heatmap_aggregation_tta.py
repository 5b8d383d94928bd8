"""HeatmapAggregationTTA (multi-scale x flip, decoded once)."""
import numpy as np
import pytest
import torch
from _predict_utils import build_tiny, check_instances, coco_dataset, tiny_cfg
from mmengine.dataset import pseudo_collate


def _build_tta(flip_test=True, scales=(2, 1, 0.5)):
    from mmpose.registry import MODELS
    model, cfg = build_tiny(flip_test)
    tta = MODELS.build(dict(cfg.tta_model, module=model, scales=scales,
                            flip_test=flip_test))
    tta.eval()
    return tta, cfg


def test_registered_and_configs():
    import higherhrnet_plugin  # noqa: F401
    from mmengine.model import BaseTTAModel
    from mmpose.registry import MODELS
    cls = MODELS.get('HeatmapAggregationTTA')
    assert issubclass(cls, BaseTTAModel)
    cfg = tiny_cfg()
    assert cfg.tta_model.type == 'HeatmapAggregationTTA'
    resizes = cfg.tta_pipeline[1]['transforms'][0]
    assert [r['scale'] for r in resizes] == [2, 1, 0.5]
    assert {r['input_size'] for r in resizes} == {256}


@pytest.mark.parametrize('flip_test', [True, False])
def test_tta_on_coco_image(flip_test):
    tta, cfg = _build_tta(flip_test)
    ds = coco_dataset(cfg.tta_pipeline)
    item = ds[1]
    assert len(item['inputs']) == 3
    sizes = [tuple(x.shape[1:]) for x in item['inputs']]
    # views are exact multiples of each other (the original resize)
    assert sizes[0] == (2 * sizes[1][0], 2 * sizes[1][1])
    assert sizes[1] == (2 * sizes[2][0], 2 * sizes[2][1])
    with torch.no_grad():
        out = tta.test_step(pseudo_collate([item]))
    assert len(out) == 1
    pred = out[0].pred_instances
    check_instances(pred)
    assert out[0].metainfo['input_size'] == (sizes[1][1], sizes[1][0])


def test_tta_single_scale_equals_plain_predict():
    """With scales (1,) the TTA path is the estimator's own flip test."""
    tta, cfg = _build_tta(True, scales=(1, ))
    pipeline = [cfg.tta_pipeline[0], dict(
        cfg.tta_pipeline[1],
        transforms=[[dict(type='BottomupOriginalResize', input_size=256,
                          scale=1, min_scale=1)],
                    cfg.tta_pipeline[1]['transforms'][1]])]
    ds = coco_dataset(pipeline)
    item = ds[0]
    with torch.no_grad():
        a = tta.test_step(pseudo_collate([item]))[0].pred_instances
        plain = {k: v[0] for k, v in item.items()}
        b = tta.module.test_step(pseudo_collate([plain]))[0].pred_instances
    np.testing.assert_allclose(a.keypoints, b.keypoints, atol=1e-4)
    np.testing.assert_allclose(a.bbox_scores, b.bbox_scores, atol=1e-6)


@pytest.mark.parametrize('flip_test', [True, False])
def test_tta_maps_are_the_estimators_forward_views(flip_test):
    """test_step runs the views through the estimator's forward_views, and
    the maps it carries to merge_preds reach the output fields unchanged."""
    tta, cfg = _build_tta(flip_test)
    tta.module.test_cfg['output_heatmaps'] = True
    item = coco_dataset(cfg.tta_pipeline)[1]
    with torch.no_grad():
        out = tta.test_step(pseudo_collate([item]))[0]
        views = [tta.module.data_preprocessor(
            pseudo_collate([{k: v[i] for k, v in item.items()}]), False)
            for i in range(len(tta.scales))]
        meta = views[1]['data_samples'][0].metainfo
        heatmaps, tags = tta.module.forward_views(
            [view['inputs'] for view in views], tta.scales,
            meta['input_size'], meta['flip_indices'] if flip_test else None)
    assert tags.shape[-1] == (2 if flip_test else 1)
    assert torch.equal(out.pred_fields.heatmaps, heatmaps[0])
    assert torch.equal(out.pred_fields.tags,
                       tags[0].permute(3, 0, 1, 2).flatten(0, 1))
    check_instances(out.pred_instances)
