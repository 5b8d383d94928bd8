# Copyright (c) OpenMMLab. All rights reserved.
"""The fast decoder against straightforward references, stage by stage, on
random maps full of ties; the torch path (CPU) against the numpy path; the
decoder importable and identical without torch."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from higherhrnet_plugin.analysis import original_parser
from higherhrnet_plugin.core.dense_maps import NumpyMaps
from higherhrnet_plugin.codecs.dense_maps_torch import TorchMaps
from higherhrnet_plugin.core.grouping import (DecodeOptions, decode_maps,
                                                decode_people, group_people,
                                                parse_poses, select_top_k)
from higherhrnet_plugin.core import refine
from higherhrnet_plugin.core.refine import refine_people
from higherhrnet_plugin.core.topk_order import torch_cpu_topk
from repo_paths import REPO

SLOW = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _maps(seed, k, h, w, t, levels=8, negative=False):
    """Quantised heatmaps (many exact ties, plateaus, zeros) and tags."""
    rng = np.random.default_rng(seed)
    hm = np.zeros((k, h, w), np.float32)
    n = int(rng.integers(0, 3 * k * (h * w) // 50 + 2))
    hm[rng.integers(0, k, n), rng.integers(0, h, n),
       rng.integers(0, w, n)] = rng.integers(1, levels + 1, n) / levels
    hm += (rng.random((k, h, w)) < 0.2) * rng.integers(0, 3, (k, h, w)) / 16
    if negative:
        hm -= (rng.random((k, h, w)) < 0.3) * rng.integers(0, 3,
                                                           (k, h, w)) / 16
    tags = (rng.integers(-8, 9, (k, h, w, t)) / 4).astype(np.float32)
    return hm.astype(np.float32), tags


def _reference_top_k(hm, tags, k):
    """The original's NMS + topk in torch."""
    det = torch.from_numpy(hm)[None]
    nms = det * torch.eq(torch.nn.MaxPool2d(5, 1, 2)(det), det).float()
    val, ind = nms.view(1, hm.shape[0], -1).topk(k, dim=2)
    return val[0].numpy(), ind[0].numpy()


@settings(max_examples=200, **SLOW)
@given(st.integers(1, 3000), st.integers(1, 60), st.integers(1, 6),
       st.integers(0, 2**31 - 1), st.booleans())
def test_topk_order_is_torchs(n, k, levels, seed, sparse):
    rng = np.random.default_rng(seed)
    k = min(k, n)
    v = (rng.integers(0, levels, n) / 4).astype(np.float32)
    if sparse:
        v[rng.random(n) < 0.8] = 0
    if seed % 2:
        v = -v
    val, idx = torch.from_numpy(v).topk(k)
    got_val, got_idx = torch_cpu_topk(v, k)
    np.testing.assert_array_equal(got_idx, idx.numpy())
    np.testing.assert_array_equal(got_val, val.numpy())


@settings(max_examples=60, **SLOW)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4), st.integers(3, 40),
       st.integers(3, 40), st.sampled_from([0.0, 0.1, 0.3]),
       st.sampled_from([1, 3, 5]))
