"""An exported graph cut in two for OpenVINO: the network (everything a
convolution depends on: normalisation, the flip batch, backbone and head)
and the tail after it (the flip-back, the aggregation, the optional NMS),
so that the network can run in bfloat16 while the tail stays float32.

Run whole in bf16, the tail's bilinear resizes and averages round the
aggregated heatmaps to 8 mantissa bits: neighbouring pixels tie, the
max-pool NMS keeps both, and the decoder finds extra people (measured in
docs/deployment.md). Cut, the network's outputs are rounded to bf16 but the
maps the decoder reads are interpolated in float32, as with int8, whose
quantized convolutions feed a float32 tail too.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .metadata import DeployError

#: the op types that make the network (OpenVINO's names)
_CONVOLUTIONS = ('Convolution', 'ConvolutionBackpropData', 'GroupConvolution')


def _network_ops(model) -> set:
    """The friendly names of the ops of an OpenVINO model that are
    convolutions or that a convolution depends on."""
    upstream = set()
    for op in reversed(model.get_ordered_ops()):
        consumers = [t.get_node().get_friendly_name() for out in op.outputs()
                     for t in out.get_target_inputs()]
        if op.get_type_name() in _CONVOLUTIONS or \
                any(c in upstream for c in consumers):
            upstream.add(op.get_friendly_name())
    return upstream


def _cut_points(model, network: set) -> List[Tuple[str, int]]:
    """(op name, output index) of every network tensor the tail reads
    (parameters excepted: the tail takes the graph inputs itself)."""
    cuts = []
    for op in model.get_ordered_ops():
        if op.get_friendly_name() not in network or \
                op.get_type_name() in ('Parameter', 'Constant'):
            continue
        for out in op.outputs():
            if any(t.get_node().get_friendly_name() not in network
                   for t in out.get_target_inputs()):
                cuts.append((op.get_friendly_name(), out.get_index()))
    return cuts


def _split_model(read_model) -> Tuple[object, object, int]:
    """The network and the tail of the model ``read_model()`` gives (called
    twice: each part is built from its own copy).

    Returns:
        tuple: the network model (the graph inputs -> the cut tensors), the
        tail model (the cut tensors, then the graph inputs -> the graph
        outputs) and the number of cut tensors.
    """
    import openvino as ov
    whole = read_model()
    network = _network_ops(whole)
    cuts = _cut_points(whole, network)
    if not cuts:
        raise DeployError('model: no float32 tail after the convolutions to '
                          'keep out of bf16')
    ops = {op.get_friendly_name(): op for op in whole.get_ordered_ops()}
    net = ov.Model([ops[name].output(i) for name, i in cuts],
                   list(whole.get_parameters()), 'network')
    tail_src = read_model()
    ops = {op.get_friendly_name(): op for op in tail_src.get_ordered_ops()}
    params = []
    for name, i in cuts:
        out = ops[name].output(i)
        param = ov.opset13.parameter(out.get_partial_shape(),
                                     out.get_element_type())
        for target in list(out.get_target_inputs()):
            if target.get_node().get_friendly_name() not in network:
                target.replace_source_output(param.output(0))
        params.append(param)
    tail = ov.Model(tail_src.get_results(),
                    params + list(tail_src.get_parameters()), 'tail')
    return net, tail, len(cuts)


class SplitRequest:
    """The network compiled in one precision and the tail in float32, run
    one after the other as one graph.

    Args:
        core: an ``openvino.Core``.
        read_model (callable): gives a fresh copy of the model.
        network_config (dict): the network's compile options.
        tail_config (dict): the tail's (float32) compile options.
    """

    def __init__(self, core, read_model, network_config: Dict,
                 tail_config: Dict):
        net, tail, self.num_cuts = _split_model(read_model)
        self.network = core.compile_model(net, 'CPU', network_config)
        self.tail = core.compile_model(tail, 'CPU', tail_config)
        self.input_names = [i.get_any_name() for i in self.network.inputs]
        self._net = self.network.create_infer_request()
        self._tail = self.tail.create_infer_request()

    def __call__(self, feeds: Dict[str, np.ndarray],
                 names: Sequence[str]) -> List[np.ndarray]:
        """The graph outputs ``names`` on ``feeds``."""
        cut = self._net.infer(feeds)
        tail_feeds = {self.tail.inputs[i]: cut[self.network.output(i)]
                      for i in range(self.num_cuts)}
        for port in self.tail.inputs[self.num_cuts:]:
            tail_feeds[port] = feeds[port.get_any_name()]
        results = self._tail.infer(tail_feeds)
        return [np.asarray(results[self.tail.output(name)])
                for name in names]
