"""The demo's pictures of a trained model on val images: the predicted
poses beside the labelled ones, the heatmap pyramid (every level and the
aggregate) and the tag maps."""
import os
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np
import torch
from mmengine.model import is_model_wrapper

from ..visualization.pose_pictures import (draw_pose, image_name,
                                           predict_image)


def draw_predictions(runner, out_dir: str, num_vis: int,
                     kpt_thr: float) -> List[str]:
    """Write ``pose_*.png`` (the labelled people beside the predicted ones,
    joints scored ``>= kpt_thr``), ``heatmaps_*.png`` and ``tags_*.png`` in
    ``out_dir`` for the first ``num_vis`` images of the runner's test set;
    returns the paths written."""
    import matplotlib
    matplotlib.use('Agg')

    os.makedirs(out_dir, exist_ok=True)
    # the module itself: a DDP forward on one rank would wait for the others
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    model.eval()
    dataset = runner.test_dataloader.dataset
    old_test_cfg = model.test_cfg
    visualizer = runner.visualizer  # the config's NumPy2PoseLocalVisualizer
    visualizer.set_dataset_meta(dataset.metainfo)
    model.test_cfg = dict(old_test_cfg or {}, output_heatmaps=True)
    num_k = model.head.num_keypoints
    kpt_names = [dataset.metainfo['keypoint_id2name'][k]
                 for k in range(num_k)]
    written = []
    try:
        for idx in range(min(num_vis, len(dataset))):
            inputs, levels, sample = predict_image(model, dataset, idx,
                                                   with_levels=True)
            name = image_name(sample)
            path = osp.join(out_dir, f'pose_{name}.png')
            draw_pose(visualizer, sample, path, kpt_thr)
            written.append(path)

            net_in = _network_input(model, inputs[0])
            agg = sample.pred_fields.heatmaps
            agg = agg.cpu().numpy() if torch.is_tensor(agg) else agg
            path = osp.join(out_dir, f'heatmaps_{name}.png')
            _heatmap_pyramid(path, name, net_in, levels, agg, num_k)
            written.append(path)

            path = osp.join(out_dir, f'tags_{name}.png')
            _tag_maps(path, name, net_in, levels, num_k, kpt_names)
            written.append(path)
    finally:
        model.test_cfg = old_test_cfg
    return written


def _network_input(model, inputs: torch.Tensor) -> np.ndarray:
    """(H, W, 3) uint8 RGB: the (3, H, W) network input denormalised."""
    mean = model.data_preprocessor.mean.cpu().numpy()
    std = model.data_preprocessor.std.cpu().numpy()
    net_in = inputs.cpu().numpy() * std + mean
    return np.clip(net_in.transpose(1, 2, 0), 0, 255).astype(np.uint8)


def _heatmap_pyramid(path: str, name: str, net_in: np.ndarray,
                     levels: Sequence[torch.Tensor], agg: np.ndarray,
                     num_k: int) -> None:
    """The maximum over the K heatmaps of every level (B, C_l, h_l, w_l)
    and of the aggregate (K', H, W), over the input."""
    import matplotlib.pyplot as plt
    ih, iw = net_in.shape[:2]
    panels: List[Tuple[str, np.ndarray]] = [
        (f'level {i}: {lv.shape[-1]}x{lv.shape[-2]}',
         lv[0, :num_k].max(0)[0].cpu().numpy())
        for i, lv in enumerate(levels)]
    panels.append((f'aggregate (flip, {agg.shape[-1]}x{agg.shape[-2]})',
                   agg[:num_k].max(0)))
    fig, axes = plt.subplots(1, len(panels) + 1,
                             figsize=(3.2 * (len(panels) + 1), 3.4))
    axes[0].imshow(net_in)
    axes[0].set_title('input')
    for ax, (title, hm) in zip(axes[1:], panels):
        ax.imshow(net_in, extent=(0, iw, ih, 0))
        ax.imshow(hm, cmap='jet', alpha=0.6, vmin=0,
                  vmax=max(float(hm.max()), 1e-6), extent=(0, iw, ih, 0))
        ax.set_title(title, fontsize=9)
    for ax in axes:
        ax.axis('off')
    fig.suptitle(f'{name}: max over {num_k} keypoint heatmaps')
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _tag_maps(path: str, name: str, net_in: np.ndarray,
              levels: Sequence[torch.Tensor], num_k: int,
              kpt_names: Sequence[str]) -> None:
    """The tag maps of a few joints on the tagged levels, opaque where the
    joint's heatmap is confident."""
    import matplotlib.pyplot as plt
    show_k = [0, 5, 6, 9, 10, 15] if num_k == 17 else list(
        range(min(6, num_k)))
    tag_levels = [(i, lv) for i, lv in enumerate(levels)
                  if lv.shape[1] > num_k]
    rows = max(1, len(tag_levels))
    fig, axes = plt.subplots(rows, len(show_k) + 1,
                             figsize=(2.6 * (len(show_k) + 1), 2.8 * rows),
                             squeeze=False)
    for row, (i, lv) in enumerate(tag_levels):
        hms = lv[0, :num_k].cpu().numpy()
        tags = lv[0, num_k:].cpu().numpy()
        axes[row, 0].imshow(net_in)
        axes[row, 0].set_title(f'level {i} tags', fontsize=9)
        for col, k in enumerate(show_k, start=1):
            t = tags[k if tags.shape[0] > 1 else 0]
            conf = np.clip(hms[k] / max(float(hms[k].max()), 1e-6), 0, 1)
            lim = max(float(np.abs(t).max()), 1e-6)
            ax = axes[row, col]
            im = ax.imshow(t, cmap='coolwarm', vmin=-lim, vmax=lim,
                           alpha=0.25 + 0.75 * conf)
            ax.set_title(kpt_names[k], fontsize=9)
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    for ax in axes.flat:
        ax.axis('off')
    fig.suptitle(f'{name}: tag maps (opaque where the heatmap is confident)')
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
