"""Train a pose model: MMPose's ``tools/train.py`` options, CPU DDP included.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--no-validate] [--auto-scale-lr] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}] [--trust-checkpoint]

A distributed launcher without a GPU stops with one line, unless
``CUDA_VISIBLE_DEVICES`` is set and empty (CPU processes on purpose); so does
mixed precision (``--amp`` or a config's ``AmpOptimWrapper``) without a GPU.
Checkpoints (``--resume``, ``load_from``, ``init_cfg``) load weights-only;
``--trust-checkpoint`` unpickles them fully (only for files you trust).
"""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from higherhrnet_plugin.datasets.coco_validation import DatasetError
from higherhrnet_plugin.engine import (
    CheckpointLoadError, CheckpointSaveError, NonFiniteLossError,
    add_trust_argument, close_distributed, prepare_distributed,
    resolve_work_dir, trusted_checkpoints)
from higherhrnet_plugin.engine.launch import check_amp_device


def parse_args():
    parser = argparse.ArgumentParser(description='Train a pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or with no value from the latest '
        'checkpoint in the work directory')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_trust_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    """Merge command-line arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    resolve_work_dir(cfg, args.work_dir, args.config)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not os.path.isfile(args.resume):
            raise SystemExit(f'--resume: no checkpoint file {args.resume!r}')
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    prepare_distributed(cfg, args.launcher)
    check_amp_device(cfg, '--amp' if args.amp else args.config)
    return cfg


def main():
    args = parse_args()
    if not os.path.isfile(args.config):
        raise SystemExit(f'config: no such file {args.config!r}')
    cfg = merge_args(Config.fromfile(args.config), args)
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            Runner.from_cfg(cfg).train()
    except (CheckpointLoadError, CheckpointSaveError, DatasetError,
            NonFiniteLossError) as e:
        close_distributed()  # every rank stops with these errors together
        raise SystemExit(str(e))
    close_distributed()


if __name__ == '__main__':
    main()
