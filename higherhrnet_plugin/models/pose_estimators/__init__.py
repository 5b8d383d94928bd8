from .flip_batch_bottomup import (FlipBatchBottomupPoseEstimator,
                                  flip_batch_forward)

__all__ = ['FlipBatchBottomupPoseEstimator', 'flip_batch_forward']
