from .multilevel_heatmap_mask import BottomupGetMultiLevelHeatmapMask
from .original_resize import BottomupOriginalResize

__all__ = ['BottomupGetMultiLevelHeatmapMask', 'BottomupOriginalResize']
