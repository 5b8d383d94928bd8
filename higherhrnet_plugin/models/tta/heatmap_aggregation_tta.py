"""Multi-scale + flip test of the original HigherHRNet as a TTA model."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseTTAModel

from mmpose.registry import MODELS

from ..heads.higherhrnet_head import decode_aggregated


@MODELS.register_module()
class HeatmapAggregationTTA(BaseTTAModel):
    """Aggregate the heatmaps/tags of several test views, then decode once.

    The test pipeline (``tta_pipeline``: ``TestTimeAug`` with one
    ``BottomupOriginalResize`` per scale) gives one view per scale, in the
    order of ``scales``. For each view the wrapped
    :class:`BottomupPoseEstimator`'s backbone and head run on the image and,
    with ``flip_test``, on its horizontal flip. As the original: per pass
    the levels are averaged at the last level's size, flip passes flipped
    back (joints swapped), everything resized to the scale-1 input size,
    heatmaps averaged over flips and scales, the scale-1 tags (plain,
    flipped) stacked; one grouping gives the people, mapped back to the
    image with the scale-1 view's ``input_center``/``input_scale``.

    Args:
        module (dict | nn.Module): the pose estimator.
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

    def _views(self, data) -> List[dict]:
        if isinstance(data, dict):
            num = len(data[next(iter(data))])
            return [{k: v[i] for k, v in data.items()} for i in range(num)]
        num = len(data[0])
        return [[d[i] for d in data] for i in range(num)]

    def test_step(self, data):
        views = self._views(data)
        assert len(views) == len(self.scales), (
            f'HeatmapAggregationTTA: {len(views)} views for scales '
            f'{self.scales}')
        pose = self.module
        head = pose.head
        passes = []
        base_samples = None
        with torch.no_grad():
            for view, scale in zip(views, self.scales):
                view = pose.data_preprocessor(view, False)
                inputs = view['inputs']
                samples = view['data_samples']
                outs = [head.forward(pose.extract_feat(inputs))]
                if self.flip_test:
                    outs.append(head.forward(pose.extract_feat(
                        inputs.flip(-1))))
                passes.append(outs)
                if scale == 1.0:
                    base_samples = samples
        meta = base_samples[0].metainfo
        flip_indices = meta.get('flip_indices') if self.flip_test else None
        base_size = (int(meta['input_size'][0]), int(meta['input_size'][1]))
        test_cfg = pose.test_cfg or {}
        preds = decode_aggregated(
            head.decoder, passes, self.scales, base_size, head.num_keypoints,
            flip_indices, head.with_ae_loss,
            test_cfg.get('output_heatmaps', False))
        if isinstance(preds, tuple):
            instances, fields = preds
        else:
            instances, fields = preds, None
        return pose.add_pred_to_datasample(instances, fields, base_samples)

    def merge_preds(self, data_samples_list):
        """Unused: :meth:`test_step` aggregates before decoding."""
        raise NotImplementedError(
            'HeatmapAggregationTTA aggregates heatmaps in test_step')


def build_tta_pipeline(input_size: int,
                       scales: Sequence[float] = (2, 1, 0.5),
                       meta_keys: Optional[Sequence[str]] = None) -> list:
    """A ``tta_pipeline`` matching :class:`HeatmapAggregationTTA`."""
    pack = dict(type='PackPoseInputs')
    if meta_keys is not None:
        pack['meta_keys'] = tuple(meta_keys)
    return [
        dict(type='LoadImage'),
        dict(
            type='TestTimeAug',
            transforms=[[
                dict(
                    type='BottomupOriginalResize',
                    input_size=input_size,
                    scale=s,
                    min_scale=min(scales)) for s in scales
            ], [pack]])
    ]
