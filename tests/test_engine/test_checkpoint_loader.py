"""Weights-only checkpoint loading with an explicit allow-list: what loads
(MMEngine/MMPose, original HigherHRNet and MMPose 0.x layouts), what is
refused (in one line), and the APIs that go through it."""
import functools
import http.server
import os
import pickle
import threading
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from higherhrnet_plugin.engine import (CheckpointLoadError,
                                       UntrustedCheckpointError,
                                       add_trust_argument,
                                       load_checkpoint_file,
                                       trusted_checkpoints)


class CreatesFile:
    """Unpickling this calls ``open(path, 'w')``: the file appears."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, 'w')


class RunsCommand:
    """Unpickling this calls ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


def _adam_state(params):
    optimizer = torch.optim.Adam(params, lr=1e-3)
    sum(p.sum() for p in params).backward()
    optimizer.step()
    return optimizer.state_dict()


def _numpy1_names(path):
    """Rewrite a legacy-format (plain pickle) checkpoint's numpy globals to
    the names numpy 1.x pickled them under."""
    data = path.read_bytes().replace(b'numpy._core.multiarray\n',
                                     b'numpy.core.multiarray\n')
    path.write_bytes(data)
    assert b'numpy.core.multiarray\n' in data


@pytest.mark.parametrize('zip_format', [True, False])
def test_original_higherhrnet_layouts_load(tmp_path, zip_format):
    weight = torch.nn.Parameter(torch.randn(3, 2))
    state = OrderedDict([('conv1.weight', weight.detach().clone()),
                         ('final_layers.0.bias', torch.zeros(3))])
    layouts = {
        # the released pose_higher_hrnet_*.pth and final_state.pth
        'final_state.pth': state,
        # the original's checkpoint.pth.tar (tools/dist_train.py)
        'checkpoint.pth.tar': dict(
            epoch=140, model='pose_higher_hrnet', state_dict=state,
            best_state_dict=state, perf=0.671,
            optimizer=_adam_state([weight])),
    }
    for name, obj in layouts.items():
        torch.save(obj, tmp_path / name,
                   _use_new_zipfile_serialization=zip_format)
        loaded = load_checkpoint_file(str(tmp_path / name))
        state_dict = loaded.get('state_dict', loaded)
        torch.testing.assert_close(state_dict['conv1.weight'],
                                   state['conv1.weight'])


def _mmpose0x_checkpoint():
    # mmcv.runner.save_checkpoint's layout as MMPose 0.x wrote it; the eval
    # hook's best score is a numpy float64 (COCOeval's stats)
    weight = torch.nn.Parameter(torch.randn(3, 2))
    return dict(
        meta=dict(mmcv_version='1.7.0', time='Wed Jun  1 12:00:00 2022',
                  mmpose_version='0.28.0', env_info='sys.platform: linux',
                  config='model = dict(...)', seed=0, exp_name='w32.py',
                  epoch=300, iter=1000,
                  hook_msgs=dict(best_score=np.float64(0.677),
                                 best_ckpt='best_AP_epoch_300.pth',
                                 last_ckpt='epoch_300.pth')),
        state_dict=OrderedDict(
            [('backbone.conv1.weight', weight.detach().clone()),
             ('keypoint_head.final_layers.0.bias', torch.zeros(3))]),
        optimizer=_adam_state([weight]))


def test_mmpose0x_layout_loads_under_numpy2_and_numpy1_names(tmp_path):
    path = tmp_path / 'hrnet_w32_coco_512x512-bcb8c247_20200816.pth'
    torch.save(_mmpose0x_checkpoint(), path)
    loaded = load_checkpoint_file(str(path))
    assert loaded['meta']['hook_msgs']['best_score'] == np.float64(0.677)
    torch.save(_mmpose0x_checkpoint(), path,
               _use_new_zipfile_serialization=False)
    _numpy1_names(path)
    loaded = load_checkpoint_file(str(path))
    assert loaded['meta']['hook_msgs']['best_score'] == np.float64(0.677)


