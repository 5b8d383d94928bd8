"""Where a HigherHRNet / AE model loses AP: its heatmaps or its grouping.

    python tools/analysis/error_breakdown.py CONFIG CHECKPOINT
        [--out FILE.json] [--radius 0.15] [--work-dir DIR]
        [--trust-checkpoint] [--cfg-options KEY=VAL ...]

Runs the model on the config's test set once and scores three decodings
with the config's test evaluator: the model's own (``model``), ground-truth
heatmaps with the model's tags (``gt_heatmaps``) and the model's heatmaps
with ground-truth tags (``gt_tags``); plus joint recall and tag separation
(see :mod:`higherhrnet_plugin.analysis.error_breakdown`). Prints one JSON
object and writes it to ``--out`` if given. The runner's logs go to
``--work-dir`` (default ``work_dirs/error_breakdown/<config name>``), never
into the config's own ``work_dir``, so a training run's folder is left as it
was. CHECKPOINT loads weights-only; ``--trust-checkpoint`` unpickles it fully
(code in it runs: only for files you trust).
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import Config, DictAction

from higherhrnet_plugin.engine import (CheckpointLoadError, add_trust_argument,
                                       trusted_checkpoints)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='AP with ground-truth heatmaps or tags, joint recall')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', help='write the JSON here as well')
    parser.add_argument('--radius', type=float, default=0.15,
                        help='match radius as a fraction of sqrt(area)')
    parser.add_argument('--work-dir',
                        help='logs (default: work_dirs/error_breakdown/'
                        '<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        default={})
    add_trust_argument(parser)
    args = parser.parse_args(argv)
    for name in ('config', 'checkpoint'):
        path = getattr(args, name)
        if not osp.isfile(path):
            parser.error(f'{name} not found: {path}')
    if args.radius <= 0:
        parser.error(f'--radius must be positive, got {args.radius}')
    return args


def main(argv=None):
    args = parse_args(argv)
    from mmengine.runner import Runner

    from higherhrnet_plugin.analysis.error_breakdown import (ae_codec,
                                                             error_breakdown)

    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir or osp.join(
        'work_dirs', 'error_breakdown',
        osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            runner.load_or_resume()
    except CheckpointLoadError as exc:
        sys.exit(f'error_breakdown: {exc}')
    try:
        ae_codec(runner.model)
    except ValueError as exc:
        sys.exit(f'error_breakdown: {args.config}: {exc}')
    result = error_breakdown(runner, args.radius)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, 'w') as fh:
            fh.write(text + '\n')


if __name__ == '__main__':
    main()
