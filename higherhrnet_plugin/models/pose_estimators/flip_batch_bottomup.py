"""A bottom-up estimator that owns its test views: every scale's image and
its flip as one forward of a 2N batch, aggregated by the head."""
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from mmpose.models.pose_estimators import BottomupPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import SampleList

from ..utils.heatmap_aggregation import TestView, batch_input_size


@MODELS.register_module()
class FlipBatchBottomupPoseEstimator(BottomupPoseEstimator):
    """MMPose's :class:`BottomupPoseEstimator` whose test views (scales x
    flip) run in :meth:`forward_views`, with the flip test as one forward
    of the images and their horizontal flips stacked into a batch of 2N.

    :meth:`forward_views` is the one test forward: :meth:`predict` (the
    scale-1 view), :class:`HeatmapAggregationTTA` (every scale) and the
    exported ONNX graph (:class:`ExportableHigherHRNet`) call it.

    ``BottomupPoseEstimator.predict`` calls the backbone twice with flip
    test, on the N images and on their flips. In eval mode BatchNorm uses
    its running statistics, so an image's outputs do not depend on the rest
    of its batch, and the head's level outputs split into the plain and the
    flip halves of a :class:`TestView`: half the calls, twice the batch.

    Measured on CPU (PyTorch 2.14, oneDNN): bit-identical to two forwards
    of N images for N >= 2; for N = 1 oneDNN picks other convolution
    kernels for a batch of one, so two batch-1 forwards differ from one
    batch-2 forward in the last bits, and with this class every batch size
    gives bit-identical outputs (docs/batched_testing.md).

    ``test_cfg``: ``flip_test`` (default False), ``heatmap_levels`` and
    ``output_heatmaps`` (see :meth:`HigherHRNetHead.predict_views`).
    MMPose's ``multiscale_test`` is :class:`HeatmapAggregationTTA`'s here.
    """

    def forward_views(self,
                      inputs: Sequence[Tensor],
                      scales: Sequence[float],
                      input_size: Tuple[int, int],
                      flip_indices: Optional[Sequence[int]] = None,
                      heatmap_levels: str = 'all') -> Tuple[Tensor, Tensor]:
        """Run the test views and aggregate them
        (:meth:`HigherHRNetHead.aggregate`).

        Each view is one forward (backbone and head): of its N images, or
        with ``flip_indices`` of the images and their horizontal flips as a
        2N batch.

        Args:
            inputs (Sequence[Tensor]): per view, the preprocessed images
                (N, C, H_s, W_s).
            scales (Sequence[float]): the scale of each view; one must be 1
                unless there is a single view.
            input_size (tuple): (w, h) of the scale-1 view; the maps are
                projected to it. The export passes traced sizes (no
                ``int()``), which keeps H and W dynamic in the graph.
            flip_indices (Sequence[int], optional): the dataset's joint
                permutation under a horizontal flip; given, every view
                adds its flip pass.
            heatmap_levels (str): ``'all'`` or ``'last'``, see
                :meth:`HigherHRNetHead.aggregate`.

        Returns:
            tuple: heatmaps (N, K, H, W) and tags (N, K_t, H, W, T) at
            ``input_size`` (T = 2 with flip pass, else 1).
        """
        views = []
        for x, scale in zip(inputs, scales):
            if flip_indices is None:
                views.append(
                    TestView(scale, self.head.forward(self.extract_feat(x))))
                continue
            num = x.shape[0]
            outputs = self.head.forward(
                self.extract_feat(torch.cat([x, x.flip(-1)])))
            views.append(
                TestView(scale, [out[:num] for out in outputs],
                         [out[num:] for out in outputs]))
        return self.head.aggregate(views, input_size, flip_indices,
                                   heatmap_levels)

    def predict(self, inputs: Union[Tensor, list],
                data_samples: SampleList) -> SampleList:
        """Predict poses on the scale-1 view (:meth:`forward_views`).

        Args:
            inputs (Tensor): (N, C, H, W), the images of one input shape.
            data_samples (list[PoseDataSample]): their samples, with
                ``input_size`` (w, h), ``input_center``, ``input_scale``
                and (flip test) ``flip_indices`` in their metainfo.

        Returns:
            list[PoseDataSample]: with ``pred_instances`` in image pixels
            (and ``pred_fields`` with ``test_cfg.output_heatmaps``).
        """
        if self.test_cfg.get('multiscale_test', False):
            raise ValueError(
                'FlipBatchBottomupPoseEstimator: test_cfg.multiscale_test: '
                'multi-scale test is HeatmapAggregationTTA\'s '
                '(tools/test.py --tta)')
        assert isinstance(inputs, Tensor), (
            'FlipBatchBottomupPoseEstimator: predict takes one (N, C, H, W) '
            'batch')
        flip_indices = data_samples[0].metainfo['flip_indices'] \
            if self.test_cfg.get('flip_test', False) else None
        with torch.no_grad():
            heatmaps, tags = self.forward_views(
                [inputs], [1.0], batch_input_size(data_samples),
                flip_indices, self.test_cfg.get('heatmap_levels', 'all'))
        preds = self.head.predict_aggregated(heatmaps, tags, self.test_cfg)
        instances, fields = preds if isinstance(preds, tuple) else (preds,
                                                                    None)
        return self.add_pred_to_datasample(instances, fields, data_samples)
