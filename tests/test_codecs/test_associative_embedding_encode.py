"""Tests of AssociativeEmbeddingCodec.encode and the per-level mask
transform, against the original HeatmapGenerator / JointsGenerator."""

import numpy as np
import pytest

import higherhrnet_plugin  # noqa: F401
from higherhrnet_plugin.datasets.transforms.multilevel_heatmap_mask import (
    decode_rle, segs_to_mask)
from mmpose.registry import KEYPOINT_CODECS

def _codec(**kwargs):
    cfg = dict(type='AssociativeEmbeddingCodec', input_size=(512, 512))
    cfg.update(kwargs)
    return KEYPOINT_CODECS.build(cfg)


@pytest.mark.parametrize('n', [0, 1])
def test_targets_match_original(n, train_targets_losses):
    d = train_targets_losses
    joints = d[f'img{n}_joints_input']
    for tag_level, r in enumerate((128, 256)):
        enc = _codec(tag_level=tag_level).encode(joints[..., :2],
                                                 joints[..., 2])
        assert len(enc['heatmaps']) == 2
        for level, rr in enumerate((128, 256)):
            hm = enc['heatmaps'][level]
            assert hm.shape == (17, rr, rr) and hm.dtype == np.float32
            np.testing.assert_allclose(hm, d[f'img{n}_heatmaps_{rr}'],
                                       atol=1e-6, rtol=0)
        np.testing.assert_array_equal(enc['keypoint_indices'],
                                      d[f'img{n}_joints_indices_{r}'])
        assert enc['keypoint_indices'].shape == (30, 17, 2)
        assert set(enc) == {'heatmaps', 'keypoint_indices'}


def test_default_sizes_and_non_square():
    codec = _codec(input_size=(320, 192))
    assert codec.heatmap_sizes == [(80, 48), (160, 96)]
    kpts = np.array([[[10.0, 20.0], [319.9, 191.9], [-0.5, 5.0],
                      [320.0, 5.0], [5.0, -4.1]]])
    vis = np.array([[1, 1, 1, 1, 1]], np.float32)
    enc = codec.encode(kpts, vis)
    hm0, hm1 = enc['heatmaps']
    assert hm0.shape == (5, 48, 80) and hm1.shape == (5, 96, 160)
    # truncated int(x), int(y) centre, peak 1
    assert hm0[0, 5, 2] == 1.0 and hm1[0, 10, 5] == 1.0
    assert hm0[1, 47, 79] == 1.0
    # int(-0.5 / 4) == 0 is inside, as in the original
    assert hm0[2, 1, 0] == 1.0
    # x == width and y < 0 (after truncation) are outside: skipped
    assert hm0[3].max() == 0 and hm0[4].max() == 0
    idx = enc['keypoint_indices']
    H, W = 48, 80
    expected = [(0 * H * W + 5 * W + 2, 1), (1 * H * W + 47 * W + 79, 1),
                (2 * H * W + 1 * W + 0, 1)]
    np.testing.assert_array_equal(idx[0, :3], expected)
    assert (idx[0, 3:] == 0).all() and (idx[1:] == 0).all()


def test_patch_shape_visibility_overlap_and_limits():
    codec = _codec(input_size=(256, 256), sigma=2)
    kpts = np.array([[[100.0, 100.0]], [[104.0, 100.0]], [[40.0, 40.0]]])
    vis = np.array([[1], [1], [0]], np.float32)
    enc = codec.encode(kpts, vis)
    hm = enc['heatmaps'][0][0]  # level 64x64: centres (25,25), (26,25)
    assert np.count_nonzero(hm[:, 10]) == 0  # v=0 person not drawn
    # 15 px wide patch around (25, 25): columns 18..33 (union of both)
    cols = np.nonzero(hm.max(axis=0))[0]
    assert cols.min() == 25 - 7 and cols.max() == 26 + 7
    rows = np.nonzero(hm.max(axis=1))[0]
    assert rows.min() == 25 - 7 and rows.max() == 25 + 7
    # overlap takes the max, not the sum
    assert hm.max() == 1.0
    g = np.exp(-1 / 8)
    np.testing.assert_allclose(hm[25, 25], 1.0)
    np.testing.assert_allclose(hm[25, 26], 1.0)
    np.testing.assert_allclose(hm[25, 24], g, rtol=1e-6)
    # single tag map index format; max_encoded_people truncates
    enc = _codec(input_size=(256, 256), tag_per_keypoint=False,
                 max_encoded_people=1).encode(kpts, vis)
    np.testing.assert_array_equal(enc['keypoint_indices'],
                                  [[[25 * 64 + 25, 1]]])


