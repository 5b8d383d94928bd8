"""tools/infer.py --backend onnxruntime|openvino: the same people in
results.json as --backend pytorch, and one-line errors for bad input.

The model is the demo config with random weights, its output layers
amplified as in tests/test_deploy (peaks stand apart, so the decoder's
top-k is not decided by float noise)."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from infer_cli import run_infer as _run
from random_models import WEIGHT_GAIN, random_demo_model, save_checkpoint
from repo_paths import DEMO_CONFIG, SHARED_COCO

IMAGES = ('000000000785.jpg', '000000040083.jpg')


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    """An amplified random-weight checkpoint and a folder of two shared
    COCO images."""
    work = tmp_path_factory.mktemp('infer_backends')
    ckpt = save_checkpoint(random_demo_model(weight_gain=WEIGHT_GAIN),
                           work / 'amplified.pth')
    images = work / 'images'
    images.mkdir()
    for name in IMAGES:
        (images / name).symlink_to(SHARED_COCO / name)
    return work, ckpt, images


def _people(out_dir):
    records = json.loads((out_dir / 'results.json').read_text())
    return sorted(records, key=lambda r: (r['image_id'], -r['score']))


def test_onnxruntime_finds_the_people_pytorch_finds(work):
    work, ckpt, images = work
    runs = {}
    for backend in ('pytorch', 'onnxruntime'):
        out = work / backend
        # onnxruntime: no --onnx, DEMO_CONFIG + CKPT exported into OUT_DIR
        proc = _run(images, '--config', DEMO_CONFIG, '--checkpoint', ckpt,
                    '--out-dir', out, '--backend', backend, '--threads', 2,
                    cwd=work)
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in (out / 'vis').iterdir()) == \
            sorted(f'{Path(n).stem}.png' for n in IMAGES)
        runs[backend] = _people(out)
    assert (work / 'onnxruntime' / 'model.onnx').is_file()
    ref, got = runs['pytorch'], runs['onnxruntime']
    assert 0 < len(ref) == len(got) and {r['image_id'] for r in ref} == \
        {int(Path(n).stem) for n in IMAGES}
    for r, g in zip(ref, got):
        assert (r['image_id'], r['file_name']) == \
            (g['image_id'], g['file_name'])
        rk = np.array(r['keypoints']).reshape(-1, 3)
        gk = np.array(g['keypoints']).reshape(-1, 3)
        assert np.abs(rk[:, :2] - gk[:, :2]).max() < 1e-3
        assert np.abs(rk[:, 2] - gk[:, 2]).max() < 1e-5
        assert abs(r['score'] - g['score']) < 1e-5


def test_onnx_without_our_metadata_is_one_line(work):
    work, _, images = work
    onnx_file = work / 'foreign.onnx'
    # a valid graph without our metadata_props entry
    torch.onnx.export(torch.nn.Identity(), torch.zeros(1, 3),
                      str(onnx_file), dynamo=False)
    out = work / 'foreign'
    proc = _run(images, '--config', DEMO_CONFIG, '--onnx', onnx_file,
                '--out-dir', out, '--backend', 'onnxruntime', cwd=work)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines()
             if ln.strip() and 'Warning' not in ln]
    assert len(lines) == 1 and str(onnx_file) in lines[0], proc.stderr
    assert 'metadata_props' in lines[0]
    assert not (out / 'results.json').exists()


def test_tta_exports_the_config_views_or_refuses_one_scale(work):
    import cv2

    from higherhrnet_plugin.deploy import OnnxPoseEstimator
    work, ckpt, _ = work
    images = work / 'small'
    images.mkdir()
    cv2.imwrite(str(images / '1.png'), cv2.resize(
        cv2.imread(str(SHARED_COCO / IMAGES[0])), (96, 64)))
    out = work / 'tta'
    proc = _run(images, '--config', DEMO_CONFIG, '--checkpoint', ckpt,
                '--out-dir', out, '--backend', 'onnxruntime', '--tta',
                cwd=work)
    assert proc.returncode == 0, proc.stderr
    onnx_file = out / 'model.onnx'
    assert OnnxPoseEstimator(str(onnx_file)).metadata.scales == [2, 1, 0.5]
    assert (out / 'results.json').is_file()
    # a one-scale graph cannot run the multi-scale test: one line
    single = work / 'onnxruntime' / 'model.onnx'
    proc = _run(images, '--config', DEMO_CONFIG, '--onnx', single, '--tta',
                '--out-dir', work / 'tta1', '--backend', 'onnxruntime',
                cwd=work)
    lines = [ln for ln in proc.stderr.splitlines()
             if ln.strip() and 'Warning' not in ln]
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert '--tta' in lines[0] and str(single) in lines[0]
