"""``AssociativeEmbeddingCodec.decode`` on heatmaps or tags holding NaN or
inf: a one-line ``ValueError`` naming the input, for numpy arrays and
tensors alike; finite maps still decode to well-formed people."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from higherhrnet_plugin.codecs.associative_embedding import \
    AssociativeEmbeddingCodec

BAD = (np.nan, np.inf, -np.inf)


def _codec():
    return AssociativeEmbeddingCodec(input_size=(64, 64))


def _maps(seed, k, h, w):
    rng = np.random.default_rng(seed)
    hm = (rng.random((k, h, w)) * 0.6).astype(np.float32)
    tags = rng.normal(size=(k, h, w, 1)).astype(np.float32)
    return hm, tags


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 4),
       h=st.integers(2, 12), w=st.integers(2, 12),
       where=st.sampled_from(('heatmaps', 'tags')),
       bad=st.sampled_from(BAD), count=st.integers(1, 5),
       as_tensor=st.booleans())
def test_non_finite_input_is_a_one_line_error(seed, k, h, w, where, bad,
                                              count, as_tensor):
    hm, tags = _maps(seed, k, h, w)
    target = hm if where == 'heatmaps' else tags
    rng = np.random.default_rng(seed + 1)
    flat = target.reshape(-1)
    idx = rng.choice(flat.size, size=min(count, flat.size), replace=False)
    flat[idx] = bad
    if as_tensor:
        hm, tags = torch.from_numpy(hm), torch.from_numpy(tags)
    with pytest.raises(ValueError) as info:
        _codec().decode(hm, tags)
    msg = str(info.value)
    assert '\n' not in msg
    assert f'{where} hold {len(idx)} NaN or inf' in msg, msg


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 4),
       h=st.integers(2, 12), w=st.integers(2, 12),
       big=st.sampled_from((0.0, 1e30, -1e30, 3e38)))
def test_finite_extremes_decode_to_well_formed_people(seed, k, h, w, big):
    """Huge but finite values are valid input: people come out finite."""
    hm, tags = _maps(seed, k, h, w)
    tags[0, 0, 0, 0] = big
    kpts, scores, inst = _codec().decode(hm, tags)
    n = kpts.shape[0]
    assert kpts.shape == (n, k, 2) and scores.shape == (n, k)
    assert inst.shape == (n, )
    assert np.isfinite(kpts).all() and np.isfinite(scores).all()
    assert np.isfinite(inst).all()
