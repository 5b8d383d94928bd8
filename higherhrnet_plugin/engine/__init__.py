from .hooks import EpochSeedHook
from .launch import prepare_distributed, resolve_work_dir

__all__ = ['EpochSeedHook', 'prepare_distributed', 'resolve_work_dir']
