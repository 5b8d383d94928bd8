"""Dataset validation: every bad annotation file, annotation and image file
gives one line naming the file, image id and annotation id
(``validate_coco_keypoints``, ``tools/analysis/check_dataset.py`` and the
registered ``ValidatedCocoDataset``/``ValidatedCrowdPoseDataset``)."""
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from odd_images import write_huge_images, write_odd_images
from repo_paths import REPO, SHARED

from higherhrnet_plugin.datasets.coco_validation import (
    DatasetError, validate_coco_keypoints)

SHARED_DATA = SHARED / 'data'
TOOL = REPO / 'tools' / 'analysis' / 'check_dataset.py'


@pytest.fixture(autouse=True)
def _cache_home(tmp_path, monkeypatch):
    """The datasets' verdict cache in the test's own folder."""
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))


@pytest.fixture(scope='module')
def base(tmp_path_factory):
    """A valid dataset: the shared COCO sample (real images) when present,
    else a synthetic one."""
    root = tmp_path_factory.mktemp('dataset')
    if (SHARED_DATA / 'coco' / 'test_coco.json').is_file():
        img_dir = root / 'images'
        img_dir.mkdir()
        for jpg in (SHARED_DATA / 'coco').glob('*.jpg'):
            shutil.copy(jpg, img_dir)
        data = json.loads(
            (SHARED_DATA / 'coco' / 'test_coco.json').read_text())
    else:
        from higherhrnet_plugin.synthetic_coco import \
            make_synthetic_coco
        anns = make_synthetic_coco(str(root), num_train=1, num_val=3)
        img_dir = root / 'images' / 'val'
        data = json.loads(Path(anns['val']).read_text())
    return data, img_dir


def _write(tmp_path, data):
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(data))
    return path


def _problems(tmp_path, data, img_dir, **kwargs):
    path = _write(tmp_path, data)
    return path, [str(p) for p in validate_coco_keypoints(
        str(path), str(img_dir), 17, progress=False, **kwargs)]


def test_valid_dataset_has_no_problem(base, tmp_path):
    data, img_dir = base
    assert _problems(tmp_path, data, img_dir, images='decode')[1] == []


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason='no ../shared/data')
@pytest.mark.parametrize('name,k', [('coco/test_coco.json', 17),
                                    ('crowdpose/test_crowdpose.json', 14)])
def test_shared_datasets_are_valid(name, k):
    ann = SHARED_DATA / name
    assert validate_coco_keypoints(str(ann), str(ann.parent), k,
                                   progress=False) == []


@pytest.mark.parametrize('content,expected', [
    (None, 'no such annotation file'),
    (b'<html>not json</html>', 'not JSON: Expecting value (line 1, column 1)'),
    (b'{"images": [{"id": 1, "file_na', 'not JSON (truncated?)'),
    (b'\x80\x81garbage', 'not JSON (not UTF-8 text at byte 0)'),
])
def test_annotation_file_errors(tmp_path, content, expected):
    path = tmp_path / 'ann.json'
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetError) as info:
        validate_coco_keypoints(str(path), None, 17)
    msg = str(info.value)
    assert msg.startswith(str(path)) and expected in msg, msg
    assert '\n' not in msg


def _drop(key):
    def edit(d):
        del d[key]
    return edit


def _set_ann(key, value, i=0):
    def edit(d):
        d['annotations'][i][key] = value
    return edit


def _del_ann(key, i=0):
    def edit(d):
        del d['annotations'][i][key]
    return edit


def _set_kpt(j, value, i=0):
    def edit(d):
        d['annotations'][i]['keypoints'][j] = value
    return edit


def _dup_image(d):
    d['images'].append(dict(d['images'][0]))


def _dup_ann(d):
    d['annotations'][1]['id'] = d['annotations'][0]['id']


def _labelled(d, i=0):
    """Index in ``keypoints`` of the x of the first labelled joint."""
    return 3 * next(j for j, v in enumerate(d['annotations'][i]['keypoints']
                                           [2::3]) if v > 0)


