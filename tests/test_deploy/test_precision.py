"""Precision of the runtime: the metadata round trip, the int8 graph of
the quantizer, and one-line refusals of what the graph, the engine or the
CPU cannot run. The bf16 decision is tested with the CPU's capabilities
injected; the real bf16 path only where the CPU has bf16 execution."""
import json

import cv2
import numpy as np
import pytest

from repo_paths import SHARED_COCO

IMAGES = sorted(SHARED_COCO.glob('*.jpg'))


def _one_line(excinfo):
    message = str(excinfo.value)
    assert '\n' not in message, message
    return message


def _outputs(onnx_file, backend, precision, image=IMAGES[0]):
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    estimator = OnnxPoseEstimator(str(onnx_file), backend, 2, precision)
    return estimator.run(estimator.prepare(cv2.imread(str(image)))[0])


def test_metadata_round_trip_and_graphs_exported_before_precision():
    from higherhrnet_plugin.deploy import DeployError, DeployMetadata
    meta = DeployMetadata(
        num_keypoints=1, keypoint_names=['a'], flip_indices=[0],
        flip_test=True, scales=[1.0], input_names=['image'],
        input_size=512, fixed_input_hw=None, heatmap_levels='all',
        decode={}, precision='int8', calibration_images=7,
        quantization={'op_types': ['Conv']})
    assert DeployMetadata.from_json(meta.to_json(), 'm.onnx') == meta
    # a record written before the precision fields: fp32, no calibration
    old = json.loads(meta.to_json())
    for key in ('precision', 'calibration_images', 'quantization'):
        del old[key]
    read = DeployMetadata.from_json(json.dumps(old), 'old.onnx')
    assert (read.precision, read.calibration_images, read.quantization) == \
        ('fp32', 0, {})
    with pytest.raises(DeployError) as e:
        DeployMetadata.from_json(json.dumps(dict(old, precision='fp8')),
                                 'x.onnx')
    assert _one_line(e) == ("x.onnx: metadata precision 'fp8' is not one of "
                            'fp32, int8')


@pytest.mark.parametrize('capabilities, precision, hint', [
    (['FP32', 'INT8', 'BF16'], 'bf16', 'bf16'),
    (['FP32', 'INT8', 'BF16'], 'fp32', 'f32'),
    (['FP32', 'INT8', 'BF16'], 'int8', 'f32'),
    (['FP32', 'INT8'], 'fp32', 'f32'),
])
def test_openvino_precision_hint(capabilities, precision, hint):
    from higherhrnet_plugin.deploy.backends import openvino_config
    assert openvino_config(precision, 2, capabilities) == {
        'INFERENCE_PRECISION_HINT': hint, 'INFERENCE_NUM_THREADS': 2}


def test_bf16_refused_in_one_line_where_it_cannot_run(tiny_onnx,
                                                      monkeypatch):
    from higherhrnet_plugin.deploy import DeployError, OnnxPoseEstimator
    from higherhrnet_plugin.deploy import backends
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tiny_onnx), 'onnxruntime', precision='bf16')
    message = _one_line(e)
    assert message.startswith("precision: 'bf16' is not available with "
                              'ONNX Runtime') and "'openvino'" in message
    # a CPU without bf16 execution, whatever this one has
    monkeypatch.setattr(backends, 'openvino_capabilities',
                        lambda core: ['FP32', 'INT8'])
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tiny_onnx), 'openvino', precision='bf16')
    assert _one_line(e) == (
        "precision: 'bf16' needs a CPU with bf16 execution (AVX512-BF16 or "
        'AMX); OpenVINO lists only FP32, INT8 here: use fp32 or int8')
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tiny_onnx), precision='fp16')
    assert _one_line(e) == ("precision: 'fp16' is not one of fp32, bf16, "
                            'int8')


