"""tools/infer.py --precision: an int8 graph runs with --precision int8, and
a precision the graph or the backend cannot run is one line."""
import json

import cv2
import pytest
import torch
from infer_cli import INFER
from infer_cli import run_infer as _run
from repo_paths import DEMO_CONFIG, SHARED_COCO


def _error_line(proc):
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines()
             if ln.strip() and 'Warning' not in ln
             and not ln.startswith(('usage', ' '))]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope='module')
def graphs(tmp_path_factory):
    """The demo architecture (random weights) exported, its int8 copy
    calibrated on two shared COCO images, and a small image folder."""
    from mmpose.apis import init_model

    from higherhrnet_plugin.deploy.export import export_onnx
    from higherhrnet_plugin.deploy.quantization import quantize_graph
    work = tmp_path_factory.mktemp('infer_precision')
    torch.manual_seed(0)
    model = init_model(str(DEMO_CONFIG), None, device='cpu').eval()
    fp32, int8 = work / 'fp32.onnx', work / 'int8.onnx'
    export_onnx(model, str(fp32), dynamic=True, input_size=256)
    calib = sorted(str(p) for p in SHARED_COCO.glob('*.jpg'))[:2]
    quantize_graph(str(fp32), str(int8), calib)
    images = work / 'images'
    images.mkdir()
    cv2.imwrite(str(images / '1.png'),
                cv2.resize(cv2.imread(calib[0]), (128, 96)))
    return work, fp32, int8, images


def test_int8_graph_runs_with_precision_int8(graphs):
    work, _, int8, images = graphs
    out = work / 'int8_out'
    proc = _run(images, '--config', DEMO_CONFIG, '--onnx', int8, '--backend',
                'onnxruntime', '--precision', 'int8', '--out-dir', out,
                cwd=work)
    assert proc.returncode == 0, proc.stderr
    records = json.loads((out / 'results.json').read_text())
    assert all(len(r['keypoints']) == 17 * 3 for r in records)
    assert (out / 'vis' / '1.png').is_file()


@pytest.mark.parametrize('args, message', [
    (['--backend', 'onnxruntime', '--precision', 'int8', '--checkpoint',
      'x.pth'], '--precision int8: needs --onnx'),
    (['--precision', 'bf16', '--checkpoint', 'x.pth'],
     '--precision: needs --backend onnxruntime or openvino'),
])
def test_bad_precision_options_are_one_line(args, message, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location('infer_tool', INFER)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit):
        tool.parse_args(['img.jpg', '--config', str(DEMO_CONFIG), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert f'error: {message}' in lines[-1], lines


def test_a_graph_run_at_another_precision_is_one_line(graphs):
    """The graph's metadata says int8: fp32 is refused (the other
    mismatches are tests/test_deploy/test_precision.py's)."""
    work, _, int8, images = graphs
    out = work / 'int8_as_fp32'
    proc = _run(images, '--config', DEMO_CONFIG, '--onnx', int8, '--backend',
                'openvino', '--out-dir', out, cwd=work)
    assert _error_line(proc) == (
        f'{int8}: an int8 graph (quantized from 2 calibration images), not '
        "fp32: run it with precision 'int8'"), proc.stderr
    assert not (out / 'results.json').exists()
