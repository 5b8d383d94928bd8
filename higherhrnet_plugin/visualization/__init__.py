"""Drawing under NumPy 2: MMPose 1.3's ``PoseLocalVisualizer`` fails on
every confident joint there."""
from .local_visualizer import NumPy2PoseLocalVisualizer

__all__ = ['NumPy2PoseLocalVisualizer']
