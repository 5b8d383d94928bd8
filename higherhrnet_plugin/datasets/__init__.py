from . import samplers, transforms, validated_datasets  # noqa: F401
