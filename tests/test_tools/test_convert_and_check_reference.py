"""Checkpoint conversion and the reference checker against ../shared."""
import json
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from higherhrnet_plugin.checkpoint_conversion import (CheckpointKeyError,
                                                      check_against_model,
                                                      convert_state_dict)
from higherhrnet_plugin.reference.model_outputs import model_cfg_from_arch
from repo_paths import REFERENCE, REPO

TINY = REFERENCE / 'official_tiny_model_seed7.pth'


@pytest.fixture
def ref():
    if not REFERENCE.is_dir():
        pytest.skip(f'{REFERENCE} is absent (reference numbers come with '
                    '../shared)')
    return REFERENCE


def _model_state(config):
    init_default_scope('mmpose')
    cfg = Config.fromfile(str(REPO / config))
    cfg.model.backbone.init_cfg = None
    return MODELS.build(cfg.model).state_dict()


@pytest.mark.parametrize('keys,config', [
    ('official_higherhrnet_w32_512_keys.json',
     'configs/higherhrnet/coco/higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py'),
    ('official_higherhrnet_w48_640_keys.json',
     'configs/higherhrnet/coco/higherhrnet_hrnet-w48_8xb10-300e_coco-640x640.py'),
])
def test_every_original_key_maps_onto_our_model(ref, keys, config):
    shapes = json.loads((ref / keys).read_text())
    original = {k: torch.zeros(s) for k, s in shapes.items()}
    converted = convert_state_dict(original, 'original')
    check_against_model(converted, _model_state(config))  # raises on a gap
    mmpose0x = {('backbone.' + k if not k.startswith(('final_', 'deconv_'))
                 else 'keypoint_head.' + k): v for k, v in original.items()}
    assert convert_state_dict(mmpose0x, 'mmpose0x').keys() == converted.keys()


def test_unknown_and_missing_keys_are_listed():
    with pytest.raises(CheckpointKeyError, match='neither backbone nor head.*'
                       'classifier.weight'):
        convert_state_dict({'classifier.weight': torch.zeros(1)}, 'original')
    with pytest.raises(CheckpointKeyError, match='missing 1: head.b'):
        check_against_model({'head.a': torch.zeros(1)},
                            {'head.a': torch.zeros(1), 'head.b': torch.zeros(1)})
    with pytest.raises(CheckpointKeyError, match='shape mismatch'):
        check_against_model({'a': torch.zeros(2)}, {'a': torch.zeros(3)})


def test_convert_tool_output_reproduces_the_original(ref, tmp_path):
    dst = tmp_path / 'tiny.pth'
    subprocess.run([sys.executable, str(REPO / 'tools/convert_checkpoint.py'),
                    str(TINY), str(dst), '--source', 'original'], check=True,
                   capture_output=True)
    reference = torch.load(TINY, weights_only=False)
    init_default_scope('mmpose')
    model = MODELS.build(model_cfg_from_arch(reference['arch'])).eval()
    # plugin checkpoints hold tensors only: they load with weights_only=True
    model.load_state_dict(torch.load(dst, weights_only=True)['state_dict'])
    with torch.no_grad():
        outputs = model.head.forward(model.backbone(reference['input']))
    for ours, theirs in zip(outputs, reference['outputs']):
        torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_convert_tool_rejects_bad_input_in_one_line(tmp_path):
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'fc.weight': torch.zeros(1)}}, bad)
    dst = tmp_path / 'out.pth'
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/convert_checkpoint.py'), str(bad),
         str(dst)], capture_output=True, text=True)
    assert run.returncode != 0 and not dst.exists()
    assert 'fc.weight' in run.stderr.strip().splitlines()[-1]
    missing = subprocess.run(
        [sys.executable, str(REPO / 'tools/convert_checkpoint.py'),
         str(tmp_path / 'nope.pth'), str(dst)], capture_output=True, text=True)
    assert missing.returncode != 0
    assert 'nope.pth' in missing.stderr.strip().splitlines()[-1]


def test_check_reference_tool_on_model_and_training_files(ref):
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis/check_reference.py'),
         str(TINY), str(ref / 'train_targets_losses.npz')],
        capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == '2/2 match'


def test_check_reference_tool_fails_on_a_wrong_reference(ref, tmp_path):
    reference = torch.load(TINY, weights_only=False)
    reference['outputs'][1] = reference['outputs'][1] + 1e-3
    wrong = tmp_path / 'perturbed_tiny.pth'
    torch.save(reference, wrong)
    run = subprocess.run(
        [sys.executable, str(REPO / 'tools/analysis/check_reference.py'),
         str(wrong)], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.strip().splitlines()[-1] == '0/1 match'
