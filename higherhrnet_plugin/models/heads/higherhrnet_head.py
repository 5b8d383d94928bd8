"""HigherHRNet head (multi-resolution heatmaps + associative embedding)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.structures import InstanceData, PixelData
from torch import Tensor

from mmpose.models.backbones.resnet import BasicBlock
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import (ConfigType, Features, OptConfigType,
                                 OptSampleList, Predictions)

from ..utils.heatmap_aggregation import (TestView, aggregate_views,
                                         batch_input_size)


def _deconv_cfg(kernel_size: int) -> Tuple[int, int]:
    """Padding and output padding of a stride-2 deconv (as the original)."""
    if kernel_size == 4:
        return 1, 0
    if kernel_size == 3:
        return 1, 1
    if kernel_size == 2:
        return 0, 0
    raise ValueError(f'Unsupported deconv kernel size {kernel_size}')


@MODELS.register_module()
class HigherHRNetHead(BaseHead):
    """HigherHRNet head: `HigherHRNet: Scale-Aware Representation Learning
    for Bottom-Up Human Pose Estimation <https://arxiv.org/abs/1908.10357>`_.

    Level 0 is a 1x1 conv on the 1/4-resolution backbone feature to K
    heatmaps (+ K_t tag maps when ``with_ae_loss[0]``; K_t = K with
    ``tag_per_keypoint``, else 1). Every further level ``i`` takes the
    previous level's features, concatenated with the previous level's whole
    output (heatmaps and tags, as the original code does) when
    ``cat_output[i]``, then ConvTranspose2d(stride 2, no bias) + BN + ReLU,
    ``num_basic_blocks`` basic blocks, and a 1x1 conv to K heatmaps
    (+ K_t tag maps when ``with_ae_loss[i + 1]``).

    Module names follow the original implementation (``final_layers.{i}``,
    ``deconv_layers.{i}.0.{0,1}`` for deconv/BN and
    ``deconv_layers.{i}.{j}.0`` for the basic blocks), so an original
    checkpoint's head keys map one to one.

    Shapes, for a (B, C, H/4, W/4) input feature (an input image of H x W,
    ``H/4`` meaning the backbone's 1/4 size, i.e. ``ceil(H/4)``):

    - level 0: (B, K + K_t, H/4, W/4), or (B, K, H/4, W/4) without tags
    - level i: (B, K (+ K_t), 2**i * H/4, 2**i * W/4)

    Args:
        in_channels (int): channels of the 1/4-resolution feature.
        num_keypoints (int): K.
        tag_per_keypoint (bool): one tag map per keypoint (True) or a
            single one. Defaults to True.
        num_deconv_layers (int): extra resolutions. 0 gives the plain
            HRNet + AE baseline. Defaults to 1.
        deconv_channels (Sequence[int]): channels of each deconv level.
            Defaults to (32, ).
        deconv_kernel_size (int | Sequence[int]): Defaults to 4.
        cat_output (Sequence[bool]): concatenate the previous output to the
            features before each deconv. Defaults to (True, ).
        num_basic_blocks (int): basic blocks after each deconv. Defaults to 4.
        with_ae_loss (Sequence[bool]): per level (length
            ``num_deconv_layers + 1``): whether the level predicts tags
            (and so has the AE loss; the head hands it to ``loss``).
            Defaults to (True, False).
        final_conv_kernel (int): 1 or 3. Defaults to 1.
        loss (dict): config of the loss module. Defaults to
            ``dict(type='MultiResolutionHeatmapLoss')``.
        decoder (dict, optional): codec config for decoding.
        init_cfg (dict | list, optional): Defaults to normal(std=0.001)
            convs/deconvs and constant BN, as the original.
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 tag_per_keypoint: bool = True,
                 num_deconv_layers: int = 1,
                 deconv_channels: Sequence[int] = (32, ),
                 deconv_kernel_size: Union[int, Sequence[int]] = 4,
                 cat_output: Sequence[bool] = (True, ),
                 num_basic_blocks: int = 4,
                 with_ae_loss: Sequence[bool] = (True, False),
                 final_conv_kernel: int = 1,
                 loss: ConfigType = dict(type='MultiResolutionHeatmapLoss'),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        if init_cfg is None:
            init_cfg = [
                dict(
                    type='Normal',
                    layer=['Conv2d', 'ConvTranspose2d'],
                    std=0.001,
                    bias=0),
                dict(type='Constant', layer='BatchNorm2d', val=1, bias=0)
            ]
        super().__init__(init_cfg)

        if isinstance(deconv_kernel_size, int):
            deconv_kernel_size = (deconv_kernel_size, ) * num_deconv_layers
        deconv_channels = tuple(deconv_channels)
        cat_output = tuple(cat_output)
        with_ae_loss = tuple(with_ae_loss)
        assert len(deconv_channels) >= num_deconv_layers
        assert len(cat_output) >= num_deconv_layers
        assert len(deconv_kernel_size) >= num_deconv_layers
        assert len(with_ae_loss) >= num_deconv_layers + 1, (
            'with_ae_loss needs one entry per level')
        assert final_conv_kernel in (1, 3)

        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.tag_per_keypoint = tag_per_keypoint
        self.num_deconv_layers = num_deconv_layers
        self.deconv_channels = deconv_channels
        self.cat_output = cat_output
        self.with_ae_loss = with_ae_loss[:num_deconv_layers + 1]
        self.dim_tag = num_keypoints if tag_per_keypoint else 1
        self.final_layers, self.deconv_layers = self._make_layers(
            deconv_kernel_size, num_basic_blocks, final_conv_kernel)

        if 'with_ae_loss' in loss:
            raise ValueError('HigherHRNetHead: set with_ae_loss on the head '
                             'only; it builds its loss with it')
        self.loss_module = MODELS.build(
            dict(loss, with_ae_loss=self.with_ae_loss))
        self.decoder = KEYPOINT_CODECS.build(decoder) \
            if decoder is not None else None

    def _out_channels(self, level: int) -> int:
        """K heatmaps, + K_t tag maps where ``level`` has the AE loss."""
        return self.num_keypoints + (self.dim_tag
                                     if self.with_ae_loss[level] else 0)

    def _make_layers(self, deconv_kernel_size: Sequence[int],
                     num_basic_blocks: int, final_conv_kernel: int
                     ) -> Tuple[nn.ModuleList, nn.ModuleList]:
        """The 1x1 (or 3x3) output conv of every level and the deconv stage
        before each further level, created in the original's order."""
        pad = 1 if final_conv_kernel == 3 else 0
        final_layers = [
            nn.Conv2d(
                self.in_channels,
                self._out_channels(0),
                kernel_size=final_conv_kernel,
                padding=pad)
        ]
        deconv_layers = []
        channels = self.in_channels
        for i in range(self.num_deconv_layers):
            if self.cat_output[i]:
                channels += self._out_channels(i)
            out_ch = self.deconv_channels[i]
            deconv_layers.append(
                self._make_deconv_stage(channels, out_ch,
                                        deconv_kernel_size[i],
                                        num_basic_blocks))
            final_layers.append(
                nn.Conv2d(
                    out_ch,
                    self._out_channels(i + 1),
                    kernel_size=final_conv_kernel,
                    padding=pad))
            channels = out_ch
        return nn.ModuleList(final_layers), nn.ModuleList(deconv_layers)

    @staticmethod
    def _make_deconv_stage(in_channels: int, out_channels: int,
                           kernel_size: int,
                           num_basic_blocks: int) -> nn.Sequential:
        """ConvTranspose2d(stride 2, no bias) + BN + ReLU, then the basic
        blocks, named as the original's ``deconv_layers.{i}``."""
        padding, output_padding = _deconv_cfg(kernel_size)
        layers = [
            nn.Sequential(
                nn.ConvTranspose2d(
                    in_channels,
                    out_channels,
                    kernel_size=kernel_size,
                    stride=2,
                    padding=padding,
                    output_padding=output_padding,
                    bias=False), nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True))
        ]
        for _ in range(num_basic_blocks):
            layers.append(
                nn.Sequential(BasicBlock(out_channels, out_channels)))
        return nn.Sequential(*layers)

    def forward(self, feats: Union[Tensor, Sequence[Tensor]]) -> List[Tensor]:
        """Forward the head.

        Args:
            feats (Tensor | Sequence[Tensor]): backbone output; the first
                (highest-resolution, 1/4) feature map (B, C, h, w) is used.

        Returns:
            list[Tensor]: per level ``i``: (B, K (+ K_t), 2**i*h, 2**i*w):
            heatmaps first, then tags on the levels with ``with_ae_loss``.
        """
        x = feats if isinstance(feats, Tensor) else feats[0]
        y = self.final_layers[0](x)
        outputs = [y]
        for i in range(self.num_deconv_layers):
            if self.cat_output[i]:
                x = torch.cat((x, y), dim=1)
            x = self.deconv_layers[i](x)
            y = self.final_layers[i + 1](x)
            outputs.append(y)
        return outputs

    def aggregate(self,
                  views: Sequence[TestView],
                  input_size: Tuple[int, int],
                  flip_indices: Optional[Sequence[int]] = None,
                  heatmap_levels: str = 'all') -> Tuple[Tensor, Tensor]:
        """Aggregate the level outputs of any set of test views.

        The one aggregation of the test path: :meth:`predict` and
        :meth:`FlipBatchBottomupPoseEstimator.forward_views` (the
        estimator's predict, :class:`HeatmapAggregationTTA` and the exported
        ONNX graph) call it.
        Per pass the levels are resized to the last level and averaged, a
        flip pass is flipped back with its joints swapped, every pass is
        projected to ``input_size``, heatmaps are averaged over flips and
        scales and the scale-1 tags stacked, in the original's order of
        operations (:func:`aggregate_views`).

        Args:
            views (Sequence[TestView]): per scale, the outputs of
                :meth:`forward` on the view and (flip test) on its
                horizontal flip, each level ``(N, C_l, h_l, w_l)``.
            input_size (tuple): (w, h) of the scale-1 network input.
            flip_indices (Sequence[int], optional): the dataset's joint
                permutation under a horizontal flip; needed with flip
                outputs.
            heatmap_levels (str): ``'all'`` (heatmap aggregation) or
                ``'last'`` (the highest resolution alone).

        Returns:
            tuple: heatmaps (N, K, H, W) and tags (N, K_t, H, W, T) at
            ``input_size``: K_t tag maps, T stacked tag values a pixel (2
            with flip test, else 1; the decoder's T).
        """
        return aggregate_views(views, input_size, self.num_keypoints,
                               flip_indices, self.with_ae_loss,
                               heatmap_levels)

    def predict_views(self,
                      views: Sequence[TestView],
                      batch_data_samples: OptSampleList,
                      test_cfg: OptConfigType = {}) -> Predictions:
        """Aggregate test views (:meth:`aggregate`) and group people
        (:meth:`predict_aggregated`).

        Args:
            views (Sequence[TestView]): see :meth:`aggregate`.
            batch_data_samples (list[PoseDataSample]): the scale-1 view's;
                every sample needs the same ``input_size`` (w, h) (images of
                one batch share their test-time shape) and, with flip
                outputs, ``flip_indices``.
            test_cfg (dict): ``heatmap_levels`` (``'all'``/``'last'``,
                default ``'all'``) and the options of
                :meth:`predict_aggregated`.

        Returns:
            See :meth:`predict_aggregated`.
        """
        test_cfg = test_cfg or {}
        with torch.no_grad():
            heatmaps, tags = self.aggregate(
                views, batch_input_size(batch_data_samples),
                batch_data_samples[0].metainfo.get('flip_indices'),
                test_cfg.get('heatmap_levels', 'all'))
        return self.predict_aggregated(heatmaps, tags, test_cfg)

    def predict_aggregated(self,
                           heatmaps: Tensor,
                           tags: Tensor,
                           test_cfg: OptConfigType = {}) -> Predictions:
        """Group people in aggregated heatmaps and tags.

        Args:
            heatmaps (Tensor): (N, K, H, W), as :meth:`aggregate` gives them.
            tags (Tensor): (N, K_t, H, W, T), likewise.
            test_cfg (dict): ``output_heatmaps`` (default False).

        Returns:
            list[InstanceData] (and list[PixelData] with
            ``output_heatmaps``): per image ``keypoints`` (n, K, 2) in
            input pixels, ``keypoint_scores`` (n, K) and ``bbox_scores``
            (n,) (the original pose score); the fields hold ``heatmaps``
            (K, H, W) and ``tags`` (K_t*T, H, W).
        """
        if self.decoder is None:
            raise RuntimeError('HigherHRNetHead: set `decoder` to predict')
        keypoints, keypoint_scores, instance_scores = \
            self.decoder.batch_decode(heatmaps, tags)
        preds = [
            InstanceData(
                keypoints=kpts, keypoint_scores=kscores, bbox_scores=iscores)
            for kpts, kscores, iscores in zip(keypoints, keypoint_scores,
                                              instance_scores)
        ]
        if (test_cfg or {}).get('output_heatmaps', False):
            fields = [
                PixelData(heatmaps=h, tags=t.permute(3, 0, 1, 2).flatten(0, 1))
                for h, t in zip(heatmaps, tags)
            ]
            return preds, fields
        return preds

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: OptConfigType = {}) -> Predictions:
        """Predict poses as the original HigherHRNet test (single scale).

        Args:
            feats (Features): backbone features in the forms
                :class:`BottomupPoseEstimator` gives them:

                - ``Tuple[Tensor]`` (or a Tensor, or a list of Tensors):
                  one pass, without ``test_cfg.flip_test``;
                - ``[feats, feats_flip]`` with ``test_cfg.flip_test``: the
                  features of the input and of its horizontal flip, each in
                  one of the forms above.

                Multi-scale test is :class:`HeatmapAggregationTTA`'s.
            batch_data_samples (list[PoseDataSample]): see
                :meth:`predict_views`.
            test_cfg (dict): ``flip_test`` (default False, as
                :class:`BottomupPoseEstimator`), and the options of
                :meth:`predict_views`.

        Returns:
            See :meth:`predict_views`.
        """
        test_cfg = test_cfg or {}
        assert not test_cfg.get('multiscale_test', False), (
            'HigherHRNetHead: multi-scale test is HeatmapAggregationTTA\'s '
            '(tools/test.py --tta)')
        if test_cfg.get('flip_test', False):
            assert isinstance(feats, list) and len(feats) == 2, (
                'flip test expects [feats, feats_flip]')
            view = TestView(1.0, self.forward(feats[0]),
                            self.forward(feats[1]))
        else:
            assert isinstance(feats, (Tensor, tuple, list)), type(feats)
            view = TestView(1.0, self.forward(feats))
        return self.predict_views([view], batch_data_samples, test_cfg)

    def loss(self,
             feats: Union[Tensor, Sequence[Tensor]],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Losses from a batch of features and data samples.

        Targets are read from each data sample as packed by
        ``GenerateTarget(encoder=AssociativeEmbeddingCodec)``,
        ``BottomupGetMultiLevelHeatmapMask`` and ``PackPoseInputs``:

        - ``gt_fields`` (``MultilevelPixelData``): level ``i`` has
          ``heatmaps`` (K, H_i, W_i) and optionally ``heatmap_mask``
          (H_i, W_i) (all ones when absent);
        - ``gt_instance_labels.keypoint_indices`` (M, K, 2), used on the
          levels with ``with_ae_loss`` (the codec's ``tag_level``).

        Returns:
            dict: ``loss_heatmap``, ``loss_push``, ``loss_pull`` (batch
            means, summed over levels).
        """
        outputs = self.forward(feats)
        num_levels = len(outputs)
        heatmaps, masks = [], []
        for i in range(num_levels):
            hms, mks = [], []
            for d in batch_data_samples:
                fields = d.gt_fields
                level = fields[i] if hasattr(fields, 'nlevel') else fields
                hm = level.heatmaps
                hms.append(hm)
                if 'heatmap_mask' in level:
                    mk = level.heatmap_mask
                    mks.append(mk.reshape(hm.shape[-2:]))
                else:
                    mks.append(hm.new_ones(hm.shape[-2:]))
            device = outputs[i].device
            heatmaps.append(torch.stack(hms).to(device).float())
            masks.append(torch.stack(mks).to(device).float())

        keypoint_indices = None
        if any(self.with_ae_loss):
            keypoint_indices = [
                d.gt_instance_labels.keypoint_indices.to(outputs[0].device)
                for d in batch_data_samples
            ]
        return self.loss_module(outputs, heatmaps, masks, keypoint_indices)

