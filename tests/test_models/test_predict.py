"""HigherHRNetHead.predict / codec decode through BottomupPoseEstimator."""
import numpy as np
import pytest
import torch

from _predict_utils import build_tiny, check_instances, coco_dataset, run_batch
from repo_paths import REFERENCE


@pytest.mark.parametrize('flip_test', [True, False])
def test_predict_coco_image(flip_test):
    model, cfg = build_tiny(flip_test)
    ds = coco_dataset(cfg.val_pipeline)
    item = ds[0]
    out = run_batch(model, [item])
    assert len(out) == 1
    pred = out[0].pred_instances
    n = check_instances(pred)
    assert n <= 30
    assert np.asarray(pred.keypoints_visible).shape == (n, 17)
    # back in original-image pixels: within the image (+ the padding margin)
    if n:
        h, w = out[0].metainfo['ori_shape']
        assert pred.keypoints[..., 0].min() > -w and \
            pred.keypoints[..., 0].max() < 2 * w


def _zero_head(model):
    for layer in model.head.final_layers:
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)


@pytest.mark.parametrize('flip_test', [True, False])
@pytest.mark.parametrize('hw', [(240, 320), (97, 211), (333, 77)])
def test_predict_blank_and_odd_sizes(flip_test, hw):
    from mmpose.apis import inference_bottomup
    model, cfg = build_tiny(flip_test)
    from mmpose.datasets import CocoDataset
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    model.cfg = cfg
    model.dataset_meta = parse_pose_metainfo(CocoDataset.METAINFO)
    rng = np.random.RandomState(hw[0])
    img = rng.randint(0, 255, hw + (3, ), dtype=np.uint8)
    res = inference_bottomup(model, img)[0]
    n = check_instances(res.pred_instances)
    assert n <= 30
    # nobody: zero outputs give well-formed empty results
    _zero_head(model)
    res = inference_bottomup(model, np.zeros(hw + (3, ), np.uint8))[0]
    assert check_instances(res.pred_instances) == 0


def test_head_accepts_list_tuple_tensor():
    from mmpose.structures import PoseDataSample
    model, _ = build_tiny(True)
    x = torch.rand(1, 3, 128, 192)
    feats = model.extract_feat(x)
    ffeats = model.extract_feat(x.flip(-1))
    sample = PoseDataSample(metainfo=dict(
        input_size=(192, 128), flip_indices=list(range(17))))
    outs = []
    for f, ff in [(tuple(feats), tuple(ffeats)), (list(feats), list(ffeats)),
                  (feats[0], ffeats[0])]:
        r1 = model.head.predict([f, ff], [sample], dict(flip_test=True))
        r2 = model.head.predict(f, [sample], dict(flip_test=False))
        outs.append((r1[0].keypoints, r2[0].keypoints))
    for a, b in outs[1:]:
        np.testing.assert_array_equal(a, outs[0][0])
        np.testing.assert_array_equal(b, outs[0][1])


def _golden(name):
    path = REFERENCE / name
    if not path.is_file():
        pytest.skip(f'reference vectors absent ({REFERENCE})')
    return np.load(path, allow_pickle=False)


@pytest.mark.parametrize(
    'name', ['flip_000000000785.npz', 'flip_000000196141.npz',
             'flip_crowd15.npz', 'ms_000000040083.npz'])
def test_head_decode_matches_original(name):
    """HigherHRNetHead.predict_views + BottomupOriginalResize's meta +
    BottomupPoseEstimator.add_pred_to_datasample reproduce the original
    pipeline's keypoints and scores."""
    from higherhrnet_plugin.datasets.transforms import BottomupOriginalResize
    from higherhrnet_plugin.models.utils.heatmap_aggregation import TestView
    from higherhrnet_plugin.reference.inference_vectors import (
        COCO_FLIP_INDICES, _match)
    from mmpose.structures import PoseDataSample
    data = _golden(name)
    model, cfg = build_tiny(True)
    scales = [float(s) for s in np.asarray(data['scales']).reshape(-1)]
    w, h = (int(v) for v in data['image_size'])
    views = []
    meta = None
    for s in scales:
        key = 's%g' % s
        res = BottomupOriginalResize(512, s, min(scales)).transform(
            dict(img=np.zeros((h, w, 3), np.uint8)))
        assert tuple(res['input_size']) == tuple(
            int(v) for v in data[f'{key}_input_size'])
        if s == 1:
            meta = res
            np.testing.assert_allclose(res['input_center'], data['center'])
            np.testing.assert_allclose(res['input_scale'],
                                       np.asarray(data['scale']) * 200)

        def lv(n, i):
            return torch.from_numpy(
                np.asarray(data[f'{key}_{n}_{i}']).astype(np.float32))

        views.append(TestView(s, [lv('outputs', 0), lv('outputs', 1)],
                              [lv('flip_outputs', 0), lv('flip_outputs', 1)]))
    sample = PoseDataSample(metainfo=dict(
        input_size=meta['input_size'], input_center=meta['input_center'],
        input_scale=meta['input_scale'], flip_indices=COCO_FLIP_INDICES))
    preds = model.head.predict_views(views, [sample])
    pred = model.add_pred_to_datasample(preds, None,
                                        [sample])[0].pred_instances
    exp_k = np.asarray(data['expected_keypoints'], np.float64)
    exp_s = np.asarray(data['expected_scores'], np.float64)
    got = np.concatenate([np.asarray(pred.keypoints, np.float64),
                          np.asarray(pred.keypoint_scores,
                                     np.float64)[..., None]], -1)
    assert len(got) == len(exp_k)
    perm = _match(exp_k, got)
    got = got[perm]
    np.testing.assert_allclose(got[..., :2], exp_k[..., :2], atol=0.01)
    np.testing.assert_allclose(got[..., 2], exp_k[..., 2], atol=1e-4)
    np.testing.assert_allclose(
        np.asarray(pred.bbox_scores)[perm], exp_s, atol=1e-4)


def test_heatmap_levels_last_uses_the_highest_resolution_alone():
    from higherhrnet_plugin.models.utils.heatmap_aggregation import TestView
    model, _ = build_tiny(False)
    g = torch.Generator().manual_seed(1)
    out0 = torch.rand(2, 34, 8, 12, generator=g)
    out1 = torch.rand(2, 17, 16, 24, generator=g)
    view = TestView(1.0, [out0, out1])
    hm_all, tags_all = model.head.aggregate([view], (48, 32))
    hm_last, tags_last = model.head.aggregate([view], (48, 32),
                                              heatmap_levels='last')
    expected = torch.nn.functional.interpolate(
        out1, size=(32, 48), mode='bilinear', align_corners=False)
    torch.testing.assert_close(hm_last, expected, rtol=0, atol=0)
    assert not torch.equal(hm_all, hm_last)
    torch.testing.assert_close(tags_last, tags_all, rtol=0, atol=0)
    with pytest.raises(AssertionError, match='heatmap_levels'):
        model.head.aggregate([view], (48, 32), heatmap_levels='first')
