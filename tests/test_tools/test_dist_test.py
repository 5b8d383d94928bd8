"""tools/test.py in 2 CPU processes (gloo): --out and --dump are written
once, by rank 0, with every rank's predictions, and each rank destroys its
process group before it exits."""
import json
import os
import pickle
import subprocess
import sys

import torch
from mmengine.config import Config

from free_port import free_port
from group_teardown import groups_at_exit, probed
from repo_paths import DEMO_CONFIG, REPO


def test_two_cpu_processes_write_out_and_dump_once(synthetic_coco, tmp_path):
    import higherhrnet_plugin  # noqa: F401  (registers the plugin)
    from mmpose.registry import MODELS
    data = synthetic_coco(2, 4)
    model_cfg = Config.fromfile(str(DEMO_CONFIG)).model
    torch.manual_seed(0)
    ckpt = tmp_path / 'random.pth'
    torch.save({'state_dict': MODELS.build(model_cfg).state_dict()}, ckpt)
    out, dump = tmp_path / 'metrics.json', tmp_path / 'preds.pkl'
    probe = tmp_path / 'exit'
    env = probed(dict(os.environ, CUDA_VISIBLE_DEVICES='',
                      PYTHONPATH=f'{REPO}:{os.environ.get("PYTHONPATH", "")}'),
                 probe)
    run = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', str(REPO / 'tools/test.py'),
         str(DEMO_CONFIG), str(ckpt), '--launcher', 'pytorch',
         '--out', str(out), '--dump', str(dump),
         '--work-dir', str(tmp_path / 'work'),
         '--cfg-options', f'test_dataloader.dataset.data_root={data}/',
         f'test_evaluator.ann_file={data}/annotations/'
         'person_keypoints_val.json',
         'test_dataloader.num_workers=0',
         'test_dataloader.persistent_workers=False'],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert 'coco/AP' in json.loads(out.read_text())
    with open(dump, 'rb') as f:
        preds = pickle.load(f)
    # 4 val images split over the 2 ranks, gathered on rank 0
    assert sorted(p['img_id'] for p in preds) == [3, 4, 5, 6]
    assert groups_at_exit(probe) == {'rank0': 'destroyed',
                                     'rank1': 'destroyed'}
