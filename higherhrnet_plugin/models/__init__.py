from .backbones import NarrowStemHRNet
from .heads import HigherHRNetHead
from .losses import MultiResolutionHeatmapLoss
from .pose_estimators import FlipBatchBottomupPoseEstimator
from .tta import HeatmapAggregationTTA

__all__ = [
    'FlipBatchBottomupPoseEstimator', 'HeatmapAggregationTTA',
    'HigherHRNetHead', 'MultiResolutionHeatmapLoss', 'NarrowStemHRNet'
]
