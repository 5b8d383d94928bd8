from . import heads, losses, tta  # noqa: F401
