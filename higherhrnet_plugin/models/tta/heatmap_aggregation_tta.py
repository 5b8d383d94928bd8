"""Multi-scale + flip test of the original HigherHRNet as a TTA model."""
from typing import List, Sequence, Union

import torch
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData

from mmpose.registry import MODELS
from mmpose.utils.typing import SampleList

from ..utils.heatmap_aggregation import batch_input_size


@MODELS.register_module()
class HeatmapAggregationTTA(BaseTTAModel):
    """Aggregate the heatmaps and tags of several test views, then group once.

    MMSeg's ``SegTTAModel`` and MMDet's ``DetTTAModel`` keep
    :meth:`BaseTTAModel.test_step`, which runs the wrapped model's
    ``test_step`` on every view, and merge the finished predictions in
    ``merge_preds``. That cannot reproduce the original HigherHRNet: its
    multi-scale test averages the *heatmaps* of all views and groups people
    once, and people grouped per view cannot be merged back into that
    result. So :meth:`test_step` preprocesses every view and runs them all
    in one call of the estimator's
    :meth:`~FlipBatchBottomupPoseEstimator.forward_views` (per scale one
    forward, of the images and their flips as a 2N batch with
    ``flip_test``), which aggregates them as the original (projected to the
    scale-1 input size, heatmaps averaged over flips and scales, scale-1
    tags stacked). Each image's aggregated maps ride in its scale-1 sample's
    ``pred_fields`` to :meth:`merge_preds`, which keeps
    :meth:`BaseTTAModel.merge_preds`' signature and groups people once. The
    people are mapped back to the image with the scale-1 view's
    ``input_center`` and ``input_scale``.

    The test pipeline (``tta_pipeline``: ``TestTimeAug`` with one
    ``BottomupOriginalResize`` per scale, see the configs) gives one view
    per scale, in the order of ``scales``. The images of a batch must share
    their test-time shape at every scale.

    Args:
        module (dict | nn.Module): a :class:`FlipBatchBottomupPoseEstimator`
            whose head is a :class:`HigherHRNetHead`.
        scales (Sequence[float]): scale of each view, in pipeline order.
            Defaults to (2, 1, 0.5). One of them must be 1.
        flip_test (bool): add the flip pass of every view. Defaults to True.
        data_preprocessor: passed to :class:`BaseTTAModel`.
    """

    def __init__(self,
                 module,
                 scales: Sequence[float] = (2, 1, 0.5),
                 flip_test: bool = True,
                 data_preprocessor=None):
        super().__init__(module=module, data_preprocessor=data_preprocessor)
        self.scales = [float(s) for s in scales]
        assert 1.0 in self.scales, 'HeatmapAggregationTTA: a scale must be 1'
        self.flip_test = flip_test

    def test_step(self, data: Union[dict, tuple, list]) -> SampleList:
        """Run and aggregate every view, then :meth:`merge_preds`.

        Args:
            data (dict | tuple | list): as :meth:`BaseTTAModel.test_step`
                takes it: per key (or per item), one entry per view.

        Returns:
            list[PoseDataSample]: the scale-1 view's samples with
            ``pred_instances`` in image pixels.
        """
        if isinstance(data, dict):
            num_views = len(data[next(iter(data))])
            views = [{k: v[i] for k, v in data.items()}
                     for i in range(num_views)]
        else:
            views = [[d[i] for d in data] for i in range(len(data[0]))]
        assert len(views) == len(self.scales), (
            f'HeatmapAggregationTTA: {len(views)} views for scales '
            f'{self.scales}')
        views = [self.module.data_preprocessor(view, False) for view in views]
        samples = views[self.scales.index(1.0)]['data_samples']
        flip_indices = samples[0].metainfo['flip_indices'] \
            if self.flip_test else None
        with torch.no_grad():
            heatmaps, tags = self.module.forward_views(
                [view['inputs'] for view in views], self.scales,
                batch_input_size(samples), flip_indices,
                self.module.test_cfg.get('heatmap_levels', 'all'))
        for sample, sample_heatmaps, sample_tags in zip(samples, heatmaps,
                                                        tags):
            # PixelData holds (C, H, W): the T stacked tag values of a pixel
            # go to the channels, as the head's ``output_heatmaps`` fields
            sample.pred_fields = PixelData(
                heatmaps=sample_heatmaps,
                tags=sample_tags.permute(3, 0, 1, 2).flatten(0, 1))
        return self.merge_preds([[sample] for sample in samples])

    def merge_preds(self, data_samples_list: List[SampleList]) -> SampleList:
        """Group people once in each image's aggregated heatmaps and tags.

        Args:
            data_samples_list (list[list[PoseDataSample]]): per image, as
                :meth:`BaseTTAModel.merge_preds` takes them, its merged
                view: one scale-1 sample whose ``pred_fields`` hold the
                views' aggregated ``heatmaps`` (K, H, W) and ``tags``
                (T*K_t, H, W) (:meth:`test_step`; the views merge at the
                heatmaps, before grouping, so no per-view predictions exist).

        Returns:
            list[PoseDataSample]: the samples with ``pred_instances`` in
            image pixels (and ``pred_fields`` as the head gives them with
            ``test_cfg.output_heatmaps``).
        """
        samples = []
        for image_samples in data_samples_list:
            assert len(image_samples) == 1, (
                'HeatmapAggregationTTA.merge_preds: one aggregated sample an '
                f'image, got {len(image_samples)}')
            samples.append(image_samples[0])
        num_passes = 2 if self.flip_test else 1
        heatmaps = torch.stack([s.pred_fields.heatmaps for s in samples])
        tags = torch.stack([s.pred_fields.tags for s in samples]).unflatten(
            1, (num_passes, -1)).permute(0, 2, 3, 4, 1).contiguous()
        for sample in samples:
            del sample.pred_fields
        preds = self.module.head.predict_aggregated(heatmaps, tags,
                                                    self.module.test_cfg)
        instances, fields = preds if isinstance(preds, tuple) else (preds,
                                                                    None)
        return self.module.add_pred_to_datasample(instances, fields, samples)
