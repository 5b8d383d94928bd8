"""The original HigherHRNet test resize as an MMPose transform."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmpose.registry import TRANSFORMS

from ...core.resize_geometry import resize_align_multi_scale


@TRANSFORMS.register_module()
class BottomupOriginalResize(BaseTransform):
    """Resize a test image as the original ``resize_align_multi_scale``.

    At ``min_scale`` the short side is ``input_size * min_scale`` rounded up
    to a multiple of 64 and the long side keeps the aspect ratio (rounded up
    to a multiple of 64); at ``scale`` both are multiplied by
    ``scale / min_scale``, so the views of a multi-scale test are exact
    multiples of each other and cover the same image region. The warp is
    centred on ``int(w / 2 + 0.5), int(h / 2 + 0.5)``.

    ``BottomupResize(size_factor=64, resize_mode='expand')`` gives the same
    sizes and scale at a single scale but centres on ``w / 2, h / 2`` (half
    a pixel apart for odd sizes); for multi-scale tests its padded sizes are
    not multiples of each other, so use this transform there.

    Sets ``img``, ``img_shape``, ``input_size`` (w, h), ``input_center``
    and ``input_scale`` (the box size in pixels, ``scale * 200``) as
    ``BottomupResize`` does, so ``BottomupPoseEstimator`` maps predictions
    back to the image as the original ``get_final_preds`` does.

    Args:
        input_size (int): the base input size (512 or 640).
        scale (float): this view's scale factor. Defaults to 1.
        min_scale (float): the smallest scale of the test. Defaults to 1.
    """

    def __init__(self,
                 input_size: int = 512,
                 scale: float = 1.0,
                 min_scale: float = 1.0):
        super().__init__()
        if isinstance(input_size, (tuple, list)):
            input_size = min(input_size)
        self.input_size = int(input_size)
        self.scale = float(scale)
        self.min_scale = float(min_scale)

    def transform(self, results: Dict) -> Dict:
        img, center, scale = resize_align_multi_scale(
            results['img'], self.input_size, self.scale, self.min_scale)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['input_size'] = (img.shape[1], img.shape[0])
        results['input_center'] = np.asarray(center, dtype=np.float64)
        results['input_scale'] = np.asarray(scale, dtype=np.float64) * 200.
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'scale={self.scale}, min_scale={self.min_scale})')