def test_real_bf16_where_the_cpu_has_it(tiny_onnx):
    import openvino as ov

    from higherhrnet_plugin.deploy.backends import openvino_capabilities
    if 'BF16' not in openvino_capabilities(ov.Core()):
        pytest.skip('this CPU has no bf16 execution (OpenVINO '
                    'OPTIMIZATION_CAPABILITIES lacks BF16)')
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    estimator = OnnxPoseEstimator(str(tiny_onnx), 'openvino', 2, 'bf16')
    # the convolutions in bf16, the flip-back and aggregation in f32
    request = estimator.engine.request
    layers = {part: {(op.get_rt_info()['layerType'].astype(str),
                      op.get_rt_info()['runtimePrecision'].astype(str))
                     for op in compiled.get_runtime_model().get_ops()}
              for part, compiled in (('network', request.network),
                                     ('tail', request.tail))}
    assert ('Convolution', 'bf16') in layers['network']
    assert ('Interpolate', 'f32') in layers['tail']
    assert not {p for _, p in layers['tail']} & {'bf16'}, layers['tail']
    fp32 = _outputs(tiny_onnx, 'openvino', 'fp32')
    bf16 = _outputs(tiny_onnx, 'openvino', 'bf16')
    for a, b in zip(fp32, bf16):
        assert a.shape == b.shape and np.isfinite(b).all()
        # bf16 keeps 8 mantissa bits: close, not equal
        assert np.abs(a - b).max() < 0.1 * np.abs(a).max()


def test_quantized_graph_metadata_and_ops(tiny_onnx, tiny_int8):
    import onnx

    from higherhrnet_plugin.deploy.quantization import QUANTIZED_OPS
    fp32, model = onnx.load(str(tiny_onnx)), onnx.load(str(tiny_int8))
    entries = {p.key: p.value for p in model.metadata_props}
    record = json.loads(entries['higherhrnet_plugin'])
    assert (record['precision'], record['calibration_images']) == ('int8', 3)
    assert record['quantization']['op_types'] == list(QUANTIZED_OPS)
    # float ops stay float ops (no QLinear* kernels): the normalisation,
    # flip-back and aggregation compute in float32
    ops = {n.op_type for n in model.graph.node}
    assert ops <= {n.op_type for n in fp32.graph.node} | {
        'QuantizeLinear', 'DequantizeLinear'}
    # and only the convolutions have int8 weights
    weights = {t.name for t in model.graph.initializer}
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node.op_type)
    weight_readers = {op for n in model.graph.node
                      if n.op_type == 'DequantizeLinear' and
                      n.input[0] in weights
                      for op in consumers[n.output[0]]}
    assert weight_readers == set(QUANTIZED_OPS)
    assert sum(n.op_type in QUANTIZED_OPS for n in model.graph.node) == \
        sum(n.op_type in QUANTIZED_OPS for n in fp32.graph.node)


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_int8_graph_runs_close_to_fp32(tiny_onnx, tiny_int8, backend):
    fp32 = _outputs(tiny_onnx, backend, 'fp32')
    int8 = _outputs(tiny_int8, backend, 'int8')
    for a, b in zip(fp32, int8):
        assert a.shape == b.shape and np.isfinite(b).all()
        assert 0 < np.abs(a - b).max() < 0.3 * np.abs(a).max()


def test_precision_of_the_graph_is_checked(tiny_onnx, tiny_int8):
    from higherhrnet_plugin.deploy import DeployError, OnnxPoseEstimator
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tiny_int8))
    assert _one_line(e) == (f'{tiny_int8}: an int8 graph (quantized from 3 '
                            "calibration images), not fp32: run it with "
                            "precision 'int8'")
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tiny_onnx), precision='int8')
    assert _one_line(e) == (f"{tiny_onnx}: an fp32 graph; precision 'int8' "
                            'runs a graph quantized by '
                            'tools/deployment/quantize.py')


def test_quantizing_an_int8_graph_is_refused(tmp_path, tiny_int8):
    from higherhrnet_plugin.deploy import DeployError
    from higherhrnet_plugin.deploy.quantization import quantize_graph
    with pytest.raises(DeployError) as e:
        quantize_graph(str(tiny_int8), str(tmp_path / 'again.onnx'),
                       [str(IMAGES[0])])
    assert _one_line(e) == (f'{tiny_int8}: already int8 (quantize the fp32 '
                            'graph of export_onnx.py)')
    assert not (tmp_path / 'again.onnx').exists()
