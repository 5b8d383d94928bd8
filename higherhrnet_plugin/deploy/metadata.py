"""What an exported HigherHRNet graph carries besides its weights.

The export writes one JSON entry, ``metadata_props['higherhrnet_plugin']``,
into the ONNX model; the runtime reads it back, so an exported file is all a
deployment needs (no config file). numpy-free and torch-free: the exporter and
the runtime both import this module.
"""
import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, Dict, List, Tuple

METADATA_KEY = 'higherhrnet_plugin'
_FORMAT_VERSION = 1
# the graph's input layout: what cv2.imread gives, stacked
_INPUT_FORMAT = 'NHWC uint8 BGR'
OUTPUT_NAMES = ('heatmaps', 'tags')
# the optional third output (``--nms-in-graph``)
_NMS_OUTPUT = 'nms_heatmaps'
#: what the runtime can run: a graph's own precision (``fp32``, or ``int8``
#: for a graph of ``tools/deployment/quantize.py``), or an fp32 graph
#: executed in bfloat16 by the engine (``bf16``)
PRECISIONS = ('fp32', 'bf16', 'int8')
#: the precisions a graph file itself can have
_GRAPH_PRECISIONS = ('fp32', 'int8')


class DeployError(ValueError):
    """Bad deployment input: the message is one line naming the culprit."""


@dataclass(frozen=True)
class DeployMetadata:
    """Everything decoding an exported graph's outputs needs.

    Attributes:
        num_keypoints (int): K.
        keypoint_names (list[str]): the dataset's names, in channel order.
        flip_indices (list[int]): the dataset's joint permutation under a
            horizontal flip (used inside the graph by the flip test).
        flip_test (bool): the graph holds the flip pass.
        scales (list[float]): the test scale of each graph input (one view
            each, ``input_names`` in the same order); one of them is 1.
        input_names (list[str]): the graph's image inputs, (N, H, W, 3) uint8
            BGR each.
        input_size (int): the base size of the original test resize
            (``get_multi_scale_size``: the short side at scale 1 is this,
            rounded up to 64; at ``min(scales)`` times that scale).
        fixed_input_hw (list[int] | None): (h, w) the graph was exported at
            when it is not dynamic.
        heatmap_levels (str): ``'all'`` or ``'last'`` (see
            :meth:`HigherHRNetHead.aggregate`).
        decode (dict): the decoder's options (``decode_*`` of
            :class:`AssociativeEmbeddingCodec`, without the prefix, the joint
            order resolved).
        nms_in_graph (bool): the graph also outputs :data:`_NMS_OUTPUT`
            (N, K, H, W), ``heatmaps * (max_pool(heatmaps) == heatmaps)``
            with the decoder's ``nms_kernel``, which the runtime's decoder
            takes its peaks from.
        resize (str): the test resize rule (``'original'``:
            ``resize_align_multi_scale`` of the original code).
        input_format (str): ``'NHWC uint8 BGR'``.
        version (int): format version of this record.
        precision (str): the graph's own precision (:data:`_GRAPH_PRECISIONS`):
            ``'fp32'`` as exported, ``'int8'`` when its convolutions were
            quantized (``tools/deployment/quantize.py``).
        calibration_images (int): how many images calibrated the
            quantization (0 for an fp32 graph).
        quantization (dict): how it was quantized (engine, quantized op
            types, excluded nodes, calibration method; empty for fp32).
    """
    num_keypoints: int
    keypoint_names: List[str]
    flip_indices: List[int]
    flip_test: bool
    scales: List[float]
    input_names: List[str]
    input_size: int
    fixed_input_hw: Any
    heatmap_levels: str
    decode: Dict[str, Any]
    nms_in_graph: bool = False
    resize: str = 'original'
    input_format: str = _INPUT_FORMAT
    version: int = _FORMAT_VERSION
    # fields added after version 1 have defaults, so that graphs exported
    # before them stay readable
    precision: str = 'fp32'
    calibration_images: int = 0
    quantization: Dict[str, Any] = field(default_factory=dict)

    @property
    def min_scale(self) -> float:
        return min(self.scales)

    @property
    def output_names(self) -> Tuple[str, ...]:
        """The graph outputs the runtime reads, in this order."""
        return OUTPUT_NAMES + ((_NMS_OUTPUT, ) if self.nms_in_graph else ())

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text, source: str) -> 'DeployMetadata':
        """Parse the record of the model ``source`` (for the error)."""
        if text is None:
            raise DeployError(
                f'{source}: no {METADATA_KEY!r} entry in its metadata_props: '
                'not a graph written by tools/deployment/export_onnx.py')
        try:
            record = json.loads(text)
        except ValueError as e:
            raise DeployError(f'{source}: metadata_props[{METADATA_KEY!r}] is '
                              f'not JSON ({e})')
        if not isinstance(record, dict):
            raise DeployError(f'{source}: metadata_props[{METADATA_KEY!r}] is '
                              'not a JSON object')
        if record.get('version') != _FORMAT_VERSION:
            raise DeployError(
                f'{source}: metadata format version '
                f'{record.get("version")!r}, this runtime reads '
                f'{_FORMAT_VERSION}: export the model again')
        required = {f.name for f in fields(cls) if f.default is MISSING and
                    f.default_factory is MISSING}
        missing = sorted(required - set(record))
        if missing:
            raise DeployError(f'{source}: metadata_props[{METADATA_KEY!r}] '
                              f'lacks {", ".join(missing)}')
        if record.get('precision', 'fp32') not in _GRAPH_PRECISIONS:
            raise DeployError(
                f'{source}: metadata precision {record["precision"]!r} is '
                f'not one of {", ".join(_GRAPH_PRECISIONS)}')
        names = {f.name for f in fields(cls)}
        return cls(**{k: record[k] for k in names if k in record})
