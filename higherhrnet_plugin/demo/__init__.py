"""The CPU demo of ``make demo`` (``tools/demo.py``): its Runner config, its
wall-clock schedule, its keypoint threshold and its pictures. The
submodules import torch and MMPose's registries; import them directly."""
__all__ = [
    'config', 'fast_path', 'learning_curve', 'main_job', 'pictures',
    'schedule', 'val_threshold'
]