def test_peaks_are_the_nms_entries_above_threshold(seed, k, h, w, thr,
                                                   kernel):
    hm, tags = _maps(seed, k, h, w, 1, negative=seed % 2 == 0)
    det = torch.from_numpy(hm)[None]
    pool = torch.nn.MaxPool2d(kernel, 1, (kernel - 1) // 2)
    nms = (det * torch.eq(pool(det), det).float())[0].reshape(k, -1)
    jj, ff = np.nonzero(nms.numpy() > thr)
    for maps in (NumpyMaps(hm, tags, kernel),
                 TorchMaps(torch.from_numpy(hm), torch.from_numpy(tags),
                           kernel)):
        gj, gf, gv = maps.peaks(thr)
        np.testing.assert_array_equal(gj, jj)
        np.testing.assert_array_equal(gf, ff)
        np.testing.assert_array_equal(gv, nms.numpy()[jj, ff])
        for j in range(k):
            np.testing.assert_array_equal(maps.nms_row(j), nms[j].numpy())


@settings(max_examples=40, **SLOW)
@given(st.integers(0, 2**31 - 1), st.integers(1, 3),
       st.sampled_from([(8, 9), (30, 40), (48, 64)]),
       st.sampled_from([0.0, 0.1, -0.05]), st.sampled_from([2, 3, 8]))
def test_top_k_entries_used_by_matching_are_torchs(seed, k, hw, thr, levels):
    """Both torch kernels' paths (k * 64 > or <= H * W), ties included."""
    hm, tags = _maps(seed, k, *hw, 2, levels=levels, negative=seed % 2 == 0)
    topk = 30 if hw[0] * hw[1] >= 1920 else 5
    ref_val, ref_ind = _reference_top_k(hm, tags, topk)
    maps = NumpyMaps(hm, tags)
    peaks = maps.peaks(thr) if thr >= 0 else None
    tag_k, loc_k, val_k = select_top_k(maps, peaks, topk, thr)
    used = ref_val > thr
    np.testing.assert_array_equal(val_k > thr, used)
    np.testing.assert_array_equal(val_k[used], ref_val[used])
    flat = loc_k[..., 1] * hw[1] + loc_k[..., 0]
    np.testing.assert_array_equal(flat[used], ref_ind[used])
    jj = np.nonzero(used)[0]
    np.testing.assert_array_equal(
        tag_k[used], tags.reshape(k, -1, 2)[jj, ref_ind[used]])


@settings(max_examples=60, **SLOW)
@given(st.integers(0, 2**31 - 1), st.integers(1, 5), st.integers(4, 24),
       st.integers(4, 24), st.integers(1, 3), st.integers(1, 6))
def test_refine_matches_exhaustive_search(seed, k, h, w, t, num_people):
    """People with random detected joints; the original's per-person
    exhaustive refine as the reference."""
    hm, tags = _maps(seed, k, h, w, t, levels=4, negative=seed % 3 == 0)
    rng = np.random.default_rng(seed + 7)
    people = np.zeros((num_people, k, 3 + t), np.float32)
    for p in range(num_people):
        found = rng.random(k) < 0.5
        found[rng.integers(k)] = True
        for j in np.flatnonzero(found):
            x, y = rng.integers(w), rng.integers(h)
            people[p, j, :2] = (x + 0.25, y + 0.75)
            people[p, j, 2] = 0.5
            people[p, j, 3:] = tags[j, y, x]
    expected = np.stack([
        original_parser.refine(hm, tags, person.copy()) for person in people
    ])
    # step 1 alone (the default, larger than these maps), and step 2 for
    # people the few largest pixels do not settle
    for top_pixels in (refine.TOP_PIXELS, 1, 3, 17):
        got = refine_people(people.copy(), NumpyMaps(hm, tags), top_pixels)
        np.testing.assert_array_equal(got, expected)
    got_torch = refine_people(
        people.copy(), TorchMaps(torch.from_numpy(hm),
                                 torch.from_numpy(tags)), 3)
    np.testing.assert_array_equal(got_torch, expected)


@settings(max_examples=20, **SLOW)
@given(st.integers(0, 2**31 - 1), st.integers(1, 30), st.booleans())
def test_refine_matches_exhaustive_search_on_dense_maps(seed, num_people,
                                                        amplified):
    """Maps of an amplified random network (most pixels positive, values
    and tags spread over many units: step 1 settles most people), or low
    values with smooth tags whose second channel is offset per joint, so
    that a joint's tags lie a few units from the others' and the winners
    have ``f < 0``, many with a value > 0, as on real images."""
    rng = np.random.default_rng(seed)
    k, h, w = 3, 48, 64
    if amplified:
        hm = (rng.normal(0.5, 4.0, (k, h, w))).astype(np.float32)
        tags = rng.normal(0, 6.0, (k, h, w, 2)).astype(np.float32)
    else:
        hm = rng.uniform(-0.05, 0.5, (k, h, w)).astype(np.float32)
        ramp = np.linspace(-4, 4, w)[None, None, :]
        offset = np.array([0.0, 1.7, 3.4])[:, None, None]
        tags = np.stack([ramp + rng.normal(0, 0.3, (k, h, w)),
                         offset + rng.normal(0, 0.1, (k, h, w))],
                        -1).astype(np.float32)
    people = np.zeros((num_people, k, 5), np.float32)
    for p in range(num_people):
        j = rng.integers(k)
        x, y = rng.integers(w), rng.integers(h)
        people[p, j, :3] = (x + 0.25, y + 0.75, 1.0)
        people[p, j, 3:] = tags[j, y, x]
    expected = np.stack([
        original_parser.refine(hm, tags, person.copy()) for person in people
    ])
    for top_pixels in (refine.TOP_PIXELS, 64):
        got = refine_people(people.copy(), NumpyMaps(hm, tags), top_pixels)
        np.testing.assert_array_equal(got, expected)


@settings(max_examples=25, **SLOW)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4),
       st.sampled_from([(12, 16), (40, 52)]), st.integers(1, 2))
