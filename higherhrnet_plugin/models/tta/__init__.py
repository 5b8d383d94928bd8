from .heatmap_aggregation_tta import HeatmapAggregationTTA

__all__ = ['HeatmapAggregationTTA']
