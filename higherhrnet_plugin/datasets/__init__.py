from ..stack import MMPOSE_INSTALLED

if MMPOSE_INSTALLED:  # the runtime needs transforms.resize_geometry alone
    from . import samplers, transforms  # noqa: F401
    from . import validated_datasets  # noqa: F401
