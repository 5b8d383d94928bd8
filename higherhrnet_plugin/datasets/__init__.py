from .samplers import InputShapeBatchSampler
from .transforms import (BottomupGetMultiLevelHeatmapMask,
                         BottomupOriginalResize)
from .validated_datasets import ValidatedCocoDataset, ValidatedCrowdPoseDataset

__all__ = [
    'BottomupGetMultiLevelHeatmapMask', 'BottomupOriginalResize',
    'InputShapeBatchSampler', 'ValidatedCocoDataset',
    'ValidatedCrowdPoseDataset'
]
