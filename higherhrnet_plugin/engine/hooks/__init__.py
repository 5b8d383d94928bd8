from .atomic_checkpoint_hook import AtomicCheckpointHook, CheckpointSaveError
from .epoch_seed_hook import EpochSeedHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .test_time_options_hook import TestTimeOptionsHook
from .wall_clock_budget_hook import WallClockBudgetHook

__all__ = [
    'AtomicCheckpointHook', 'CheckpointSaveError', 'EpochSeedHook',
    'NonFiniteLossError', 'NonFiniteLossHook', 'TestTimeOptionsHook',
    'WallClockBudgetHook'
]
