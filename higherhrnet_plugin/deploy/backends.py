"""The inference engines that run an exported graph: ONNX Runtime and
OpenVINO, behind one small interface (imported only when used)."""
import importlib
import importlib.util
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from .metadata import METADATA_KEY, OUTPUT_NAMES, DeployError

BACKENDS = ('onnxruntime', 'openvino')


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


def _engine(module: str):
    """Import an engine, or a one-line error saying how to install it."""
    if importlib.util.find_spec(module) is None:
        raise DeployError(f'backend: {module} is not installed '
                          "(pip install 'higherhrnet_plugin[deploy]')")
    return importlib.import_module(module)


def _check_file(path: str) -> None:
    if not os.path.isfile(path):
        raise DeployError(f'{path}: no such ONNX file')


class OnnxRuntimeBackend:
    """An ONNX Runtime CPU session.

    Args:
        path (str): the ONNX file.
        threads (int, optional): intra-op threads (default: ONNX Runtime's
            choice, one per physical core).
    """

    def __init__(self, path: str, threads: Optional[int] = None):
        ort = _engine('onnxruntime')
        _check_file(path)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        options.log_severity_level = 3  # errors only; we raise them ourselves
        try:
            self.session = ort.InferenceSession(
                path, options, providers=['CPUExecutionProvider'])
        except Exception as e:  # ORT raises its own exception types
            raise DeployError(
                f'{path}: ONNX Runtime {ort.__version__} cannot load it: '
                f'{_first_line(e)}')
        self.metadata = self.session.get_modelmeta().custom_metadata_map.get(
            METADATA_KEY)
        self.input_names = [i.name for i in self.session.get_inputs()]

    def __call__(self, feeds: Dict[str, np.ndarray],
                 names: Sequence[str] = OUTPUT_NAMES) -> List[np.ndarray]:
        """The outputs ``names`` of the graph on ``feeds``."""
        return self.session.run(list(names), feeds)


class OpenVINOBackend:
    """An OpenVINO CPU model, compiled in float32.

    Float32 inference (``INFERENCE_PRECISION_HINT``) keeps the outputs
    comparable with ONNX Runtime and PyTorch on CPUs where OpenVINO would
    otherwise choose bfloat16.

    Args:
        path (str): the ONNX file (read by OpenVINO's ONNX frontend).
        threads (int, optional): inference threads (default: OpenVINO's).
    """

    def __init__(self, path: str, threads: Optional[int] = None):
        ov = _engine('openvino')
        _check_file(path)
        core = ov.Core()
        try:
            model = core.read_model(path)
        except Exception as e:  # OpenVINO raises RuntimeError subclasses
            raise DeployError(f'{path}: OpenVINO {ov.__version__} cannot read '
                              f'it: {_first_line(e)}')
        key = ['framework', METADATA_KEY]
        self.metadata = model.get_rt_info(key).astype(str) \
            if model.has_rt_info(key) else None
        config = {'INFERENCE_PRECISION_HINT': 'f32'}
        if threads:
            config['INFERENCE_NUM_THREADS'] = int(threads)
        try:
            self.compiled = core.compile_model(model, 'CPU', config)
        except Exception as e:
            raise DeployError(f'{path}: OpenVINO {ov.__version__} cannot '
                              f'compile it: {_first_line(e)}')
        self.input_names = [i.get_any_name() for i in self.compiled.inputs]
        self.request = self.compiled.create_infer_request()

    def __call__(self, feeds: Dict[str, np.ndarray],
                 names: Sequence[str] = OUTPUT_NAMES) -> List[np.ndarray]:
        """The outputs ``names`` of the graph on ``feeds``."""
        results = self.request.infer(feeds)
        return [np.asarray(results[self.compiled.output(name)])
                for name in names]


def load_backend(path: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None):
    """The engine ``backend`` running the ONNX file ``path``."""
    if backend == 'onnxruntime':
        return OnnxRuntimeBackend(path, threads)
    if backend == 'openvino':
        return OpenVINOBackend(path, threads)
    raise DeployError(f'backend: {backend!r} is not one of '
                      f'{", ".join(BACKENDS)}')
