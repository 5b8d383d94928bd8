"""InputShapeBatchSampler: batches of one network input shape."""
import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose, DefaultSampler
from PIL import Image

import higherhrnet_plugin  # noqa: F401
from higherhrnet_plugin.datasets.samplers import InputShapeBatchSampler
from higherhrnet_plugin.datasets.samplers.input_shape_batch_sampler import \
    decoded_image_size
from higherhrnet_plugin.core.resize_geometry import \
    get_multi_scale_size
from mmpose.registry import DATA_SAMPLERS

# (w, h): at input size 512, the first gives 832x512, the second and third
# 768x512, the fourth 896x512, the portrait one 512x832
SIZES = [(640, 425), (500, 333), (640, 429), (640, 392), (425, 640)]


class _ImageDataset:
    """What the sampler reads of a dataset: ``img_path`` and ``pipeline``."""

    def __init__(self, paths, pipeline):
        self.paths = paths
        self.pipeline = Compose(pipeline)

    def __len__(self):
        return len(self.paths)

    def get_data_info(self, idx):
        return dict(img_path=self.paths[idx])


def _write_images(root, sizes):
    paths = []
    for i, (w, h) in enumerate(sizes):
        path = str(root / f'{i}.jpg')
        cv2.imwrite(path, np.full((h, w, 3), 100, np.uint8))
        paths.append(path)
    return paths


def _sampler(paths, pipeline, batch_size, drop_last=False):
    dataset = _ImageDataset(paths, pipeline)
    return InputShapeBatchSampler(
        DefaultSampler(dataset, shuffle=False, round_up=False), batch_size,
        drop_last=drop_last)


def _resize(input_size=512, scale=1.0, min_scale=1.0):
    return dict(type='BottomupOriginalResize', input_size=input_size,
                scale=scale, min_scale=min_scale)


def test_groups_by_input_shape_in_first_appearance_order(tmp_path):
    # images 0, 5 and 6 share 832x512; 1 and 2 768x512; 3 and 7 896x512
    sizes = SIZES + [(640, 425), (640, 425), (640, 392)]
    paths = _write_images(tmp_path, sizes)
    sampler = _sampler(paths, [dict(type='LoadImage'), _resize()], 3)
    batches = list(sampler)
    # the first full batch is yielded when it fills, the rest in the order
    # their shapes first appeared
    assert batches == [[0, 5, 6], [1, 2], [3, 7], [4]]
    assert len(sampler) == len(batches)
    for batch in batches:
        shapes = {get_multi_scale_size(sizes[i], 512, 1, 1)[0] for i in batch}
        assert len(shapes) == 1
    assert sorted(i for b in batches for i in b) == list(range(len(sizes)))


def test_drop_last_and_batch_one(tmp_path):
    paths = _write_images(tmp_path, SIZES + [(640, 425)])
    pipeline = [dict(type='LoadImage'), _resize()]
    dropped = _sampler(paths, pipeline, 2, drop_last=True)
    assert list(dropped) == [[1, 2], [0, 5]]
    assert len(dropped) == 2
    single = _sampler(paths, pipeline, 1)
    assert list(single) == [[i] for i in range(len(paths))]
    assert len(single) == len(paths)


def test_tta_pipeline_keys_every_view(tmp_path):
    paths = _write_images(tmp_path, SIZES[:2] + SIZES[:1])
    scales = (2, 1, 0.5)
    pipeline = [
        dict(type='LoadImage'),
        dict(type='TestTimeAug', transforms=[
            [_resize(512, s, 0.5) for s in scales],
            [dict(type='PackPoseInputs')]])
    ]
    sampler = _sampler(paths, pipeline, 4)
    assert sampler.input_shape_key(0) == tuple(
        get_multi_scale_size(SIZES[0], 512, s, 0.5)[0] for s in scales)
    assert list(sampler) == [[0, 2], [1]]


def test_without_a_known_resize_keys_by_image_size(tmp_path):
    paths = _write_images(tmp_path, SIZES[:3])
    sampler = _sampler(paths, [dict(type='LoadImage')], 4)
    assert [sampler.input_shape_key(i) for i in range(3)] == SIZES[:3]
    assert list(sampler) == [[0], [1], [2]]


def test_exif_rotation_is_applied_as_opencv_does(tmp_path):
    path = str(tmp_path / 'rotated.jpg')
    img = Image.fromarray(np.zeros((30, 50, 3), np.uint8))  # 50 x 30
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    img.save(path, exif=exif)
    decoded = cv2.imread(path, cv2.IMREAD_COLOR)
    assert decoded_image_size(path) == (decoded.shape[1], decoded.shape[0])
    assert decoded_image_size(path) == (30, 50)
    # LoadImage(color_type='color_ignore_orientation'), as our configs load
    plain = cv2.imread(path, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    assert decoded_image_size(path, False) == (plain.shape[1],
                                               plain.shape[0]) == (50, 30)
    ignoring = _sampler(
        [path], [dict(type='LoadImage', color_type='color_ignore_orientation')],
        1)
    assert ignoring.input_shape_key(0) == (50, 30)


def test_built_from_the_registry(tmp_path):
    paths = _write_images(tmp_path, SIZES[:1] * 2)
    dataset = _ImageDataset(paths, [dict(type='LoadImage'), _resize()])
    sampler = DATA_SAMPLERS.build(
        dict(type='InputShapeBatchSampler'),
        default_args=dict(
            sampler=DefaultSampler(dataset, shuffle=False), batch_size=2))
    assert isinstance(sampler, InputShapeBatchSampler)
    assert list(sampler) == [[0, 1]]


@pytest.mark.parametrize('batch_size', [0, -1, 2.0])
def test_bad_batch_size_is_a_one_line_error(tmp_path, batch_size):
    dataset = _ImageDataset([], [])
    with pytest.raises(ValueError, match='batch_size'):
        InputShapeBatchSampler(DefaultSampler(dataset), batch_size)


def test_not_a_sampler_is_a_one_line_error():
    with pytest.raises(TypeError, match='sampler'):
        InputShapeBatchSampler([0, 1], 2)
