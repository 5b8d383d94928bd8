"""Check our codec and loss against a training reference of the original.

A ``train_targets_losses*.npz`` (see ``../shared/reference/README.md``)
holds, per image ``n``, the keypoints in input pixels and the original's
targets and tag indices at each resolution ``r``, plus network predictions,
masks and the original's per-image losses. We encode the same keypoints with
:class:`AssociativeEmbeddingCodec` and run :class:`MultiResolutionHeatmapLoss`
on the stored predictions.
"""
import re
from typing import Tuple

import numpy as np
import torch

_TARGET_ATOL = 1e-6
_LOSS_TOL = 1e-5


def _layout(data) -> Tuple[list, list, int]:
    """Image numbers, resolutions (level order) and the input size."""
    images = sorted({int(m.group(1)) for k in data.files
                     for m in [re.match(r'img(\d+)_joints_input$', k)] if m})
    sizes = sorted({int(m.group(1)) for k in data.files
                    for m in [re.match(r'loss_masks_(\d+)$', k)] if m})
    # the input is 4x the lowest resolution (HRNet's stride)
    return images, sizes, 4 * sizes[0]


def check_training_reference(path: str) -> Tuple[bool, str]:
    from mmpose.registry import KEYPOINT_CODECS, MODELS
    from mmengine.registry import init_default_scope

    import higherhrnet_plugin  # noqa: F401  (registers codec and loss)
    init_default_scope('mmpose')
    data = np.load(path)
    images, sizes, input_size = _layout(data)
    num_levels = len(sizes)
    codec = KEYPOINT_CODECS.build(
        dict(type='AssociativeEmbeddingCodec',
             input_size=(input_size, input_size),
             heatmap_sizes=[(r, r) for r in sizes],
             max_encoded_people=data[f'img{images[0]}_joints_indices_{sizes[0]}']
             .shape[0]))

    target_err, index_ok = 0.0, True
    for n in images:
        joints = data[f'img{n}_joints_input']
        encoded = codec.encode(joints[..., :2], joints[..., 2])
        for level, r in enumerate(sizes):
            target_err = max(target_err, float(np.abs(
                encoded['heatmaps'][level] - data[f'img{n}_heatmaps_{r}'])
                .max()))
        index_ok &= np.array_equal(encoded['keypoint_indices'],
                                   data[f'img{n}_joints_indices_{sizes[0]}'])

    with_ae = tuple(f'expected_push_loss_{i}' in data.files
                    for i in range(num_levels))
    loss = MODELS.build(
        dict(type='MultiResolutionHeatmapLoss',
             heatmap_weights=(1.0, ) * num_levels, with_ae_loss=with_ae,
             push_loss_weights=(1e-3, ) * num_levels,
             pull_loss_weights=(1e-3, ) * num_levels))
    outputs = [torch.from_numpy(data[f'loss_outputs_{i}'].astype(np.float32))
               for i in range(num_levels)]
    heatmaps = [torch.from_numpy(np.stack(
        [data[f'img{n}_heatmaps_{r}'] for n in images])) for r in sizes]
    masks = [torch.from_numpy(data[f'loss_masks_{r}']) for r in sizes]
    indices = torch.from_numpy(np.stack(
        [data[f'img{n}_joints_indices_{sizes[0]}'] for n in images]))
    with torch.no_grad():
        terms = dict(zip(('heatmap', 'push', 'pull'),
                         loss.forward_per_image(outputs, heatmaps, masks,
                                                indices)))
    loss_err = 0.0
    for name, per_level in terms.items():
        for i, ours in enumerate(per_level):
            key = f'expected_{name}_loss_{i}'
            if key in data.files:
                expected = data[key]
                scale = np.maximum(np.abs(expected), 1.0)
                loss_err = max(loss_err, float(
                    (np.abs(ours.numpy() - expected) / scale).max()))
    ok = target_err <= _TARGET_ATOL and index_ok and loss_err <= _LOSS_TOL
    return ok, (f'{len(images)} images, {num_levels} levels: target max '
                f'|diff| {target_err:.1e}, tag indices '
                f'{"exact" if index_ok else "DIFFER"}, loss max diff '
                f'{loss_err:.1e}')
