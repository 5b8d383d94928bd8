"""tools/deployment/quantize.py: a tiny graph quantized on two images, and
one-line errors for bad input."""
import os
import subprocess
import sys

from repo_paths import REPO, SHARED_COCO

TOOL = REPO / 'tools' / 'deployment' / 'quantize.py'


def _run(*args, cwd):
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)], cwd=str(cwd),
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''), capture_output=True,
        text=True, timeout=300)


def _error_line(proc):
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines()
             if ln.strip() and not ln.startswith('usage')
             and not ln.startswith(' ')]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_quantize_writes_an_int8_graph(tmp_path, tiny_onnx):
    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    out = tmp_path / 'int8.onnx'
    proc = _run(tiny_onnx, out, '--calib-images', SHARED_COCO, '--num', 2,
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == (
        f'quantize: wrote {out} (int8 Conv, ConvTranspose, 2 calibration '
        'images, 0 node(s) kept in float32)')
    meta = OnnxPoseEstimator(str(out), precision='int8').metadata
    assert (meta.precision, meta.calibration_images) == ('int8', 2)


def test_bad_input_is_one_line(tmp_path, tiny_onnx):
    (tmp_path / 'empty').mkdir()
    out = tmp_path / 'int8.onnx'
    line = _error_line(_run(tiny_onnx, out, '--calib-images',
                            tmp_path / 'empty', cwd=tmp_path))
    assert line.startswith('--calib-images: no image files'), line
    line = _error_line(_run(tmp_path / 'none.onnx', out, '--calib-images',
                            SHARED_COCO, cwd=tmp_path))
    assert line.endswith(f"model: no such file '{tmp_path / 'none.onnx'}'")
    line = _error_line(_run(tiny_onnx, out, '--calib-images', SHARED_COCO,
                            '--num', 0, cwd=tmp_path))
    assert line.endswith('--num: must be >= 1, got 0'), line
    assert not out.exists()
