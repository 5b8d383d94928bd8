"""The model's poses on the same val images after every validation, so that
a reader sees it learn: ``<work_dir>/<out_dir>/epoch_<n>_<image>.png`` for
every validated epoch ``n``, and ``strip_<image>.png``, the epochs so far
side by side (refreshed after each validation, so an interrupted run keeps
one). Only rank 0 draws and writes them."""
import glob
import os
import os.path as osp
import re
from typing import Dict, Optional

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpose.registry import HOOKS

from ...visualization.pose_pictures import (draw_pose, draw_strip,
                                            image_name, predict_image)


@HOOKS.register_module()
class EpochPosesHook(Hook):
    """Draw the predicted poses on the first ``num_images`` val images
    after each validation epoch.

    Args:
        num_images (int): val images drawn (the first ones, so every epoch
            draws the same). Defaults to 1.
        out_dir (str): folder under the work dir. Defaults to
            ``'vis/epochs'``.
        max_strip (int): most epochs in a strip, evenly spaced from the
            first to the last validated. Defaults to 6.
        kpt_thr (float): keypoints scored below are not drawn. Defaults to
            0.1.
    """
    priority = 'LOW'  # after the checkpoint and logger hooks

    def __init__(self,
                 num_images: int = 1,
                 out_dir: str = 'vis/epochs',
                 max_strip: int = 6,
                 kpt_thr: float = 0.1) -> None:
        if num_images < 1 or max_strip < 2:
            raise ValueError(f'EpochPosesHook: num_images must be >= 1 and '
                             f'max_strip >= 2, got {num_images} and '
                             f'{max_strip}')
        self.num_images = num_images
        self.out_dir = out_dir
        self.max_strip = max_strip
        self.kpt_thr = kpt_thr

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if not is_main_process():
            return
        # as LoggerHook: a validation outside training is epoch 0
        epoch = 0 if isinstance(runner._train_loop, dict) or \
            runner._train_loop is None else runner.epoch
        out_dir = osp.join(runner.work_dir, self.out_dir)
        os.makedirs(out_dir, exist_ok=True)
        dataset = runner.val_dataloader.dataset
        # the module itself: a DDP forward on one rank would wait for the
        # others
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        was_training = model.training
        model.eval()
        runner.visualizer.set_dataset_meta(dataset.metainfo)
        try:
            for idx in range(min(self.num_images, len(dataset))):
                _, _, sample = predict_image(model, dataset, idx)
                name = image_name(sample)
                draw_pose(runner.visualizer, sample,
                          osp.join(out_dir, f'epoch_{epoch}_{name}.png'),
                          self.kpt_thr)
                self._refresh_strip(out_dir, name)
        finally:
            model.train(was_training)

    def _refresh_strip(self, out_dir: str, name: str) -> None:
        pattern = re.compile(rf'epoch_(\d+)_{re.escape(name)}\.png$')
        found = {}
        for path in glob.glob(osp.join(glob.escape(out_dir),
                                       f'epoch_*_{glob.escape(name)}.png')):
            m = pattern.search(osp.basename(path))
            if m:
                found[int(m.group(1))] = path
        epochs = sorted(found)
        if len(epochs) > self.max_strip:
            picks = np.linspace(0, len(epochs) - 1, self.max_strip)
            epochs = [epochs[i] for i in sorted(set(np.round(picks)
                                                    .astype(int)))]
        draw_strip([found[e] for e in epochs], [f'epoch {e}' for e in epochs],
                   osp.join(out_dir, f'strip_{name}.png'))
