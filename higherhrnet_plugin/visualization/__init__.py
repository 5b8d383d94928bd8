"""Drawing helpers that work under NumPy 2 (MMPose 1.3's
``PoseLocalVisualizer`` does not for confident joints)."""
from .pose_overlay import draw_poses

__all__ = ['draw_poses']
