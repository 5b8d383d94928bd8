"""HigherHRNet for MMPose 1.x.

Importing the package registers its modules into MMPose's registries (scope
``mmpose``), which is what ``custom_imports`` in the configs relies on. Without
MMPose (``pip install .[deploy]``) only the torch-free deployment runtime,
``higherhrnet_plugin.deploy``, is there (see :mod:`.stack`).
"""
from .stack import MMPOSE_INSTALLED

if MMPOSE_INSTALLED:
    from . import codecs, datasets, engine, models, visualization  # noqa: F401
from .version import __version__

__all__ = ['__version__']
