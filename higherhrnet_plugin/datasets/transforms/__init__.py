from ...stack import MMPOSE_INSTALLED

if MMPOSE_INSTALLED:  # the runtime needs the numpy resize_geometry alone
    from .multilevel_heatmap_mask import BottomupGetMultiLevelHeatmapMask
    from .original_resize import BottomupOriginalResize

    __all__ = ['BottomupGetMultiLevelHeatmapMask', 'BottomupOriginalResize']
