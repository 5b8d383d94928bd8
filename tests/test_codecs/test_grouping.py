# Copyright (c) OpenMMLab. All rights reserved.
"""Grouping / test-time post-processing against the original HigherHRNet."""
import copy

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from higherhrnet_plugin.core.dense_maps import NumpyMaps
from higherhrnet_plugin.core.grouping import munkres_assign, parse_poses
from repo_paths import REFERENCE

VECTORS = sorted(REFERENCE.glob('flip_*.npz')) + sorted(
    REFERENCE.glob('ms_*.npz'))


@pytest.mark.skipif(
    not REFERENCE.is_dir(),
    reason=f'reference vectors not found at {REFERENCE} (only CI and '
    'project checkouts have ../shared/reference)')
@pytest.mark.parametrize('name', [
    'flip_000000000785', 'flip_000000040083', 'flip_000000196141',
    'flip_000000197388', 'flip_crowd15', 'flip_noisy_crowd25',
    'ms_000000000785',
    'ms_000000040083', 'ms_000000196141', 'ms_000000197388'
])
def test_inference_vectors(name):
    from higherhrnet_plugin.reference.inference_vectors import \
        check_inference_vector
    path = REFERENCE / f'{name}.npz'
    if not path.exists():
        pytest.skip(f'{path} absent')
    ok, msg = check_inference_vector(path)
    assert ok, msg


@pytest.mark.skipif(
    not (REFERENCE / 'flip_noisy_crowd25.npz').exists(),
    reason=f'{REFERENCE}/flip_noisy_crowd25.npz not found')
def test_no_cap_on_people_by_default():
    """25 poses with noisy tags: the original keeps all 86 groups its
    matching makes (``decode_topk`` bounds each joint's candidates, not
    the people); ``decode_max_instances`` is an opt-in cap keeping the first
    N of those same people."""
    from higherhrnet_plugin.reference.inference_vectors import (
        config_codec, decode_inference_vector)
    data = np.load(REFERENCE / 'flip_noisy_crowd25.npz')
    assert len(data['expected_keypoints']) == 86
    codec = config_codec(
        'configs/higherhrnet/coco/'
        'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py')
    assert codec.decode_options(17).max_instances is None
    kpts, scores = decode_inference_vector(data, codec)
    assert len(kpts) == 86
    capped = copy.copy(codec)
    capped.decode_cfg = dict(codec.decode_cfg, max_instances=30)
    kpts30, scores30 = decode_inference_vector(data, capped)
    np.testing.assert_array_equal(kpts30, kpts[:30])
    np.testing.assert_array_equal(scores30, scores[:30])


def test_all_zero_heatmaps_give_no_people():
    hm = torch.zeros(17, 24, 32)
    tags = torch.randn(17, 24, 32, 2)
    kpts, scores = parse_poses(hm, tags)
    assert kpts.shape == (0, 17, 5)
    assert scores.shape == (0, )


def test_nms_matches_square_max_pool():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(3, 13, 17, generator=g) * 4).round() / 4 - 0.25
    ref = x * torch.eq(torch.nn.MaxPool2d(5, 1, 2)(x[None])[0], x).float()
    maps = NumpyMaps(x.numpy(), np.zeros((3, 13, 17, 1), np.float32))
    for j in range(3):
        np.testing.assert_array_equal(maps.nms_row(j),
                                      ref[j].reshape(-1).numpy())


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 7), st.integers(1, 7), st.integers(0, 2**31 - 1),
    st.sampled_from([2, 3, 100]))
def test_munkres_equivalence_with_ties(rows, cols, seed, levels):
    munkres = pytest.importorskip('munkres')
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, levels, (rows, cols)).astype(np.float64) * 100
    cost -= rng.integers(0, 2, (rows, cols)) * 0.5
    if rows > cols:  # the padding used by match_by_tag
        cost = np.concatenate((cost, np.zeros((rows, rows - cols)) + 1e10),
                              axis=1)
    expected = munkres.Munkres().compute(cost.tolist())
    got = munkres_assign(cost)
    assert [tuple(p) for p in got.tolist()] == [tuple(p) for p in expected]


def test_munkres_equivalence_larger():
    munkres = pytest.importorskip('munkres')
    rng = np.random.default_rng(1)
    for _ in range(30):
        r, c = rng.integers(5, 31, 2)
        cost = np.round(rng.random((r, c)) * 3) * 100 - rng.integers(
            0, 3, (r, c)) * 0.25
        expected = munkres.Munkres().compute(cost.tolist())
        got = munkres_assign(cost)
        assert [tuple(p) for p in got.tolist()] == \
            [tuple(p) for p in expected]


def _random_maps(seed, k, h, w, d):
    rng = np.random.default_rng(seed)
    hm = np.zeros((k, h, w), np.float32)
    n = rng.integers(0, 4 * k * 2 + 1)
    hm[rng.integers(0, k, n), rng.integers(0, h, n),
       rng.integers(0, w, n)] = rng.integers(0, 9, n) / 8
    hm += (rng.random((k, h, w)) < 0.2) * rng.integers(0, 3, (k, h, w)) / 16
    if seed % 3 == 0:  # network outputs can be negative
        hm -= (rng.random((k, h, w)) < 0.3) * rng.integers(0, 3,
                                                           (k, h, w)) / 16
    tags = (rng.integers(-6, 7, (k, h, w, d)) / 4).astype(np.float32)
    return torch.from_numpy(hm.astype(np.float32)), torch.from_numpy(tags)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**31 - 1), st.integers(1, 5), st.integers(5, 14),
    st.integers(5, 14), st.integers(1, 3))