# (edit, message, names the image id, names the annotation id)
CASES = {
    'no images': (_drop('images'), 'no `images` list', False, False),
    'no annotations': (_drop('annotations'), 'no `annotations` list', False,
                       False),
    'no categories': (_drop('categories'), 'no `categories` list', False,
                      False),
    'empty annotations': (lambda d: d.update(annotations=[]),
                          '`annotations` is empty', False, False),
    'top level a list': (None, 'the top level is not a JSON object', False,
                         False),
    '16 joints': (lambda d: d['annotations'][0].update(
        keypoints=d['annotations'][0]['keypoints'][:48]),
        '`keypoints` has 48 values, not 3 x 17 = 51', True, True),
    'no keypoints': (_del_ann('keypoints'), 'no `keypoints` list', True,
                     True),
    'string keypoint': (_set_kpt(0, 'a'), 'holds a value that is not a '
                        'number', True, True),
    'NaN keypoint': (_set_kpt(0, float('nan')), 'holds NaN or inf', True,
                     True),
    'inf keypoint': (_set_kpt(1, float('inf')), 'holds NaN or inf', True,
                     True),
    'visibility 3': (_set_kpt(2, 3), 'visibility is not 0, 1 or 2', True,
                     True),
    'huge coordinate': (lambda d: _set_kpt(_labelled(d), 1e9)(d),
                        'lies more than the image size outside', True, True),
    'far negative coordinate': (lambda d: _set_kpt(_labelled(d), -1e5)(d),
                                'lies more than the image size outside',
                                True, True),
    'no bbox': (_del_ann('bbox'), 'no `bbox`', True, True),
    'NaN bbox': (_set_ann('bbox', [1, 2, float('nan'), 4]),
                 'not 4 finite numbers', True, True),
    'short bbox': (_set_ann('bbox', [1, 2, 3]), 'not 4 finite numbers',
                   True, True),
    'negative area': (_set_ann('area', -5), '`area` is -5', True, True),
    'NaN area': (_set_ann('area', float('nan')), '`area` is nan', True,
                 True),
    'duplicate image id': (_dup_image, 'duplicate image id', True, False),
    'duplicate annotation id': (_dup_ann, 'duplicate annotation id', True,
                                True),
    'missing image id': (_set_ann('image_id', 424242),
                         'its `image_id` is not in `images`', True, True),
    'annotation id a string': (_set_ann('id', 'x'),
                               "annotation id 'x': annotation `id` is not",
                               True, False),
    'image_id a list': (_set_ann('image_id', [1]),
                        'its `image_id` is not in `images`', True, True),
    'image without size': (lambda d: d['images'][0].pop('width'),
                           '`width` is None', True, False),
    'category with 16 names': (lambda d: d['categories'][0].update(
        keypoints=d['categories'][0]['keypoints'][:16]),
        'names 16 keypoints, the dataset has 17', False, False),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_annotation_problems_name_file_image_and_annotation(
        base, tmp_path, case):
    data, img_dir = copy.deepcopy(base[0]), base[1]
    edit, expected, names_image, names_ann = CASES[case]
    if edit is None:
        data = [data]
    else:
        edit(data)
    path, problems = _problems(tmp_path, data, img_dir)
    hits = [p for p in problems if expected in p]
    assert len(hits) == 1, problems
    line = hits[0]
    assert line.startswith(str(path)) and '\n' not in line
    ann = data['annotations'][0] if isinstance(data, dict) and data.get(
        'annotations') else {}
    if names_image:
        assert 'image id ' in line, line
    if names_ann:
        assert f'annotation id {ann["id"]}' in line, line


def test_negative_coordinates_inside_the_margin_are_accepted(base, tmp_path):
    """As MMPose: a labelled point just outside the image is kept (the
    encoder drops it from the heatmaps)."""
    data = copy.deepcopy(base[0])
    _set_kpt(_labelled(data), -3.5)(data)
    assert _problems(tmp_path, data, base[1])[1] == []


def test_image_file_problems(base, tmp_path):
    data, img_dir = copy.deepcopy(base[0]), tmp_path / 'imgs'
    shutil.copytree(base[1], img_dir)
    images = data['images']
    (img_dir / images[0]['file_name']).unlink()                  # missing
    (img_dir / images[1]['file_name']).write_bytes(b'\xff\xd8garbage')
    (img_dir / images[2]['file_name']).unlink()                  # a folder
    (img_dir / images[2]['file_name']).mkdir()
    images[3]['width'] += 1                                      # wrong size
    _, problems = _problems(tmp_path, data, img_dir)
    assert len(problems) == 4, problems
    expected = ['no such image file', 'not a readable image',
                'not a readable image', 'the file is ']
    for img, line, what in zip(images, problems, expected):
        assert line.startswith(str(img_dir / img['file_name'])), line
        assert f'image id {img["id"]}' in line and what in line, line


def test_truncated_jpeg_is_found_by_decode_only(base, tmp_path):
    """A JPEG cut after its header passes the header check; OpenCV decodes
    the rest grey (as LoadImage would train on it), so even ``decode``
    accepts it; a JPEG cut inside its header is refused by both."""
    data, img_dir = copy.deepcopy(base[0]), tmp_path / 'imgs'
    shutil.copytree(base[1], img_dir)
    path = img_dir / data['images'][0]['file_name']
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 2])
    assert _problems(tmp_path, data, img_dir, images='header')[1] == []
    path.write_bytes(raw[:100])
    for how in ('header', 'decode'):
        problems = _problems(tmp_path, data, img_dir, images=how)[1]
        assert len(problems) == 1 and 'not a readable image' in problems[0]


