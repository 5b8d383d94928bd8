"""What runs without torch: numpy, OpenCV and the standard library only.

The PyTorch path (the codec, the test pipeline, ``tools/infer.py``) and the
torch-free runtime (:mod:`..deploy`) share these modules:

- :mod:`.resize_geometry`: the original's test resize and the mapping of
  keypoints back to image pixels;
- :mod:`.dense_maps`: one image's aggregated maps as the decoder reads them
  (:class:`DenseMaps`, :class:`NumpyMaps`);
- :mod:`.grouping`: the decoder (NMS peaks, top-k, matching by tag, adjust,
  refine) and its :class:`DecodeOptions`, with :mod:`.topk_order`,
  :mod:`.hungarian` and :mod:`.refine`;
- :mod:`.prediction`, :mod:`.coco_results`: people, and COCO keypoint
  records of them;
- :mod:`.image_files`, :mod:`.errors`: reading images, and the one-line
  errors of bad input.

Import the submodules directly.
"""

__all__ = [
    'coco_results', 'dense_maps', 'errors', 'grouping', 'hungarian',
    'image_files', 'prediction', 'refine', 'resize_geometry', 'topk_order'
]
