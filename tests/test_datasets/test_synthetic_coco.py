import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest

from higherhrnet_plugin.synthetic_coco import (
    DEFAULT_SCENE, KEYPOINT_NAMES, RECORD_FILE, SCENES, SKELETON, Scene,
    _box_overlap, _place_people, ensure_synthetic_coco, make_synthetic_coco)

N_TRAIN, N_VAL = 8, 3
# sha256 of the annotations of make_synthetic_coco(root, 3, 1, seed=0) as
# generated before scenes existed (1-6 people 24-300 px, crowds): 'hard'
HARD_SEED0_3_1 = {
    'train': ('06ebcae4385c59a4b56489169d835e18'
              'ec2eda60faea6a8e670b39cffdfcfecb'),
    'val': ('c1aa62aef20975c805d08f5e6bb3bc03'
            'ca300732d8c12956bcf9d0d10d14279b'),
}


def _files(root):
    out = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            p = osp.join(d, f)
            with open(p, 'rb') as fh:
                out[osp.relpath(p, root)] = fh.read()
    return out


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    # the hard scene: the one with crowds, many people and all sizes
    root = str(tmp_path_factory.mktemp('syn_a'))
    make_synthetic_coco(root, num_train=N_TRAIN, num_val=N_VAL, seed=0,
                        scene='hard')
    return root


@pytest.fixture(scope='module')
def train_json(data_root):
    with open(osp.join(data_root,
                       'annotations/person_keypoints_train.json')) as fh:
        return json.load(fh)


def test_layout_and_determinism(data_root, tmp_path):
    a = _files(data_root)
    assert len([k for k in a if k.startswith('images/train/')]) == N_TRAIN
    assert len([k for k in a if k.startswith('images/val/')]) == N_VAL
    assert 'annotations/person_keypoints_train.json' in a
    assert 'annotations/person_keypoints_val.json' in a
    same = str(tmp_path / 'same')
    make_synthetic_coco(same, num_train=N_TRAIN, num_val=N_VAL, seed=0,
                        scene='hard')
    assert _files(same) == a
    other = _files_seed(tmp_path, 1)
    assert set(other) == set(a)
    for k in a:
        assert other[k] != a[k], k


def _files_seed(tmp_path, seed):
    d = str(tmp_path / f'seed{seed}')
    make_synthetic_coco(d, num_train=N_TRAIN, num_val=N_VAL, seed=seed,
                        scene='hard')
    return _files(d)


def test_hard_scene_is_the_set_from_before_scenes(tmp_path):
    out = make_synthetic_coco(str(tmp_path), num_train=3, num_val=1, seed=0,
                              scene='hard')
    got = {split: hashlib.sha256(open(path, 'rb').read()).hexdigest()
           for split, path in out.items()}
    assert got == HARD_SEED0_3_1


def test_easy_is_the_default_and_obeys_its_scene(tmp_path):
    easy = SCENES['easy']
    assert DEFAULT_SCENE == 'easy'
    make_synthetic_coco(str(tmp_path), num_train=12, num_val=0, seed=0)
    with open(tmp_path / 'annotations/person_keypoints_train.json') as fh:
        ann = json.load(fh)
    assert {(i['width'], i['height']) for i in ann['images']} == {
        easy.image_size}
    anns = ann['annotations']
    assert not any(a['iscrowd'] for a in anns)
    per_image = np.bincount([a['image_id'] for a in anns])
    assert per_image.max() <= easy.people[1]
    assert sum(a['num_keypoints'] > 0 for a in anns) >= 12


def test_placement_obeys_counts_heights_and_overlap():
    scene = SCENES['easy']
    w, h = scene.image_size
    counts = []
    for i in range(40):
        poses = _place_people(np.random.default_rng(i), w, h, scene)
        counts.append(len(poses))
        boxes = [np.concatenate([p['kpts'].min(0), p['kpts'].max(0)])
                 for p in poses]
        for p in poses:
            assert scene.heights[0] <= p['height'] <= scene.heights[1]
        for a in range(len(boxes)):
            for b in range(a):
                # the unpadded boxes are inside the padded ones checked
                assert _box_overlap(boxes[a], boxes[b]) <= 0.35
    assert min(counts) >= 1 and max(counts) == scene.people[1]
    # with free overlap every drawn person is placed
    free = Scene(people=(4, 4), max_overlap=1.)
    assert len(_place_people(np.random.default_rng(0), w, h, free)) == 4


