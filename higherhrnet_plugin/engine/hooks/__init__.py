from .atomic_checkpoint_hook import AtomicCheckpointHook, CheckpointSaveError
from .epoch_seed_hook import EpochSeedHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .wall_clock_budget_hook import WallClockBudgetHook

__all__ = [
    'AtomicCheckpointHook', 'CheckpointSaveError', 'EpochSeedHook',
    'NonFiniteLossError', 'NonFiniteLossHook', 'WallClockBudgetHook'
]
