"""Bad deployment input gives one line naming the culprit."""
import pytest


def _identity_model(path, opset=17, metadata=None):
    import onnx
    from onnx import TensorProto, helper
    node = helper.make_node('Identity', ['image'], ['heatmaps'])
    graph = helper.make_graph(
        [node], 'g',
        [helper.make_tensor_value_info('image', TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info('heatmaps', TensorProto.FLOAT, [1])])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid('', opset)], ir_version=9)
    if metadata is not None:
        entry = model.metadata_props.add()
        entry.key, entry.value = 'higherhrnet_plugin', metadata
    onnx.save(model, str(path))
    return path


def _one_line(excinfo):
    message = str(excinfo.value)
    assert '\n' not in message, message
    return message


@pytest.mark.parametrize('backend', ['onnxruntime', 'openvino'])
def test_onnx_without_our_metadata(tmp_path, backend):
    from higherhrnet_plugin.deploy import DeployError, OnnxPoseEstimator
    path = _identity_model(tmp_path / 'other.onnx')
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(path), backend)
    assert _one_line(e) == (
        f"{path}: no 'higherhrnet_plugin' entry in its metadata_props: not a "
        'graph written by tools/deployment/export_onnx.py')


def test_metadata_that_is_not_json(tmp_path):
    from higherhrnet_plugin.deploy import DeployError, OnnxPoseEstimator
    path = _identity_model(tmp_path / 'bad.onnx', metadata='{oops')
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(path))
    assert _one_line(e).startswith(
        f"{path}: metadata_props['higherhrnet_plugin'] is not JSON")


def test_opset_the_runtime_lacks(tmp_path):
    import onnxruntime
    from higherhrnet_plugin.deploy import DeployError, OnnxPoseEstimator
    path = _identity_model(tmp_path / 'future.onnx', opset=99)
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(path))
    message = _one_line(e)
    assert message.startswith(
        f'{path}: ONNX Runtime {onnxruntime.__version__} cannot load it: ')
    assert '99' in message, message


def test_missing_file_and_unknown_backend(tmp_path):
    from higherhrnet_plugin.deploy import DeployError, OnnxPoseEstimator
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tmp_path / 'none.onnx'))
    assert _one_line(e) == f'{tmp_path / "none.onnx"}: no such ONNX file'
    with pytest.raises(DeployError) as e:
        OnnxPoseEstimator(str(tmp_path / 'none.onnx'), 'tensorrt')
    assert _one_line(e) == ("backend: 'tensorrt' is not one of onnxruntime, "
                            'openvino')


def test_unreadable_image(tmp_path, tiny_onnx):
    from higherhrnet_plugin.core.errors import InferenceError
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not a JPEG\n' * 10)
    estimator = OnnxPoseEstimator(str(tiny_onnx))
    with pytest.raises(InferenceError) as e:
        estimator(str(broken))
    assert _one_line(e) == (f"image: '{broken}': not a readable image "
                            '(empty, corrupt or unsupported)')
    with pytest.raises(InferenceError) as e:
        estimator(tmp_path / 'none.png')
    assert _one_line(e) == f"image: no such file '{tmp_path / 'none.png'}'"


def test_export_checkpoint_that_does_not_fit_the_config(tmp_path,
                                                        tiny_checkpoint):
    import os
    import subprocess
    import sys

    from repo_paths import REPO, W32_CONFIG
    out = tmp_path / 'w32.onnx'
    proc = subprocess.run(
        [sys.executable, str(REPO / 'tools/deployment/export_onnx.py'),
         str(W32_CONFIG), str(tiny_checkpoint), str(out)],
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''), capture_output=True,
        text=True, timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"checkpoint: '{tiny_checkpoint}' does not fit "
                           f"the config '{W32_CONFIG}'"), proc.stderr
    assert 'Traceback' not in proc.stderr
    assert not out.exists()


def test_export_needs_the_estimator_that_owns_its_views(tmp_path):
    """The graph runs ``FlipBatchBottomupPoseEstimator.forward_views``; an
    MMPose ``BottomupPoseEstimator`` is refused in one line."""
    from mmengine.config import Config
    from mmpose.apis import init_model

    from repo_paths import DEMO_CONFIG
    from higherhrnet_plugin.deploy.export import export_onnx
    from higherhrnet_plugin.deploy.metadata import DeployError
    cfg = Config.fromfile(str(DEMO_CONFIG))
    cfg.model.type = 'BottomupPoseEstimator'
    model = init_model(cfg, None, device='cpu').eval()
    with pytest.raises(DeployError) as excinfo:
        export_onnx(model, str(tmp_path / 'm.onnx'), dynamic=True,
                    shape_hw=(256, 256))
    assert _one_line(excinfo).startswith(
        'model: type must be FlipBatchBottomupPoseEstimator')
