from .hooks import EpochSeedHook
from .launch import prepare_distributed, resolve_work_dir
from .safe_globals import allow_mmpose_meta_dtypes

allow_mmpose_meta_dtypes()

__all__ = [
    'EpochSeedHook', 'allow_mmpose_meta_dtypes', 'prepare_distributed',
    'resolve_work_dir'
]
