"""MMPose's ``PoseLocalVisualizer``, working under NumPy 2."""
import numpy as np

from mmpose.registry import VISUALIZERS
from mmpose.visualization import PoseLocalVisualizer


@VISUALIZERS.register_module()
class NumPy2PoseLocalVisualizer(PoseLocalVisualizer):
    """:class:`mmpose.visualization.PoseLocalVisualizer` whose OpenCV
    backend accepts the 1-element radius arrays MMPose itself passes.

    MMPose 1.3 draws joints with ``draw_circles(..., radius=np.array([r]))``
    and its OpenCV backend calls ``int(radius)``, which NumPy 2 refuses for
    a 1-D array: any image with a joint above ``kpt_thr`` fails. The configs
    of this plugin use this class as their ``visualizer``; everything else
    is MMPose's.

    Example:
        >>> import numpy as np
        >>> from higherhrnet_plugin.visualization import (
        ...     NumPy2PoseLocalVisualizer)
        >>> vis = NumPy2PoseLocalVisualizer(name='np2_doctest')
        >>> vis.set_image(np.zeros((8, 8, 3), np.uint8))
        >>> vis.draw_circles(np.array([4, 4]), radius=np.array([2]),
        ...                  face_colors=(255, 0, 0), alpha=1.0)
        >>> int(vis.get_image()[4, 4, 0])
        255
    """

    def draw_circles(self, center, radius, face_colors='none', alpha=1.0,
                     **kwargs):
        if self.backend == 'opencv':
            radius = np.asarray(radius).reshape(-1)[0]
        return super().draw_circles(
            center, radius, face_colors=face_colors, alpha=alpha, **kwargs)
