from .atomic_checkpoint_hook import AtomicCheckpointHook, CheckpointSaveError
from .epoch_poses_hook import EpochPosesHook
from .epoch_seed_hook import EpochSeedHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .test_time_options_hook import TestTimeOptionsHook
from .train_fast_path_hook import TrainFastPathHook
from .train_time_hook import TrainTimeHook
from .wall_clock_budget_hook import (EpochWallClockBudgetHook,
                                     WallClockBudgetHook)

__all__ = [
    'AtomicCheckpointHook', 'CheckpointSaveError', 'EpochPosesHook',
    'EpochSeedHook', 'EpochWallClockBudgetHook', 'NonFiniteLossError',
    'NonFiniteLossHook', 'TestTimeOptionsHook', 'TrainFastPathHook',
    'TrainTimeHook', 'WallClockBudgetHook'
]
