"""Whether MMPose is installed: the package registers its modules only then.

``pip install .[deploy]`` gives the deployment runtime alone (numpy, OpenCV,
ONNX Runtime / OpenVINO): there the package ``__init__`` skips the
subpackages that need torch and the OpenMMLab stack; the runtime imports only
:mod:`.deploy` and :mod:`.core`. The test is whether MMPose
can be found, not whether it imports, so an installed but broken MMPose still
fails loudly when the package is imported.
"""
import importlib.util

MMPOSE_INSTALLED = importlib.util.find_spec('mmpose') is not None