def _single_image_dataset(tmp_path, path, h, w):
    """An annotation file of one image ``path`` (h x w) with one person."""
    kpts = []
    for j in range(17):
        kpts += [min(w - 1, j % 4), min(h - 1, j // 4), 2]
    return dict(
        images=[dict(id=1, file_name=path.name, width=w, height=h)],
        annotations=[dict(id=7, image_id=1, category_id=1, keypoints=kpts,
                          bbox=[0, 0, w, h], area=float(w * h),
                          num_keypoints=17, iscrowd=0)],
        categories=[dict(id=1, name='person')])


@pytest.mark.parametrize('name', ['1x1.png', '7x7.png', 'gray.png',
                                  'rgba.png', '16bit.png', 'cmyk.jpg',
                                  'exif_rotated.jpg'])
def test_odd_image_formats_and_sizes_are_accepted(tmp_path, name):
    from odd_images import SIZES
    paths = write_odd_images(tmp_path / 'imgs')
    h, w = SIZES[name]
    data = _single_image_dataset(tmp_path, paths[name], h, w)
    assert _problems(tmp_path, data, tmp_path / 'imgs', images='decode',
                     orientation_applied=False)[1] == []


def test_exif_rotated_image_is_a_problem_when_loaded_rotated(tmp_path):
    """MMPose's LoadImage default rotates by EXIF (OpenCV's IMREAD_COLOR);
    the annotation is of the stored pixels (the original ignores EXIF)."""
    from mmpose.datasets.transforms import LoadImage
    from odd_images import SIZES
    path = write_odd_images(tmp_path / 'imgs')['exif_rotated.jpg']
    h, w = SIZES['exif_rotated.jpg']
    assert LoadImage()(dict(img_path=str(path)))['img'].shape[:2] == (w, h)
    assert LoadImage(color_type='color_ignore_orientation')(
        dict(img_path=str(path)))['img'].shape[:2] == (h, w)
    data = _single_image_dataset(tmp_path, path, h, w)
    problems = _problems(tmp_path, data, tmp_path / 'imgs')[1]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f'{path}, image id 1: EXIF orientation 6')


def test_huge_image_header_is_read_without_decoding(tmp_path):
    paths = write_huge_images(tmp_path / 'imgs', kinds=('png', ))
    data = _single_image_dataset(tmp_path, paths['png'], 10000, 10000)
    assert _problems(tmp_path, data, tmp_path / 'imgs')[1] == []


def test_tool_lists_problems_and_exits_1(base, tmp_path):
    data = copy.deepcopy(base[0])
    data['annotations'][0]['keypoints'] = data['annotations'][0][
        'keypoints'][:48]
    data['annotations'][1]['image_id'] = 999
    path = _write(tmp_path, data)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(path), str(base[1])], env=env,
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 3, proc.stderr
    assert sum('keypoints` has 48 values' in line for line in lines) == 1
    assert sum('image id 999' in line for line in lines) == 1
    assert lines[2] == f'check_dataset: 2 problem(s) in {path}'


def test_tool_on_a_good_and_a_missing_file(base, tmp_path, capsys,
                                           monkeypatch):
    monkeypatch.syspath_prepend(str(TOOL.parent))
    import check_dataset
    check_dataset.main([str(_write(tmp_path, base[0])), str(base[1])])
    assert 'are fine' in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        check_dataset.main([str(tmp_path / 'none.json'), str(base[1])])
    assert str(info.value) == f'{tmp_path / "none.json"}: no such ' \
        'annotation file'


