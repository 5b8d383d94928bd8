"""The runtime needs neither torch nor the OpenMMLab stack, and the package
still registers everything (and fails loudly) where the stack is there.

A ``sitecustomize`` on PYTHONPATH puts ``None`` into ``sys.modules`` for each
blocked package: ``import torch`` then raises ModuleNotFoundError and
``importlib.util.find_spec('torch')`` returns None, as when it is not
installed."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from repo_paths import REPO, SHARED_COCO

BLOCKED = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmpose', 'mmdet')


def _python(code, tmp_path, blocked=BLOCKED):
    """Run ``code`` in a fresh interpreter where ``blocked`` are not
    installed."""
    site = tmp_path / 'site'
    site.mkdir(exist_ok=True)
    (site / 'sitecustomize.py').write_text(textwrap.dedent(f"""
        import sys
        for name in {tuple(blocked)!r}:
            sys.modules[name] = None  # as if not installed
        """))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO)]),
               CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable, '-c', code], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True,
                          timeout=300)


def test_runtime_runs_without_torch_and_openmmlab(tmp_path, tiny_onnx):
    image = SHARED_COCO / '000000000785.jpg'
    code = textwrap.dedent(f"""
        import json, sys
        for name in {BLOCKED!r}:
            try:
                __import__(name)
            except ModuleNotFoundError:
                pass
            else:
                sys.exit(f'{{name}} was importable')
        import higherhrnet_plugin.deploy
        from higherhrnet_plugin.deploy import OnnxPoseEstimator
        out = {{}}
        for backend in ('onnxruntime', 'openvino'):
            p = OnnxPoseEstimator({str(tiny_onnx)!r}, backend)({str(image)!r})
            out[backend] = [p.keypoints.tolist(), p.keypoint_scores.tolist(),
                            p.instance_scores.tolist()]
        loaded = sorted(m.split('.')[0] for m in sys.modules
                        if sys.modules[m] is not None)
        out['blocked_loaded'] = [m for m in {BLOCKED!r} if m in loaded]
        print(json.dumps(out))
        """)
    proc = _python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['blocked_loaded'] == []

    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    for backend in ('onnxruntime', 'openvino'):
        ref = OnnxPoseEstimator(str(tiny_onnx), backend)(str(image))
        keypoints, scores, instance_scores = map(np.asarray, out[backend])
        assert len(ref.keypoints) > 0
        np.testing.assert_array_equal(keypoints.reshape(ref.keypoints.shape),
                                      ref.keypoints)
        np.testing.assert_array_equal(
            scores.reshape(ref.keypoint_scores.shape), ref.keypoint_scores)
        np.testing.assert_array_equal(instance_scores, ref.instance_scores)


def test_full_stack_still_registers_everything(tmp_path):
    code = textwrap.dedent("""
        import higherhrnet_plugin
        from mmpose.registry import KEYPOINT_CODECS, MODELS, TRANSFORMS
        assert MODELS.get('HigherHRNetHead') is not None
        assert MODELS.get('HeatmapAggregationTTA') is not None
        assert KEYPOINT_CODECS.get('AssociativeEmbeddingCodec') is not None
        assert TRANSFORMS.get('BottomupOriginalResize') is not None
        print('ok')
        """)
    proc = _python(code, tmp_path, blocked=())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == 'ok'


def test_broken_mmpose_fails_loudly(tmp_path):
    """MMPose installed but broken (its mmcv missing): importing the package
    fails with that error instead of silently registering nothing."""
    proc = _python('import higherhrnet_plugin', tmp_path, blocked=('mmcv', ))
    assert proc.returncode != 0
    assert "ModuleNotFoundError: import of mmcv halted" in proc.stderr \
        or "No module named 'mmcv'" in proc.stderr, proc.stderr