def test_decoder_identical_to_original_and_torch_path(seed, k, hw, t):
    """Whole decoder: the restated original, our numpy path and our torch
    path (CPU tensors through TorchMaps) give the same people."""
    pytest.importorskip('munkres')
    hm, tags = _maps(seed, k, *hw, t, levels=4, negative=seed % 2 == 0)
    topk = 30 if hw[0] * hw[1] >= 1920 else 5
    order = tuple(range(k))[::-1]
    ref_k, ref_s = original_parser.parse(
        torch.from_numpy(hm)[None], torch.from_numpy(tags)[None],
        max_num_people=topk, joint_order=order)
    kpts, scores = parse_poses(hm, tags, max_num_people=topk,
                               joint_order=order)
    ref_k = np.asarray(ref_k, np.float32).reshape(kpts.shape)
    np.testing.assert_array_equal(kpts, ref_k)
    np.testing.assert_array_equal(scores, np.asarray(ref_s, np.float32))
    options = DecodeOptions(joint_order=order, topk=topk, max_instances=topk)
    got = group_people(
        TorchMaps(torch.from_numpy(hm), torch.from_numpy(tags)), options)
    np.testing.assert_array_equal(got[0], kpts)
    np.testing.assert_array_equal(got[1], scores)


def test_stage_times_and_options_round_trip():
    hm, tags = _maps(0, 3, 20, 24, 2)
    options = DecodeOptions(joint_order=(2, 0, 1), topk=5, max_instances=2)
    assert DecodeOptions(**options.to_dict()) == options
    times = {}
    group_people(NumpyMaps(hm, tags), options, times)
    assert set(times) == {'nms', 'top-k', 'matching', 'adjust', 'refine'}
    kpts, kscores, inst = decode_people(hm, tags, options)
    assert kpts.shape[0] <= 2 and kpts.shape[1:] == (3, 2)
    with pytest.raises(ValueError, match='not a permutation'):
        decode_people(hm, tags, DecodeOptions(joint_order=(0, 1)))
    with pytest.raises(ValueError, match=r'^decode option topk: .five. is '
                       r'not a valid value$'):
        DecodeOptions(joint_order=(0, 1, 2), topk='five')
    with pytest.raises(ValueError, match=r'tags \(K, H, W, T\)'):
        decode_people(hm, tags[:2], options)


def test_codec_decode_is_decode_people():
    from higherhrnet_plugin.codecs.associative_embedding import \
        AssociativeEmbeddingCodec
    codec = AssociativeEmbeddingCodec(input_size=(96, 80), decode_topk=5)
    hm, tags = _maps(3, 17, 40, 48, 2)
    options = codec.decode_options(17)
    expected = decode_people(hm, tags, options)
    for args in ((hm, tags), (torch.from_numpy(hm), torch.from_numpy(tags))):
        for a, b in zip(codec.decode(*args), expected):
            np.testing.assert_array_equal(a, b)
    got = decode_maps(TorchMaps(torch.from_numpy(hm), torch.from_numpy(tags)),
                      options)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_decoder_runs_without_torch(tmp_path):
    """A fresh interpreter where torch and the OpenMMLab stack cannot be
    imported decodes the same people."""
    hm, tags = _maps(5, 4, 30, 40, 2)
    np.save(tmp_path / 'hm.npy', hm)
    np.save(tmp_path / 'tags.npy', tags)
    blocked = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmpose')
    code = textwrap.dedent(f"""
        import sys
        for name in {blocked!r}:
            sys.modules[name] = None  # as if not installed
        import numpy as np
        from higherhrnet_plugin.core.grouping import (DecodeOptions,
                                                        decode_people)
        out = decode_people(np.load('hm.npy'), np.load('tags.npy'),
                            DecodeOptions(joint_order=(0, 1, 2, 3), topk=5))
        np.savez('out.npz', *out)
        """)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = np.load(tmp_path / 'out.npz')
    expected = decode_people(hm, tags,
                             DecodeOptions(joint_order=(0, 1, 2, 3), topk=5))
    for i, ref in enumerate(expected):
        np.testing.assert_array_equal(out[f'arr_{i}'], ref)
