"""Convert HigherHRNet checkpoints of other implementations to plugin names.

Two sources are understood:

- ``original``: the authors' implementation (HRNet/Higher-HRNet-Human-Pose-
  Estimation). Backbone keys are bare (``conv1.weight``, ``stage4.…``) and the
  head's are ``final_layers.*`` and ``deconv_layers.*``.
- ``mmpose0x``: MMPose 0.x ``AEHigherResolutionHead`` models, whose keys are
  ``backbone.*`` and ``keypoint_head.*``.

Our model is MMPose's ``BottomupPoseEstimator`` with MMPose's ``HRNet``
(same key names as the original backbone) and ``HigherHRNetHead`` (same
names as the original head), so conversion only re-prefixes keys.
"""
from collections import OrderedDict
from typing import Dict, Iterable, Mapping

SOURCES = ('original', 'mmpose0x')
_BACKBONE_ROOTS = ('conv1.', 'bn1.', 'conv2.', 'bn2.', 'layer1.', 'transition',
                   'stage')
_HEAD_ROOTS = ('final_layers.', 'deconv_layers.')


class CheckpointKeyError(KeyError):
    """Keys that cannot be converted, or that the target model lacks/has."""

    def __str__(self):
        return self.args[0]


def _short_list(keys: Iterable[str], limit: int = 8) -> str:
    keys = sorted(keys)
    more = f' … and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def extract_state_dict(checkpoint: Mapping) -> Mapping:
    """The state dict inside a loaded checkpoint file (bare or wrapped)."""
    for key in ('state_dict', 'model'):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            return checkpoint[key]
    return checkpoint


def convert_state_dict(state_dict: Mapping, source: str) -> Dict:
    """Rename every key of ``state_dict`` (from ``source``) to plugin names.

    Raises:
        ValueError: ``source`` is not one of :data:`SOURCES`.
        CheckpointKeyError: keys that belong to neither backbone nor head.
    """
    if source not in SOURCES:
        raise ValueError(f'--source must be one of {SOURCES}, got {source!r}')
    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        name = key[len('module.'):] if key.startswith('module.') else key
        if source == 'mmpose0x':
            if name.startswith('backbone.'):
                converted[name] = value
            elif name.startswith('keypoint_head.'):
                converted['head.' + name[len('keypoint_head.'):]] = value
            else:
                unknown.append(key)
        elif name.startswith(_BACKBONE_ROOTS):
            converted['backbone.' + name] = value
        elif name.startswith(_HEAD_ROOTS):
            converted['head.' + name] = value
        else:
            unknown.append(key)
    if unknown:
        raise CheckpointKeyError(
            f'{len(unknown)} key(s) of the {source} checkpoint are neither '
            f'backbone nor head keys: {_short_list(unknown)}')
    return converted


def check_against_model(state_dict: Mapping, model_state: Mapping) -> None:
    """Raise :class:`CheckpointKeyError` unless the keys and shapes of
    ``state_dict`` are exactly those of ``model_state``."""
    missing = set(model_state) - set(state_dict)
    unexpected = set(state_dict) - set(model_state)
    problems = []
    if missing:
        problems.append(f'missing {len(missing)}: {_short_list(missing)}')
    if unexpected:
        problems.append(
            f'unexpected {len(unexpected)}: {_short_list(unexpected)}')
    shapes = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(model_state[k].shape)}'
        for k in sorted(set(state_dict) & set(model_state))
        if tuple(state_dict[k].shape) != tuple(model_state[k].shape)
    ]
    if shapes:
        problems.append(f'shape mismatch {len(shapes)}: {_short_list(shapes)}')
    if problems:
        raise CheckpointKeyError('checkpoint does not fit the model: ' +
                                 '; '.join(problems))