def test_rle_decode():
    from xtcocotools import mask as cocomask
    rle = cocomask.merge(cocomask.frPyObjects(
        [[2, 3, 9, 3, 9, 7, 2, 7]], 12, 16))
    m = decode_rle(rle)
    assert m.shape == (12, 16)
    assert m.sum() == cocomask.area(rle)
    uncompressed = dict(counts=[5, 10, 177], size=[12, 16])
    m2 = segs_to_mask([uncompressed], (12, 16))
    flat = m2.T.reshape(-1)
    assert flat[:5].sum() == 0 and flat[5:15].all() and flat[15:].sum() == 0


def test_bottomup_pipeline_packing(target_pipeline):
    input_size = (64, 48)  # (w, h), not a multiple of 64
    pipeline = target_pipeline(input_size)
    # the original image is 96x128 (h, w), warped to the input by a 0.5 scale
    warp_mat = np.array([[0.5, 0, 0], [0, 0.5, 0]], np.float32)
    rng = np.random.default_rng(0)
    results = dict(
        img=np.zeros((48, 64, 3), np.uint8), img_shape=(48, 64),
        ori_shape=(96, 128), input_size=input_size, warp_mat=warp_mat,
        keypoints=rng.uniform(0, 48, (3, 17, 2)),
        keypoints_visible=np.ones((3, 17), np.float32),
        invalid_segs=[[[0, 0, 64, 0, 64, 64, 0, 64]]],
        flip=True, flip_direction='horizontal')
    for t in pipeline:
        results = t(results)
    ds = results['data_samples']
    fields = ds.gt_fields
    assert fields.nlevel == 2
    assert tuple(fields[0].heatmaps.shape) == (17, 12, 16)
    assert tuple(fields[1].heatmaps.shape) == (17, 24, 32)
    m0, m1 = fields[0].heatmap_mask.numpy(), fields[1].heatmap_mask.numpy()
    assert m0.shape == (12, 16) and m1.shape == (24, 32)
    # invalid 64x64 original box -> 32x32 input -> 8x8 at 1/4, flipped
    # to the right edge
    assert m0[:8, -8:].sum() == 0 and m0[:8, :-8].all() and m0[8:].all()
    assert m1[:16, -16:].sum() == 0 and m1[:16, :-16].all() and m1[16:].all()
    labels = ds.gt_instance_labels
    assert tuple(labels.keypoint_indices.shape) == (30, 17, 2)
    # every joint of the three people lies inside the tag level
    assert labels.keypoint_indices[:3, :, 1].sum() == 3 * 17
    assert 'keypoint_weights' not in labels



def test_udp_targets_peak_at_the_subpixel_position():
    codec = _codec(input_size=(257, 257), heatmap_sizes=[(65, 65),
                                                          (129, 129)],
                   use_udp=True)
    kpts = np.zeros((1, 17, 2))
    kpts[0, 0] = (128.0, 64.0)  # level 0: (32, 16); level 1: (64, 32)
    vis = np.zeros((1, 17))
    vis[0, 0] = 1
    enc = codec.encode(kpts, vis)
    for level, (x, y) in enumerate([(32, 16), (64, 32)]):
        hm = enc['heatmaps'][level][0]
        assert hm.max() == pytest.approx(1.0)
        assert np.unravel_index(hm.argmax(), hm.shape) == (y, x)
        # sigma 2 in the level's own pixels at every level
        assert hm[y, x + 2] == pytest.approx(np.exp(-0.5), rel=1e-5)
    assert enc['heatmaps'][1][1:].max() == 0  # other joints empty