def test_box_overlap():
    a = np.array([0., 0., 10., 10.])
    assert _box_overlap(a, np.array([5., 0., 25., 10.])) == 0.5
    assert _box_overlap(a, np.array([10., 0., 20., 10.])) == 0.
    assert _box_overlap(a, np.array([2., 2., 4., 4.])) == 1.


@pytest.mark.parametrize('kwargs,word', [
    (dict(scene='medium'), 'scene'),
    (dict(scene=Scene(people=(3, 1))), 'people'),
    (dict(scene=Scene(max_overlap=0.)), 'max_overlap'),
    (dict(scene=Scene(crowd_every=1)), 'crowd_every'),
    (dict(image_size=(320, 64)), 'image_size'),
    (dict(num_train=-1), 'num_train'),
])
def test_bad_scene_is_refused_before_writing(tmp_path, kwargs, word):
    with pytest.raises(ValueError, match=word):
        make_synthetic_coco(str(tmp_path / 'out'), **kwargs)
    assert not (tmp_path / 'out').exists()


def test_record_and_ensure(tmp_path):
    root = str(tmp_path / 'syn')
    assert ensure_synthetic_coco(root, num_train=2, num_val=1, scene='hard')
    with open(osp.join(root, 'annotations', RECORD_FILE)) as fh:
        record = json.load(fh)
    assert record['scene_name'] == 'hard' and record['seed'] == 0
    assert record['scene']['people'] == [1, 6]
    assert (record['num_train'], record['num_val']) == (2, 1)
    before = _files(root)
    # the same arguments: reused
    assert not ensure_synthetic_coco(root, num_train=2, num_val=1,
                                     scene='hard')
    # another scene (or seed): refused in one line, nothing rewritten
    for kwargs, word in (
            (dict(), 'scene_name hard (asked: easy)'),
            (dict(scene=Scene(people=(1, 3))), 'scene.people [1, 6] (asked: '
             '[1, 3])'),
            (dict(scene='hard', seed=1), 'seed 0 (asked: 1)')):
        with pytest.raises(ValueError) as err:
            ensure_synthetic_coco(root, num_train=2, num_val=1, **kwargs)
        msg = str(err.value)
        assert word in msg and root in msg and '\n' not in msg, msg
    assert _files(root) == before


def test_ensure_refuses_annotations_without_record(tmp_path):
    root = tmp_path / 'old'
    make_synthetic_coco(str(root), num_train=1, num_val=1, scene='hard')
    (root / 'annotations' / RECORD_FILE).unlink()
    before = _files(str(root))
    with pytest.raises(ValueError, match=RECORD_FILE):
        ensure_synthetic_coco(str(root), num_train=1, num_val=1)
    assert _files(str(root)) == before


def test_category(train_json):
    cats = train_json['categories']
    assert len(cats) == 1
    cat = cats[0]
    assert cat['id'] == 1 and cat['name'] == 'person'
    assert cat['keypoints'] == KEYPOINT_NAMES and len(KEYPOINT_NAMES) == 17
    assert cat['skeleton'] == SKELETON and len(SKELETON) == 19
    assert cat['keypoints'][:3] == ['nose', 'left_eye', 'right_eye']
    assert cat['keypoints'][-1] == 'right_ankle'


def test_annotations_consistent(train_json):
    images = {im['id']: im for im in train_json['images']}
    anns = train_json['annotations']
    assert len({a['id'] for a in anns}) == len(anns)
    n_occluded = n_outside = 0
    for a in anns:
        im = images[a['image_id']]
        assert a['category_id'] == 1
        assert a['iscrowd'] in (0, 1)
        kpts = np.array(a['keypoints'], dtype=float).reshape(17, 3)
        v = kpts[:, 2]
        assert set(np.unique(v)) <= {0, 1, 2}
        assert np.all(kpts[v == 0, :2] == 0)
        assert a['num_keypoints'] == int((v > 0).sum())
        labelled = kpts[v > 0]
        assert np.all(labelled[:, 0] >= 0) and np.all(
            labelled[:, 0] < im['width'])
        assert np.all(labelled[:, 1] >= 0) and np.all(
            labelled[:, 1] < im['height'])
        x, y, w, h = a['bbox']
        assert w > 0 and h > 0
        assert x >= 0 and y >= 0
        assert x + w <= im['width'] and y + h <= im['height']
        assert 0 < a['area'] <= w * h
        if a['iscrowd']:
            assert a['num_keypoints'] == 0
            seg = a['segmentation']
            assert seg['size'] == [im['height'], im['width']]
            counts = np.array(seg['counts'])
            assert counts.sum() == im['height'] * im['width']
            assert counts[1::2].sum() == a['area']
        else:
            assert isinstance(a['segmentation'], list)
            assert all(
                len(p) >= 6 and len(p) % 2 == 0 for p in a['segmentation'])
            n_occluded += int((v == 1).sum())
            n_outside += int((v == 0).sum())
    assert n_occluded > 0 and n_outside > 0


