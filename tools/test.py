"""Test (and evaluate) a pose model: MMPose's ``tools/test.py``, ``--tta``,
batches and speed options.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out METRICS.json]
        [--dump PRED.pkl] [--tta] [--cfg-options k=v ...] [--launcher ...]
        [--trust-checkpoint] [--batch-size N] [--fuse-conv-bn]
        [--channels-last] [--compile]

``--tta`` wraps the model in the config's ``tta_model`` and tests with its
``tta_pipeline`` (multi-scale and flip aggregation), as MMDetection does.
CHECKPOINT loads weights-only; ``--trust-checkpoint`` unpickles it fully
(only for files you trust). ``--batch-size N`` tests in batches of images
that share their input shape (the same numbers as batch 1); the speed options
are measured in docs/batched_testing.md. A distributed launcher without a
GPU stops with one line, unless ``CUDA_VISIBLE_DEVICES`` is set and empty;
``--out`` and ``--dump`` are written by rank 0.
"""
import argparse
import os

import mmengine
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

from higherhrnet_plugin.datasets.coco_validation import DatasetError
from higherhrnet_plugin.engine import (CheckpointLoadError, add_trust_argument,
                                       close_distributed, prepare_distributed,
                                       resolve_work_dir, trusted_checkpoints)
from higherhrnet_plugin.engine.test_speed import (add_test_time_options,
                                                  set_test_batch_size)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a pose model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where evaluation results go')
    parser.add_argument('--out', help='file to save the metrics to')
    parser.add_argument('--dump', help='pickle file to dump predictions to')
    parser.add_argument('--tta', action='store_true',
                        help='test with the config\'s tta_model/tta_pipeline')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={}, help='override config settings, key=value')
    parser.add_argument('--launcher', default='none',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--batch-size', type=int,
                        help='test batch size (images of one input shape)')
    parser.add_argument('--fuse-conv-bn', action='store_true',
                        help='fold BatchNorm into the convs before testing')
    parser.add_argument('--channels-last', action='store_true',
                        help='channels-last memory format')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the backbone and head')
    add_trust_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    """Merge command-line arguments into the config (``--cfg-options``
    first, as MMDetection does, so they address the config as written)."""
    # test images keep their aspect ratio, so input shapes vary: cuDNN's
    # benchmark (on for training) would re-tune at every new shape
    cfg.setdefault('env_cfg', {})['cudnn_benchmark'] = False
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.load_from = args.checkpoint
    resolve_work_dir(cfg, args.work_dir, args.config)
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit(f'--dump: {args.dump!r} must end in .pkl')
        dump = dict(type='DumpResults', out_file_path=args.dump)
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = [*evaluators, dump]
    if args.tta:
        for key in ('tta_model', 'tta_pipeline'):
            if key not in cfg:
                raise SystemExit(f'--tta: the config {args.config} has no '
                                 f'`{key}`')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.model = dict(**cfg.tta_model, module=cfg.model)
    try:
        if args.batch_size is not None:
            set_test_batch_size(cfg, args.batch_size)
        add_test_time_options(cfg, [
            name for name in ('fuse_conv_bn', 'channels_last', 'compile')
            if getattr(args, name)])
    except ValueError as e:
        raise SystemExit(str(e))
    prepare_distributed(cfg, args.launcher)
    return cfg


class SaveMetricsHook(Hook):
    """Writes the test metrics to a file once they exist, on rank 0 only
    (every rank holds the same metrics). ``--dump``'s ``DumpResults`` writes
    on rank 0 alone already: MMEngine computes metrics there only."""

    def __init__(self, out_file):
        self.out_file = out_file

    def after_test_epoch(self, runner, metrics=None):
        if metrics is not None and runner.rank == 0:
            mmengine.dump(metrics, self.out_file)


def main():
    args = parse_args()
    for name, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not os.path.isfile(path):
            raise SystemExit(f'{name}: no such file {path!r}')
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = Runner.from_cfg(cfg)
    if args.out:
        runner.register_hook(SaveMetricsHook(args.out), 'LOWEST')
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            runner.test()
    except (CheckpointLoadError, DatasetError) as e:
        close_distributed()  # every rank stops with these errors together
        raise SystemExit(str(e))
    close_distributed()


if __name__ == '__main__':
    main()
