"""tools/analysis/eval_backends.py: the same people, results and COCO AP
through the pytorch, onnxruntime and openvino backends on a tiny synthetic
val split (the tiny amplified model of conftest)."""
import json
import os
import subprocess
import sys

import numpy as np

from repo_paths import DEMO_CONFIG, REPO

TOOL = REPO / 'tools' / 'analysis' / 'eval_backends.py'
BACKENDS = ('pytorch', 'onnxruntime', 'openvino')


def _run(*args, cwd):
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, args)], cwd=str(cwd),
        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''), capture_output=True,
        text=True, timeout=600)


def test_ap_and_results_equal_across_backends(tmp_path, tiny_checkpoint):
    from higherhrnet_plugin.synthetic_coco import \
        make_synthetic_coco
    data = tmp_path / 'syn'
    # two 256x256 val images: decoding the amplified model's dense maps is
    # the slow part
    make_synthetic_coco(str(data), num_train=1, num_val=2,
                        image_size=(256, 256))
    out = tmp_path / 'out'
    # the amplified random model finds hundreds of people an image, each
    # adding decoder decisions that float noise between backends can flip
    # (test_equivalence.py names them); the first 30 people an image (a cap
    # that departs from the original) keep those decisions few
    config = tmp_path / 'capped.py'
    config.write_text(f"_base_ = ['{DEMO_CONFIG}']\n"
                      'model = dict(head=dict(decoder=dict('
                      'decode_max_instances=30)))\n')
    proc = _run(config, tiny_checkpoint, '--data-root', data,
                '--out-dir', out, '--threads', 2, '--json',
                tmp_path / 'ap.json', cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / 'ap.json').read_text())
    assert result['num_images'] == 2
    assert list(result['metrics']) == list(BACKENDS)
    ref = result['metrics']['pytorch']
    assert 'coco/AP' in ref and 0 <= ref['coco/AP'] <= 1
    for name in BACKENDS[1:]:
        assert result['metrics'][name] == ref, name
        assert result['vs_first'][name]['same'], result['vs_first'][name]
    # the results files: one record per person, in the same order
    records = {n: json.loads((out / f'{n}.keypoints.json').read_text())
               for n in BACKENDS}
    assert len(records['pytorch']) > 10, 'too few people to compare'
    for name in BACKENDS[1:]:
        assert len(records[name]) == len(records['pytorch']), name
        for a, b in zip(records['pytorch'], records[name]):
            assert a['image_id'] == b['image_id']
            kpts_a, kpts_b = (np.reshape(r['keypoints'], (-1, 3))
                              for r in (a, b))
            assert np.abs(kpts_a[:, :2] - kpts_b[:, :2]).max() < 1e-3
            assert np.abs(kpts_a[:, 2] - kpts_b[:, 2]).max() < 1e-5
            assert abs(a['score'] - b['score']) < 1e-5
    table = proc.stdout
    assert '| backend | AP | AP .5 | AP (M) | AP (L) |' in table
    assert all(f'| {n} | ' in table for n in BACKENDS)


def test_bad_data_root_is_one_line(tmp_path, tiny_checkpoint):
    (tmp_path / 'empty').mkdir()
    proc = _run(DEMO_CONFIG, tiny_checkpoint, '--data-root',
                tmp_path / 'empty', '--out-dir', tmp_path / 'out',
                cwd=tmp_path)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith('--data-root: no annotation file'), \
        proc.stderr
    assert 'Traceback' not in proc.stderr


def test_precisions_rows_and_people_agreement(tmp_path, tiny_checkpoint,
                                              tiny_onnx, tiny_int8):
    """--precision runs each ONNX backend at each precision (a bf16 run the
    CPU cannot do is skipped with its reason), against the first backend:
    fp32 the same people, the others paired (agreement), also on
    --agreement-images."""
    from higherhrnet_plugin.synthetic_coco import make_synthetic_coco
    from repo_paths import SHARED_COCO
    data = tmp_path / 'syn'
    make_synthetic_coco(str(data), num_train=1, num_val=1,
                        image_size=(256, 256))
    config = tmp_path / 'capped.py'
    config.write_text(f"_base_ = ['{DEMO_CONFIG}']\n"
                      'model = dict(head=dict(decoder=dict('
                      'decode_max_instances=30)))\n')
    extra = tmp_path / 'extra'
    extra.mkdir()
    (extra / '000000000785.jpg').symlink_to(SHARED_COCO / '000000000785.jpg')
    proc = _run(config, tiny_checkpoint, '--data-root', data, '--out-dir',
                tmp_path / 'out', '--backends', 'onnxruntime', 'openvino',
                '--onnx', tiny_onnx, '--int8-onnx', tiny_int8,
                '--precision', 'fp32', 'bf16', 'int8', '--agreement-images',
                extra, '--threads', 2, '--json', tmp_path / 'ap.json',
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / 'ap.json').read_text())
    ran = set(result['metrics'])
    assert {'onnxruntime', 'onnxruntime-int8', 'openvino',
            'openvino-int8'} <= ran
    assert 'onnxruntime-bf16' in result['skipped']
    assert ('openvino-bf16' in ran) != ('openvino-bf16' in result['skipped'])
    assert result['vs_first']['openvino']['same']
    assert result['precisions']['openvino-int8'] == 'int8'
    for split in ('val', 'extra'):
        agreement = result['agreement'][split]['onnxruntime-int8']
        assert agreement['images'] == 1
        assert agreement['max'] is None or \
            0 <= agreement['median'] <= agreement['max']
    assert 'onnxruntime-bf16: skipped: ' in proc.stdout
    assert '| onnxruntime-int8 | ' in proc.stdout


def test_int8_without_its_graph_is_one_line(tmp_path, tiny_checkpoint):
    proc = _run(DEMO_CONFIG, tiny_checkpoint, '--data-root', tmp_path,
                '--precision', 'int8', cwd=tmp_path)
    assert proc.returncode != 0 and 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(
        'error: --precision int8: needs --int8-onnx, a graph of '
        'tools/deployment/quantize.py'), proc.stderr
