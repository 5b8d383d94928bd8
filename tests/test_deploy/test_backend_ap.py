"""tools/analysis/eval_backends.py: the same people, results and COCO AP
through the pytorch, onnxruntime and openvino backends on a tiny synthetic
val split (the tiny amplified model of conftest)."""
import json
import os
import subprocess
import sys

import numpy as np

from conftest import ROOT, TINY_CONFIG

TOOL = ROOT / 'tools' / 'analysis' / 'eval_backends.py'
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
    config.write_text(f"_base_ = ['{TINY_CONFIG}']\n"
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
    proc = _run(TINY_CONFIG, tiny_checkpoint, '--data-root',
                tmp_path / 'empty', '--out-dir', tmp_path / 'out',
                cwd=tmp_path)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith('--data-root: no annotation file'), \
        proc.stderr
    assert 'Traceback' not in proc.stderr
