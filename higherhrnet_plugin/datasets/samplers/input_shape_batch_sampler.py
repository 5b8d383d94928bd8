"""Test batches of images that share their network input shape."""
from collections import OrderedDict
from typing import Dict, Hashable, Iterator, List, Sequence, Tuple

from PIL import Image
from torch.utils.data import BatchSampler, Sampler

from mmpose.registry import DATA_SAMPLERS

from ..transforms.original_resize import BottomupOriginalResize
from ...core.resize_geometry import get_multi_scale_size
from ..validated_datasets import applies_exif_orientation

# EXIF orientations that rotate by 90 degrees: OpenCV's IMREAD_COLOR (how
# ``LoadImage(color_type='color')`` decodes) applies them, so the decoded
# image is h x w
_TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112


def decoded_image_size(path: str,
                       exif_orientation: bool = True) -> Tuple[int, int]:
    """(w, h) of the image ``LoadImage`` decodes from ``path``, read from the
    file header (EXIF rotation applied, as OpenCV does, when
    ``exif_orientation``)."""
    with Image.open(path) as img:
        w, h = img.size
        if exif_orientation and img.getexif().get(
                _EXIF_ORIENTATION) in _TRANSPOSING_ORIENTATIONS:
            w, h = h, w
    return w, h


def _resizes(transforms) -> List[BottomupOriginalResize]:
    """Every :class:`BottomupOriginalResize` of a pipeline, in order, also
    inside ``Compose`` (``transforms``) and ``TestTimeAug``
    (``subroutines``)."""
    found = []
    for t in transforms:
        if isinstance(t, BottomupOriginalResize):
            found.append(t)
        for attr in ('transforms', 'subroutines'):
            if isinstance(getattr(t, attr, None), (list, tuple)):
                found.extend(_resizes(getattr(t, attr)))
    return found


@DATA_SAMPLERS.register_module()
class InputShapeBatchSampler(BatchSampler):
    """Batches whose images all get the same network input shape.

    Bottom-up test pipelines resize every image to its own input shape
    (:class:`BottomupOriginalResize`: the short side to the input size, the
    long side keeping the aspect ratio, both rounded up to multiples of 64),
    so COCO's few image shapes give a handful of input shapes (at input
    size 512, 640x480 becomes 704x512 and 640x427 768x512).
    Batching images of one input shape needs no padding, so every image's
    network input, and hence its poses, are those of batch size 1.

    The key of an image is the tuple of input sizes its pipeline's
    ``BottomupOriginalResize`` transforms give it (all views of a
    ``TestTimeAug``), computed from the image size in the file header; for
    a pipeline without one it is the image size itself, which is exact for
    any deterministic resize. Indices come from ``sampler`` in its order;
    a batch is yielded as soon as it holds ``batch_size`` images of one key,
    and the part-filled batches of each key follow at the end, in the order
    in which their keys first appeared.

    Args:
        sampler (Sampler): the index sampler (e.g. ``DefaultSampler``) over
            a dataset with ``get_data_info(idx)['img_path']`` and
            ``pipeline``.
        batch_size (int): the largest batch.
        drop_last (bool): drop the part-filled batches. Defaults to False.
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int,
                 drop_last: bool = False) -> None:
        if not isinstance(sampler, Sampler):
            raise TypeError('InputShapeBatchSampler: sampler must be a '
                            f'torch Sampler, got {type(sampler).__name__}')
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError('InputShapeBatchSampler: batch_size must be a '
                             f'positive integer, got {batch_size!r}')
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.dataset = sampler.dataset
        pipeline = getattr(self.dataset, 'pipeline', None)
        self._resize_steps = _resizes(getattr(pipeline, 'transforms', []))
        self._exif_orientation = applies_exif_orientation(pipeline)
        self._keys: Dict[int, Hashable] = {}

    def input_shape_key(self, idx: int) -> Hashable:
        """The grouping key of dataset index ``idx`` (cached)."""
        if idx not in self._keys:
            path = self.dataset.get_data_info(idx)['img_path']
            size = decoded_image_size(path, self._exif_orientation)
            if self._resize_steps:
                self._keys[idx] = tuple(
                    get_multi_scale_size(size, t.input_size, t.scale,
                                         t.min_scale)[0]
                    for t in self._resize_steps)
            else:
                self._keys[idx] = size
        return self._keys[idx]

    def _batches(self, indices: Sequence[int]) -> Iterator[List[int]]:
        buckets: 'OrderedDict[Hashable, List[int]]' = OrderedDict()
        for idx in indices:
            bucket = buckets.setdefault(self.input_shape_key(idx), [])
            bucket.append(idx)
            if len(bucket) == self.batch_size:
                yield bucket[:]
                bucket.clear()
        if not self.drop_last:
            for bucket in buckets.values():
                if bucket:
                    yield bucket

    def __iter__(self) -> Iterator[List[int]]:
        yield from self._batches(self.sampler)

    def __len__(self) -> int:
        return sum(1 for _ in self._batches(list(self.sampler)))
