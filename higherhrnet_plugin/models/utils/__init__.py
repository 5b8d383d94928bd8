"""What the estimator, the TTA model, the hooks and the export share: the
aggregation of test views, and the speed options. Import the submodules
directly."""

__all__ = ['heatmap_aggregation', 'speed_options', 'test_time_options']
