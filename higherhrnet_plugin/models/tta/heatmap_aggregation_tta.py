"""Multi-scale + flip test of the original HigherHRNet as a TTA model."""
from typing import List, Sequence, Union

import torch
from mmengine.model import BaseTTAModel

from mmpose.registry import MODELS
from mmpose.utils.typing import SampleList

from ..pose_estimators.flip_batch_bottomup import flip_batch_forward
from ..utils.heatmap_aggregation import TestView


@MODELS.register_module()
class HeatmapAggregationTTA(BaseTTAModel):
    """Aggregate the heatmaps and tags of several test views, then group once.

    MMSeg's ``SegTTAModel`` and MMDet's ``DetTTAModel`` keep
    :meth:`BaseTTAModel.test_step`, which runs the wrapped model's
    ``test_step`` on every view, and merge the finished predictions in
    ``merge_preds``. That cannot reproduce the original HigherHRNet: its
    multi-scale test averages the *heatmaps* of all views and groups people
    once, and people grouped per view cannot be merged back into that
    result. So :meth:`test_step` runs each view only up to its level
    outputs, through the estimator's public tensor forward
    (``module(inputs, None, mode='tensor')``; with ``flip_test`` one
    forward of the images and their flips as a 2N batch,
    :func:`flip_batch_forward`), and :meth:`merge_preds` is the single merge:
    :meth:`HigherHRNetHead.predict_views` aggregates the views as the
    original (projected to the scale-1 input size, heatmaps averaged over
    flips and scales, scale-1 tags stacked) and decodes once. The people are
    mapped back to the image with the scale-1 view's ``input_center`` and
    ``input_scale``.

    The test pipeline (``tta_pipeline``: ``TestTimeAug`` with one
    ``BottomupOriginalResize`` per scale, see the configs) gives one view
    per scale, in the order of ``scales``. The images of a batch must share
    their test-time shape at every scale.

    Args:
        module (dict | nn.Module): the pose estimator, whose head is a
            :class:`HigherHRNetHead`.
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
        """Run every view to its level outputs, then :meth:`merge_preds`.

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
        outputs = []
        with torch.no_grad():
            for view, scale in zip(views, self.scales):
                view = self.module.data_preprocessor(view, False)
                inputs = view['inputs']
                if self.flip_test:
                    test_view = TestView(
                        scale, *flip_batch_forward(self.module, inputs))
                else:
                    test_view = TestView(
                        scale, self.module(inputs, None, mode='tensor'))
                outputs.append((test_view, view['data_samples']))
        return self.merge_preds(outputs)

    def merge_preds(self, view_outputs: List[tuple]) -> SampleList:
        """Merge the views' heatmaps and tags and group people once.

        Args:
            view_outputs (list[tuple]): per view, its :class:`TestView` and
                its data samples.

        Returns:
            list[PoseDataSample]: the scale-1 view's samples with the
            predictions.
        """
        views = [view for view, _ in view_outputs]
        samples = next(s for view, s in view_outputs if view.scale == 1.0)
        preds = self.module.head.predict_views(views, samples,
                                               self.module.test_cfg)
        instances, fields = preds if isinstance(preds, tuple) else (preds,
                                                                    None)
        return self.module.add_pred_to_datasample(instances, fields, samples)
