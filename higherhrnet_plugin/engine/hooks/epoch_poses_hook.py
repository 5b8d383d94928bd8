"""The model's poses on the same val images after every validation, so that
a reader sees it learn: ``<work_dir>/<out_dir>/epoch_<n>_<image>.png`` for
every validated epoch ``n``, ``gt_<image>.png`` (the labelled people) and
``strip_<image>.png``, this run's epochs so far and the labels side by side
(refreshed after each validation, so an interrupted run keeps one). The hook
keeps each epoch's poses with their scores, so that :meth:`redraw` draws
them again at a threshold known only after training. Only rank 0 draws and
writes them."""
import os
import os.path as osp
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
        kpt_thr (float): keypoints scored below are not drawn (until
            :meth:`redraw` sets another). Defaults to 0.1.

    Attributes:
        poses (dict): ``{image name: {epoch: PoseDataSample}}``, the
            predictions drawn (rank 0).
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
        self.poses = {}

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
                self.poses.setdefault(name, {})[epoch] = sample
                draw_pose(runner.visualizer, sample,
                          osp.join(out_dir, f'epoch_{epoch}_{name}.png'),
                          self.kpt_thr, gt=False)
                self._refresh_strip(runner.visualizer, out_dir, sample)
        finally:
            model.train(was_training)

    def redraw(self, runner, kpt_thr: float) -> None:
        """Draw the kept poses and their strips again, joints scored below
        ``kpt_thr`` left out (rank 0; the others return)."""
        self.kpt_thr = kpt_thr
        if not is_main_process():
            return
        out_dir = osp.join(runner.work_dir, self.out_dir)
        for name, by_epoch in self.poses.items():
            for epoch, sample in by_epoch.items():
                draw_pose(runner.visualizer, sample,
                          osp.join(out_dir, f'epoch_{epoch}_{name}.png'),
                          kpt_thr, gt=False)
            self._refresh_strip(runner.visualizer, out_dir, sample)

    def _refresh_strip(self, visualizer, out_dir: str, sample) -> None:
        """The strip of ``sample``'s image: the epochs of this run drawn so
        far, then its labelled people."""
        name = image_name(sample)
        gt = osp.join(out_dir, f'gt_{name}.png')
        draw_pose(visualizer, sample, gt, pred=False)
        epochs = sorted(self.poses[name])
        if len(epochs) > self.max_strip:
            picks = np.linspace(0, len(epochs) - 1, self.max_strip)
            epochs = [epochs[i] for i in sorted(set(np.round(picks)
                                                    .astype(int)))]
        draw_strip([osp.join(out_dir, f'epoch_{e}_{name}.png')
                    for e in epochs] + [gt],
                   [f'epoch {e}' for e in epochs] + ['labels'],
                   osp.join(out_dir, f'strip_{name}.png'))