def test_random_maps_well_formed_and_identical_to_original(
        seed, k, h, w, d):
    pytest.importorskip('munkres')
    from higherhrnet_plugin.analysis.original_parser import parse
    hm, tags = _random_maps(seed, k, h, w, d)
    order = tuple(range(k))
    kpts, scores = parse_poses(hm, tags, max_num_people=5, joint_order=order)
    assert kpts.dtype == np.float32 and scores.dtype == np.float32
    assert kpts.ndim == 3 and kpts.shape[1:] == (k, 3 + d)
    assert scores.shape == (kpts.shape[0], )
    assert np.isfinite(kpts).all() and np.isfinite(scores).all()
    found = kpts[..., 2] > 0
    assert (kpts[..., 0][found] >= 0).all()
    assert (kpts[..., 0][found] <= w).all()
    assert (kpts[..., 1][found] >= 0).all()
    assert (kpts[..., 1][found] <= h).all()

    # same as the original algorithm (munkres, exhaustive refine)
    ref_k, ref_s = parse(
        hm[None], tags[None], max_num_people=5, joint_order=order)
    if len(ref_k) == 0:
        assert kpts.shape[0] == 0
    else:
        np.testing.assert_array_equal(np.array(ref_k, np.float32), kpts)
        np.testing.assert_array_equal(np.array(ref_s, np.float32), scores)


@pytest.mark.skipif(
    not VECTORS, reason=f'reference vectors not found at {REFERENCE}')
def test_multi_scale_size_matches_original():
    from higherhrnet_plugin.core.resize_geometry import \
        get_multi_scale_size
    for path in VECTORS:
        data = np.load(path)
        scales = [float(s) for s in data['scales']]
        for s in scales:
            size, center, scale = get_multi_scale_size(
                data['image_size'], 512, s, min(scales))
            assert tuple(size) == tuple(data['s%g_input_size' % s]), path
            if s == 1:
                np.testing.assert_array_equal(center, data['center'])
                np.testing.assert_allclose(scale, data['scale'], rtol=1e-12)


def test_affine_matches_original_construction():
    cv2 = pytest.importorskip('cv2')
    from higherhrnet_plugin.core.resize_geometry import (
        get_affine_transform, get_final_preds)
    center = np.array([320, 213])
    scale = np.array([3.71875, 2.125])
    out = (896, 512)
    # the original: three float32 point pairs and cv2.getAffineTransform
    src_w = scale[0] * 200.0
    src = np.zeros((3, 2), np.float32)
    dst = np.zeros((3, 2), np.float32)
    src[0] = center
    src[1] = center + np.array([0, src_w * -0.5])
    dst[0] = [out[0] * 0.5, out[1] * 0.5]
    dst[1] = dst[0] + np.array([0, out[0] * -0.5], np.float32)
    for m in (src, dst):
        d = m[0] - m[1]
        m[2] = m[1] + np.array([-d[1], d[0]], np.float32)
    inv = cv2.getAffineTransform(dst, src)
    np.testing.assert_allclose(
        get_affine_transform(center, scale, out, inv=True), inv, atol=1e-4)
    np.testing.assert_allclose(
        get_affine_transform(center, scale, out),
        cv2.getAffineTransform(src, dst),
        atol=1e-6)
    kpts = np.array([[[10.25, 20.75, 0.5], [895.0, 511.0, 0.1]]], np.float32)
    got = get_final_preds(kpts, center, scale, out)
    pts = np.concatenate([kpts[0, :, :2], np.ones((2, 1))], 1)
    np.testing.assert_allclose(got[0, :, :2], pts @ inv.T, atol=1e-3)
    np.testing.assert_array_equal(got[..., 2], kpts[..., 2])


def test_flip_pass_aggregation_order():
    from higherhrnet_plugin.models.utils.heatmap_aggregation import (
        TestView, aggregate_levels, aggregate_views)
    g = torch.Generator().manual_seed(0)
    flip = [1, 0, 2]
    out0 = torch.rand(1, 6, 4, 5, generator=g)
    out1 = torch.rand(1, 3, 8, 10, generator=g)
    hm, tags = aggregate_levels([out0, out1], 3, flip)
    up = torch.nn.functional.interpolate(
        out0, size=(8, 10), mode='bilinear', align_corners=False).flip(3)
    torch.testing.assert_close(hm, (up[:, :3][:, flip] + out1.flip(3)[:, flip])
                               / 2, rtol=0, atol=0)
    torch.testing.assert_close(tags[0], up[:, 3:][:, flip], rtol=0, atol=0)
    hms, tgs = aggregate_views([TestView(1.0, [out0, out1], [out0, out1])],
                               (20, 16), 3, flip)
    assert hms.shape == (1, 3, 16, 20) and tgs.shape == (1, 3, 16, 20, 2)
