"""What ``tools/train.py`` and ``tools/test.py`` need beyond MMPose's scripts."""
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config


def resolve_work_dir(cfg: Config, work_dir: str, config_path: str) -> None:
    """Set ``cfg.work_dir``: the CLI value, else the config's, else
    ``./work_dirs/<config name>`` (MMPose's rule)."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Make ``--launcher pytorch`` work on machines without a GPU.

    MMEngine's pytorch launcher calls ``torch.cuda.set_device`` before
    creating the process group, and wraps the model in DDP with
    ``device_ids=[LOCAL_RANK]``; both fail on CPU. Without CUDA we create
    the gloo process group ourselves (the Runner then skips its own
    initialisation) and ask for a device-less DDP wrapper. With CUDA nothing
    changes.
    """
    cfg.launcher = launcher
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
