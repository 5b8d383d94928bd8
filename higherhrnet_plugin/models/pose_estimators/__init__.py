from .flip_batch_bottomup import FlipBatchBottomupPoseEstimator

__all__ = ['FlipBatchBottomupPoseEstimator']
