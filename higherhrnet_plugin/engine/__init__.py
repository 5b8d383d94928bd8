from .launch import prepare_distributed, resolve_work_dir

__all__ = ['prepare_distributed', 'resolve_work_dir']
