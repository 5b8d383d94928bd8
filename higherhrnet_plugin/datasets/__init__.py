from . import samplers, transforms  # noqa: F401
from . import validated_datasets  # noqa: F401
