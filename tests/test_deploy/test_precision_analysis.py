"""The measures behind the precision tables: people agreement (paired
people, keypoint shifts) and the rendered maps the W32 benchmark decodes."""
import numpy as np
import pytest

from repo_paths import REFERENCE


def test_agreement_pairs_people_in_any_order():
    from higherhrnet_plugin.analysis.people_agreement import (
        image_agreement, summarise_agreement)
    rng = np.random.default_rng(0)
    ref = rng.uniform(0, 500, (3, 17, 2))
    moved = ref[[2, 0, 1]].copy()
    moved[1, 4] += (3.0, 4.0)  # person 0, joint 4: 5 px
    same = image_agreement(ref, moved)
    assert same['same_count'] and len(same['shifts']) == 3 * 17
    fewer = image_agreement(ref, ref[:2] + 100.0)
    assert not fewer['same_count'] and len(fewer['shifts']) == 2 * 17
    empty = image_agreement(ref, np.zeros((0, 17, 2)))
    summary = summarise_agreement([same, fewer, empty])
    assert (summary['images'], summary['same_count']) == (3, 1)
    # shifts of images with as many people only (a pair of two different
    # people is no shift)
    assert summary['median'] == 0 and summary['max'] == pytest.approx(5.0)
    assert summarise_agreement([empty])['max'] is None


@pytest.fixture(scope='module')
def tiny_head():
    from random_models import WEIGHT_GAIN, random_demo_model
    return random_demo_model(weight_gain=WEIGHT_GAIN)


def test_rendered_maps_of_a_reference_vector(tiny_head):
    if not REFERENCE.is_dir():
        pytest.skip(f'no reference vectors at {REFERENCE}')
    from higherhrnet_plugin.analysis.rendered_maps import load_rendered_maps
    maps = load_rendered_maps(str(REFERENCE / 'flip_000000000785.npz'),
                              tiny_head.head,
                              tiny_head.dataset_meta['flip_indices'])
    # 000000000785.jpg at the original test resize: 512x832 (h x w)
    assert maps.input_hw == (512, 832)
    assert tuple(maps.heatmaps.shape) == (1, 17, 512, 832)
    assert tuple(maps.tags.shape) == (1, 17, 512, 832, 2)
    # one person, rendered: a clear peak per joint
    assert float(maps.heatmaps.amax(dim=(2, 3)).min()) > 0.3


def test_rendered_maps_errors_are_one_line(tmp_path, tiny_head):
    from higherhrnet_plugin.analysis.rendered_maps import load_rendered_maps
    other = tmp_path / 'other.npz'
    np.savez(other, x=np.zeros(1))
    for path, message in (
            (tmp_path / 'none.npz', 'no such file'),
            (other, 'is not a flip reference vector')):
        with pytest.raises(ValueError) as e:
            load_rendered_maps(str(path), tiny_head.head, list(range(17)))
        assert str(e.value).startswith('--rendered-maps: ')
        assert message in str(e.value) and str(path) in str(e.value)
        assert '\n' not in str(e.value)