def test_small_people_unlabelled_as_in_coco(train_json):
    people = [a for a in train_json['annotations'] if not a['iscrowd']]
    small = [a for a in people if a['area'] < 32**2]
    labelled = [a for a in people if a['num_keypoints'] > 0]
    assert small and labelled
    for a in small:  # box and mask kept, no keypoint labels
        assert a['num_keypoints'] == 0 and not any(a['keypoints'])
        assert a['bbox'][2] > 0 and a['segmentation']
    assert all(a['area'] >= 32**2 for a in labelled)


def test_crowd_and_heights(train_json):
    anns = train_json['annotations']
    crowd_imgs = {a['image_id'] for a in anns if a['iscrowd']}
    assert len(crowd_imgs) >= 1
    persons = [a for a in anns if not a['iscrowd']]
    counts = np.bincount([a['image_id'] for a in persons])
    assert counts.max() >= 2  # several people per image
    heights = [a['bbox'][3] for a in persons]
    assert min(heights) < 50
    assert max(heights) > 150


def test_xtcocotools_masks(data_root):
    from xtcocotools.coco import COCO

    # the masks are decoded with pycocotools (or cv2), not with the
    # xtcocotools whose loading of the annotations is under test
    try:
        from pycocotools import mask as mask_utils
    except ImportError:  # pragma: no cover
        mask_utils = None
    coco = COCO(osp.join(data_root, 'annotations/person_keypoints_train.json'))
    assert len(coco.getImgIds()) == N_TRAIN
    assert coco.getCatIds() == [1]
    for ann in coco.loadAnns(coco.getAnnIds()):
        img = coco.imgs[ann['image_id']]
        h, w = img['height'], img['width']
        coco.annToRLE(ann)  # segmentation format accepted by xtcocotools
        m = _decode(ann['segmentation'], h, w, mask_utils)
        assert m.sum() > 0
        ys, xs = np.nonzero(m)
        x, y, bw, bh = ann['bbox']
        # mask lies inside the bbox (polygons may be 1px off)
        assert xs.min() >= x - 1 and xs.max() <= x + bw + 1
        assert ys.min() >= y - 1 and ys.max() <= y + bh + 1
        if ann['iscrowd']:
            assert m.sum() == ann['area']
        elif mask_utils is not None:  # cv2 fallback rasterises boundaries
            # outer polygons also cover gaps enclosed by limbs (as COCO's)
            assert m.sum() <= ann['area'] * 1.3 + 4


def _decode(seg, h, w, mask_utils):
    if mask_utils is not None:
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
        else:
            rle = mask_utils.frPyObjects(seg, h, w)
        return mask_utils.decode(rle)
    import cv2
    m = np.zeros((h, w), np.uint8)
    if isinstance(seg, list):
        for p in seg:
            cv2.fillPoly(m, [np.round(np.array(p).reshape(-1, 2)).astype(
                np.int32)], 1)
        return m
    flat = np.repeat(np.arange(len(seg['counts'])) % 2, seg['counts'])
    return flat.reshape(w, h).T.astype(np.uint8)


def test_mmpose_coco_dataset(data_root):
    from mmpose.datasets import CocoDataset
    for split, n in (('train', N_TRAIN), ('val', N_VAL)):
        ds = CocoDataset(
            data_root=data_root,
            ann_file=f'annotations/person_keypoints_{split}.json',
            data_prefix=dict(img=f'images/{split}/'),
            data_mode='bottomup',
            test_mode=False,
            pipeline=[])
        assert len(ds) == n
        sample = ds[0]
        kpts = sample['keypoints']
        assert kpts.ndim == 3 and kpts.shape[1:] == (17, 2)
        assert sample['keypoints_visible'].shape == kpts.shape[:2]
        assert osp.isfile(sample['img_path'])
