"""No code runs from a checkpoint file in any entry point, unless the user
passes ``--trust-checkpoint``.

The malicious checkpoint's unpickling would create a file (``open(path,
'w')``); every tool must refuse it with one line naming the refused global
and the flag, and the file must never appear. With ``--trust-checkpoint``
the same kind of file (a harmless payload, in a temporary folder) loads.
Our own training checkpoints load weights-only.
"""
from pathlib import Path

import pytest
import torch

from higherhrnet_plugin.engine import load_checkpoint_file
from tiny_training import last_line, run_tool, write_config


class CreatesFile:
    """Unpickling this calls ``open(path, 'w')``: the file appears."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, 'w')


def _with_payload(checkpoint: dict, path: Path, marker: Path) -> Path:
    torch.save({**checkpoint, 'payload': CreatesFile(marker)}, path)
    return path


def _evil_copy(work_dir: Path, tmp_path: Path):
    """(the training checkpoint with the payload, the payload's file)."""
    marker = tmp_path / 'created'
    return _with_payload(load_checkpoint_file(str(work_dir / 'epoch_1.pth')),
                         tmp_path / 'evil.pth', marker), marker


def _assert_refused(run, marker):
    assert run.returncode != 0, run.stdout[-2000:] + run.stderr[-2000:]
    line = last_line(run)
    assert '`io.open`' in line and '--trust-checkpoint' in line, \
        run.stderr[-3000:]
    assert not marker.exists()


@pytest.fixture(scope='module')
def trained(synthetic_coco, tmp_path_factory):
    """A one-epoch training run (with validation and a best checkpoint):
    its work dir and config."""
    work = tmp_path_factory.mktemp('trained')
    data = synthetic_coco(2, 1)
    cfg = write_config(work / 'cfg.py', data, epochs=1, validate=True)
    run = run_tool('train.py', cfg, '--work-dir', work / 'run', cwd=work)
    assert run.returncode == 0, run.stderr[-3000:]
    return work / 'run', cfg


def test_our_training_checkpoints_load_weights_only(trained):
    work_dir, _ = trained
    saved = sorted(work_dir.glob('*.pth'))
    assert {p.name for p in saved} >= {'epoch_1.pth'} and len(saved) == 2
    for path in saved:  # epoch_1.pth and best_coco_AP_epoch_1.pth
        ckpt = load_checkpoint_file(str(path))
        assert ckpt['meta']['dataset_meta']['sigmas'].dtype == 'float32'
        assert 'message_hub' in ckpt
    assert 'optimizer' in load_checkpoint_file(str(work_dir / 'epoch_1.pth'))


def test_train_resume_and_load_from_refuse_code(trained, tmp_path):
    work_dir, cfg = trained
    evil, marker = _evil_copy(work_dir, tmp_path)
    _assert_refused(run_tool('train.py', cfg, '--work-dir', tmp_path / 'a',
                             '--resume', evil, cwd=tmp_path), marker)
    _assert_refused(run_tool('train.py', cfg, '--work-dir', tmp_path / 'b',
                             '--cfg-options', f'load_from={evil}',
                             cwd=tmp_path), marker)


def test_train_resume_with_trust_checkpoint(trained, tmp_path):
    work_dir, cfg = trained
    trusted, marker = _evil_copy(work_dir, tmp_path)
    run = run_tool('train.py', cfg, '--work-dir', tmp_path / 'run',
                   '--resume', trusted, '--trust-checkpoint',
                   '--cfg-options', 'train_cfg.max_epochs=2', cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert marker.exists() and (tmp_path / 'run' / 'epoch_2.pth').is_file()


def test_test_py_refuses_code_and_trusts_on_request(trained, tmp_path):
    work_dir, cfg = trained
    evil, marker = _evil_copy(work_dir, tmp_path)
    _assert_refused(run_tool('test.py', cfg, evil, '--work-dir',
                             tmp_path / 'a', cwd=tmp_path), marker)
    run = run_tool('test.py', cfg, evil, '--work-dir', tmp_path / 'b',
                   '--trust-checkpoint', cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert marker.exists()


def test_convert_checkpoint_refuses_code_and_trusts_on_request(tmp_path):
    marker = tmp_path / 'created'
    # the original's training checkpoint layout
    evil = _with_payload(
        dict(epoch=3, model='pose_higher_hrnet',
             state_dict={'final_layers.0.weight': torch.zeros(2)}),
        tmp_path / 'evil.pth.tar', marker)
    dst = tmp_path / 'out.pth'
    _assert_refused(run_tool('convert_checkpoint.py', evil, dst,
                             cwd=tmp_path), marker)
    assert not dst.exists()
    run = run_tool('convert_checkpoint.py', evil, dst, '--trust-checkpoint',
                   cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert marker.exists()
    assert list(load_checkpoint_file(str(dst))['state_dict']) == [
        'head.final_layers.0.weight']


def test_infer_py_refuses_code_and_trusts_on_request(trained, tmp_path,
                                                      synthetic_coco):
    work_dir, cfg = trained
    image = next((synthetic_coco(2, 1) / 'images' / 'val').iterdir())
    evil, marker = _evil_copy(work_dir, tmp_path)
    _assert_refused(run_tool('infer.py', image, '--config', cfg,
                             '--checkpoint', evil, '--out-dir',
                             tmp_path / 'a', cwd=tmp_path), marker)
    run = run_tool('infer.py', image, '--config', cfg, '--checkpoint', evil,
                   '--out-dir', tmp_path / 'b', '--trust-checkpoint',
                   cwd=tmp_path)
    assert marker.exists()  # the checkpoint was unpickled in full
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / 'b' / 'results.json').is_file()


def test_export_onnx_refuses_code_and_trusts_on_request(trained, tmp_path):
    work_dir, cfg = trained
    evil, marker = _evil_copy(work_dir, tmp_path)
    tool = 'deployment/export_onnx.py'
    _assert_refused(run_tool(tool, cfg, evil, tmp_path / 'a.onnx',
                             cwd=tmp_path), marker)
    assert not (tmp_path / 'a.onnx').exists()
    run = run_tool(tool, cfg, evil, tmp_path / 'b.onnx',
                   '--trust-checkpoint', cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert marker.exists() and (tmp_path / 'b.onnx').is_file()


def test_error_breakdown_refuses_code_and_trusts_on_request(trained,
                                                            tmp_path):
    work_dir, cfg = trained
    evil, marker = _evil_copy(work_dir, tmp_path)
    tool = 'analysis/error_breakdown.py'
    _assert_refused(run_tool(tool, cfg, evil, '--work-dir', tmp_path / 'a',
                             cwd=tmp_path), marker)
    out = tmp_path / 'breakdown.json'
    run = run_tool(tool, cfg, evil, '--work-dir', tmp_path / 'b', '--out',
                   out, '--trust-checkpoint', cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert marker.exists() and out.is_file()
