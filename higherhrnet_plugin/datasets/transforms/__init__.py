from .multilevel_heatmap_mask import BottomupGetMultiLevelHeatmapMask

__all__ = ['BottomupGetMultiLevelHeatmapMask']
