from . import backbones, heads, losses, pose_estimators, tta  # noqa: F401