def test_mmpose_meta_loads_without_touching_torchs_allow_list(tmp_path):
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/coco.py'))
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(dataset_meta=meta),
                    state_dict={'w': torch.ones(2)}), path)
    before = set(map(str, torch.serialization.get_safe_globals()))
    ckpt = load_checkpoint_file(str(path))
    assert ckpt['meta']['dataset_meta']['keypoint_colors'].dtype == 'uint8'
    assert ckpt['meta']['dataset_meta']['sigmas'].dtype == 'float32'
    # nothing was added to torch's global allow-list (import included):
    # outside our loader the same file is refused
    assert set(map(str, torch.serialization.get_safe_globals())) == before
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


@pytest.mark.parametrize('payload,refused', [
    (lambda marker: CreatesFile(marker), '`io.open`'),
    (lambda marker: RunsCommand(f'touch {marker}'), '`posix.system`'),
])
def test_code_is_refused_in_one_line_and_runs_only_when_trusted(
        tmp_path, payload, refused):
    marker = tmp_path / 'created'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': payload(marker)},
               path)
    for load in (load_checkpoint_file, _load_checkpoint):
        with pytest.raises(UntrustedCheckpointError) as error:
            load(str(path))
        message = str(error.value)
        assert '\n' not in message and str(path) in message
        assert refused in message and '--trust-checkpoint' in message
        assert not marker.exists()
    with trusted_checkpoints():
        assert load_checkpoint_file(str(path))['state_dict']['w'] == 1
    assert marker.exists()
    marker.unlink()
    with trusted_checkpoints(False):
        with pytest.raises(UntrustedCheckpointError):
            load_checkpoint_file(str(path))
    assert not marker.exists()


def test_unreadable_files_are_one_line_errors(tmp_path):
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    truncated = tmp_path / 'truncated.pth'
    torch.save({'w': torch.ones(1000)}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:500])
    for path in (text, truncated):
        with pytest.raises(CheckpointLoadError) as error:
            load_checkpoint_file(str(path))
        assert '\n' not in str(error.value) and str(path) in str(error.value)


def test_trust_flag_is_added_to_a_parser():
    import argparse
    parser = argparse.ArgumentParser()
    add_trust_argument(parser)
    assert parser.parse_args([]).trust_checkpoint is False
    assert parser.parse_args(['--trust-checkpoint']).trust_checkpoint is True


def test_mmengine_loads_local_and_http_files_through_us(tmp_path,
                                                         monkeypatch):
    assert CheckpointLoader._get_checkpoint_loader('a.pth').__name__ == \
        'load_from_local_weights_only'
    served = tmp_path / 'served'
    served.mkdir()
    marker = tmp_path / 'created'
    torch.save({'x': CreatesFile(marker)}, served / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}}, served / 'good.pth')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f'http://127.0.0.1:{server.server_address[1]}'
    try:
        assert _load_checkpoint(f'{url}/good.pth')['state_dict']['w'] == 1
        with pytest.raises(UntrustedCheckpointError, match='`io.open`'):
            _load_checkpoint(f'{url}/evil.pth')
    finally:
        server.shutdown()
    assert not marker.exists()


def test_inferencer_apis_with_our_config_refuse_code(tmp_path, demo_config,
                                                     random_demo_checkpoint):
    from mmpose.apis import MMPoseInferencer, init_model
    marker = tmp_path / 'created'
    evil = tmp_path / 'evil.pth'
    torch.save({**torch.load(random_demo_checkpoint, weights_only=True),
                'x': CreatesFile(marker)}, evil)
    with pytest.raises(UntrustedCheckpointError, match='`io.open`'):
        init_model(str(demo_config), str(evil), device='cpu')
    with pytest.raises(UntrustedCheckpointError, match='`io.open`'):
        MMPoseInferencer(pose2d=str(demo_config), pose2d_weights=str(evil),
                         device='cpu')
    assert not marker.exists()
    with trusted_checkpoints():
        model = init_model(str(demo_config), str(evil), device='cpu')
    assert marker.exists() and model.dataset_meta['num_keypoints'] == 17
