"""Convert an original HigherHRNet or MMPose 0.x checkpoint for this plugin.

    python tools/convert_checkpoint.py SRC DST [--source original|mmpose0x]
        [--config CONFIG] [--trust-checkpoint]

SRC loads weights-only (``--trust-checkpoint`` unpickles it fully: only for
files you trust). With ``--config`` the converted weights are checked against
the model the config builds (every key present, none unknown, shapes equal)
before DST is written. DST then loads with ``tools/test.py`` or
``init_cfg``/``load_from``.
"""
import argparse
import io
import os
import sys

import torch

from higherhrnet_plugin.checkpoint_conversion import (SOURCES,
                                                      CheckpointKeyError,
                                                      check_against_model,
                                                      convert_state_dict,
                                                      extract_state_dict)
from higherhrnet_plugin.engine import (CheckpointLoadError, add_trust_argument,
                                       load_checkpoint_file,
                                       trusted_checkpoints, write_atomic)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='where to write the plugin checkpoint')
    parser.add_argument('--source', choices=SOURCES, default='original')
    parser.add_argument('--config', help='check the result against the model '
                        'this config builds')
    add_trust_argument(parser)
    return parser.parse_args()


def build_model_state(config_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    cfg = Config.fromfile(config_path)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    cfg.model.backbone.pop('init_cfg', None)
    return MODELS.build(cfg.model).state_dict()


def main():
    args = parse_args()
    if not os.path.isfile(args.src):
        sys.exit(f'SRC: no such file {args.src!r}')
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    except CheckpointLoadError as e:
        sys.exit(str(e))
    try:
        state_dict = convert_state_dict(extract_state_dict(checkpoint),
                                        args.source)
        if args.config:
            check_against_model(state_dict, build_model_state(args.config))
    except CheckpointKeyError as e:
        sys.exit(f'{args.src}: {e}')
    buffer = io.BytesIO()
    torch.save(dict(state_dict=state_dict,
                    meta=dict(converted_from=os.path.basename(args.src),
                              source=args.source)), buffer)
    write_atomic(args.dst, buffer.getvalue())  # an old DST survives a crash
    print(f'wrote {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
