"""HigherHRNet for MMPose 1.x.

Importing the package registers its modules into MMPose's registries (scope
``mmpose``), which is what ``custom_imports`` in the configs relies on.
"""
from . import codecs, datasets, engine, models, visualization  # noqa: F401
from .version import __version__

__all__ = ['__version__']
