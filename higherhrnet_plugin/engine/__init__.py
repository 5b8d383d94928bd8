from .atomic_files import write_atomic
from .checkpoint_loader import (CheckpointLoadError, UntrustedCheckpointError,
                                add_trust_argument, load_checkpoint_file,
                                trusted_checkpoints)
from .hooks import (AtomicCheckpointHook, CheckpointSaveError, EpochSeedHook,
                    NonFiniteLossError, NonFiniteLossHook)
from .launch import close_distributed, prepare_distributed, resolve_work_dir

__all__ = [
    'AtomicCheckpointHook', 'CheckpointLoadError', 'CheckpointSaveError',
    'EpochSeedHook', 'NonFiniteLossError', 'NonFiniteLossHook',
    'UntrustedCheckpointError', 'add_trust_argument', 'close_distributed',
    'load_checkpoint_file', 'prepare_distributed', 'resolve_work_dir',
    'trusted_checkpoints', 'write_atomic'
]
