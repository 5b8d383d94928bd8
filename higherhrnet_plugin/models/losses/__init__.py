from .multi_resolution_heatmap_loss import MultiResolutionHeatmapLoss

__all__ = ['MultiResolutionHeatmapLoss']
