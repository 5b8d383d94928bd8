from . import backbones, heads, losses, tta  # noqa: F401