@pytest.mark.parametrize('dataset_type,k', [('ValidatedCocoDataset', 17),
                                            ('ValidatedCrowdPoseDataset',
                                             14)])
def test_registered_datasets_validate_on_load(base, tmp_path, dataset_type,
                                              k):
    from mmpose.registry import DATASETS

    import higherhrnet_plugin  # noqa: F401
    data = copy.deepcopy(base[0])
    for ann in data['annotations']:
        ann['keypoints'] = ann['keypoints'][:3 * k]
    for cat in data['categories']:
        cat.pop('keypoints', None)
    good = _write(tmp_path, data)
    cfg = dict(type=dataset_type, ann_file=str(good),
               data_prefix=dict(img=str(base[1]) + '/'), data_mode='bottomup',
               pipeline=[dict(type='LoadImage')])
    dataset = DATASETS.build(cfg)
    assert len(dataset) > 0
    assert dataset.metainfo['num_keypoints'] == k

    data['annotations'][0]['keypoints'] = data['annotations'][0][
        'keypoints'][:-3]
    bad = _write(tmp_path, data)
    with pytest.raises(DatasetError) as info:
        DATASETS.build(dict(cfg, ann_file=str(bad)))
    msg = str(info.value)
    assert '\n' not in msg
    assert msg.startswith(f'{bad}, image id {data["annotations"][0]["image_id"]}'
                          f', annotation id {data["annotations"][0]["id"]}')
    assert f'not 3 x {k} = {3 * k}' in msg


def test_a_clean_verdict_is_cached_and_keyed_by_the_annotation_file(
        base, tmp_path, monkeypatch):
    from higherhrnet_plugin.datasets import coco_validation
    from higherhrnet_plugin.datasets.validated_datasets import (
        check_cache_dir, validate_once)
    data, img_dir = base
    ann = _write(tmp_path, data)
    headers = []
    real = coco_validation._image_header
    monkeypatch.setattr(coco_validation, '_image_header',
                        lambda path: (headers.append(path), real(path))[1])
    assert validate_once(str(ann), str(img_dir), 17) == []
    read = len(headers)
    assert read == len(data['images'])
    assert len(os.listdir(check_cache_dir())) == 1
    # a resume: the same file, no header read again
    assert validate_once(str(ann), str(img_dir), 17) == []
    assert len(headers) == read
    # another check level is another verdict
    assert validate_once(str(ann), str(img_dir), 17, images='exist') == []
    # the same size and mtime, other content: checked again
    stat = ann.stat()
    bad = copy.deepcopy(data)
    iid = bad['annotations'][0]['image_id']
    bad['annotations'][0]['image_id'] = int('9' * len(str(iid)))
    assert bad['annotations'][0]['image_id'] not in {
        img['id'] for img in data['images']}
    ann.write_text(json.dumps(bad))
    assert ann.stat().st_size == stat.st_size
    os.utime(ann, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    problems = validate_once(str(ann), str(img_dir), 17)
    assert problems and 'is not in `images`' in str(problems[0])
    assert len(headers) == 2 * read
    # a verdict with problems is not cached: checked again once fixed
    assert len(os.listdir(check_cache_dir())) == 2


def test_the_dataset_check_runs_on_rank_0_and_reaches_every_rank(
        base, tmp_path, monkeypatch):
    from mmpose.registry import DATASETS

    import higherhrnet_plugin  # noqa: F401
    from higherhrnet_plugin.datasets import validated_datasets
    data, img_dir = base
    ann = _write(tmp_path, data)
    cfg = dict(type='ValidatedCocoDataset', ann_file=str(ann),
               data_prefix=dict(img=str(img_dir) + '/'), data_mode='bottomup',
               pipeline=[])
    sent = []

    def broadcast(objects, src=0):
        """Rank 1 of two: rank 0's verdict arrives."""
        sent.append(objects[0])
        objects[0] = DatasetError('rank 0 found a problem')

    monkeypatch.setattr(validated_datasets, 'is_main_process', lambda: False)
    monkeypatch.setattr(validated_datasets, 'broadcast_object_list',
                        broadcast)
    monkeypatch.setattr(validated_datasets, 'validate_once',
                        lambda *a: pytest.fail('validated on rank 1'))
    with pytest.raises(DatasetError, match='rank 0 found a problem'):
        DATASETS.build(cfg)
    assert sent == [None]
