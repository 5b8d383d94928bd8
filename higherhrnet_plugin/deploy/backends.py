"""The inference engines that run an exported graph: ONNX Runtime and
OpenVINO, behind one small interface (imported only when used).

Each runs a graph in its own precision (fp32, or int8 for a quantized
graph: the quantized convolutions in int8, the rest in fp32), or, with
``precision='bf16'``, the network of an fp32 graph in bfloat16 where the
engine and the CPU can: OpenVINO's ``INFERENCE_PRECISION_HINT`` on a CPU
whose ``OPTIMIZATION_CAPABILITIES`` list ``BF16``, the tail after the
convolutions in float32 (:mod:`.graph_split`). ONNX Runtime has no bf16
execution on x86 CPUs (its bf16 fast math is for Arm64 matrix products).
"""
import importlib
import importlib.util
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from .graph_split import SplitRequest
from .metadata import METADATA_KEY, OUTPUT_NAMES, PRECISIONS, DeployError

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
        precision (str): ``'fp32'`` or ``'int8'`` (the graph as it is);
            ``'bf16'`` is refused in one line.
    """

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: str = 'fp32'):
        ort = _engine('onnxruntime')
        if precision == 'bf16':
            raise DeployError(
                f"precision: 'bf16' is not available with ONNX Runtime "
                f'{ort.__version__} on CPU (no bf16 convolutions): use '
                "backend 'openvino'")
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


def openvino_capabilities(core) -> List[str]:
    """The CPU plugin's ``OPTIMIZATION_CAPABILITIES`` (e.g. ``FP32``,
    ``INT8``, and ``BF16`` where the CPU executes bfloat16)."""
    return [str(c) for c in core.get_property('CPU',
                                              'OPTIMIZATION_CAPABILITIES')]


def openvino_config(precision: str, threads: Optional[int],
                    capabilities: Sequence[str]) -> Dict[str, object]:
    """The compile options of ``precision`` (one of
    :data:`~.metadata.PRECISIONS`) on a CPU with ``capabilities``
    (:func:`openvino_capabilities`).

    ``fp32`` and ``int8`` pin float32 for every layer that is not quantized
    (OpenVINO's default on a bf16 CPU is bf16); ``bf16`` asks for bfloat16,
    and is refused in one line where the CPU cannot execute it.
    """
    if precision == 'bf16' and 'BF16' not in capabilities:
        raise DeployError(
            "precision: 'bf16' needs a CPU with bf16 execution "
            '(AVX512-BF16 or AMX); OpenVINO lists only '
            f'{", ".join(capabilities)} here: use fp32 or int8')
    config: Dict[str, object] = {
        'INFERENCE_PRECISION_HINT': 'bf16' if precision == 'bf16' else 'f32'}
    if threads:
        config['INFERENCE_NUM_THREADS'] = int(threads)
    return config


class _CompiledRequest:
    """One compiled OpenVINO model run as the graph."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.input_names = [i.get_any_name() for i in compiled.inputs]
        self._request = compiled.create_infer_request()

    def __call__(self, feeds: Dict[str, np.ndarray],
                 names: Sequence[str]) -> List[np.ndarray]:
        results = self._request.infer(feeds)
        return [np.asarray(results[self.compiled.output(name)])
                for name in names]


class OpenVINOBackend:
    """An OpenVINO CPU model.

    Float32 inference (``INFERENCE_PRECISION_HINT``) keeps the outputs
    comparable with ONNX Runtime and PyTorch on CPUs where OpenVINO would
    otherwise choose bfloat16. With ``bf16`` the network runs in bfloat16
    and the tail after its convolutions (flip-back, aggregation) in float32
    (:mod:`.graph_split`).

    Args:
        path (str): the ONNX file (read by OpenVINO's ONNX frontend).
        threads (int, optional): inference threads (default: OpenVINO's).
        precision (str): ``'fp32'``, ``'int8'`` (the graph as it is, the
            layers that are not quantized in float32) or ``'bf16'``
            (:func:`openvino_config`).
    """

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: str = 'fp32'):
        ov = _engine('openvino')
        core = ov.Core()
        config = openvino_config(precision, threads,
                                 openvino_capabilities(core))
        _check_file(path)
        try:
            model = core.read_model(path)
        except Exception as e:  # OpenVINO raises RuntimeError subclasses
            raise DeployError(f'{path}: OpenVINO {ov.__version__} cannot read '
                              f'it: {_first_line(e)}')
        key = ['framework', METADATA_KEY]
        self.metadata = model.get_rt_info(key).astype(str) \
            if model.has_rt_info(key) else None
        try:
            if precision == 'bf16':
                self.request = SplitRequest(
                    core, lambda: core.read_model(path), config,
                    dict(config, INFERENCE_PRECISION_HINT='f32'))
            else:
                self.request = _CompiledRequest(
                    core.compile_model(model, 'CPU', config))
        except DeployError:
            raise
        except Exception as e:
            raise DeployError(f'{path}: OpenVINO {ov.__version__} cannot '
                              f'compile it: {_first_line(e)}')
        self.input_names = self.request.input_names

    def __call__(self, feeds: Dict[str, np.ndarray],
                 names: Sequence[str] = OUTPUT_NAMES) -> List[np.ndarray]:
        """The outputs ``names`` of the graph on ``feeds``."""
        return self.request(feeds, names)


def load_backend(path: str, backend: str = 'onnxruntime',
                 threads: Optional[int] = None, precision: str = 'fp32'):
    """The engine ``backend`` running the ONNX file ``path`` in
    ``precision`` (:data:`~.metadata.PRECISIONS`)."""
    if precision not in PRECISIONS:
        raise DeployError(f'precision: {precision!r} is not one of '
                          f'{", ".join(PRECISIONS)}')
    if backend == 'onnxruntime':
        return OnnxRuntimeBackend(path, threads, precision)
    if backend == 'openvino':
        return OpenVINOBackend(path, threads, precision)
    raise DeployError(f'backend: {backend!r} is not one of '
                      f'{", ".join(BACKENDS)}')
