"""Configs of the demo's narrow model on a few synthetic images, and a
runner of the tools on them, for the tests of checkpoint safety and training
faults (one or two iterations an epoch, no data-loader workers)."""
import os
import subprocess
import sys
from pathlib import Path

from free_port import free_port
from group_teardown import probed
from repo_paths import DEMO_CONFIG, REPO


def write_config(path: Path, data_root: Path, *, epochs: int = 2,
                 batch_size: int = 2, hooks=(), validate: bool = False,
                 max_keep_ckpts: int = -1) -> Path:
    """A config training ``epochs`` epochs on ``data_root`` (a synthetic
    COCO set), a checkpoint every epoch (the last ``max_keep_ckpts`` kept);
    ``hooks`` are config strings of custom hooks (those of fault_hooks.py
    among them)."""
    root = str(data_root) + '/'
    val_ann = root + 'annotations/person_keypoints_val.json'
    loader = (f"num_workers=0, persistent_workers=False, "
              f"dataset=dict(data_root={root!r})")
    if validate:
        val = (f"train_cfg = dict(max_epochs={epochs}, val_interval=1)\n"
               f"val_dataloader = dict({loader})\n"
               f"val_evaluator = dict(ann_file={val_ann!r})\n")
        best = "'coco/AP'"
    else:
        val = (f"train_cfg = dict(max_epochs={epochs}, val_interval=100)\n"
               "val_dataloader = val_cfg = val_evaluator = None\n")
        best = None
    path.write_text(f"""
_base_ = [{str(DEMO_CONFIG)!r}]
custom_imports = dict(imports=['higherhrnet_plugin', 'fault_hooks'],
                      allow_failed_imports=False)
custom_hooks = [{', '.join(hooks)}]
randomness = dict(seed=0)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, save_best={best},
                                     max_keep_ckpts={max_keep_ckpts}))
train_dataloader = dict(batch_size={batch_size}, {loader})
test_dataloader = dict({loader})
test_evaluator = dict(ann_file={val_ann!r})
param_scheduler = []
{val}""")
    return path


def run_tool(tool: str, *args, cwd: Path,
             ranks: int = 1) -> subprocess.CompletedProcess:
    """``python tools/<tool> args...`` on CPU, fault_hooks importable.

    With ``ranks`` > 1, ``ranks`` gloo processes (``torch.distributed.run``,
    ``--launcher pytorch``); each records at exit in ``cwd/exit_probe/``
    whether it still held its process group (``group_teardown``)."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=os.pathsep.join(
                   [str(Path(__file__).parent),
                    os.environ.get('PYTHONPATH', '')]))
    command = [sys.executable, str(REPO / 'tools' / tool), *map(str, args)]
    if ranks > 1:
        env = probed(env, cwd / 'exit_probe')
        command[1:1] = ['-m', 'torch.distributed.run',
                        f'--nproc_per_node={ranks}',
                        f'--master_port={free_port()}']
        command.extend(['--launcher', 'pytorch'])
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def last_line(run: subprocess.CompletedProcess) -> str:
    """The last line on stderr: a tool's one-line error."""
    lines = run.stderr.strip().splitlines()
    return lines[-1] if lines else ''
