"""Multi-resolution heatmap + associative-embedding loss of HigherHRNet."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.utils.rnn import pad_sequence

from mmpose.registry import MODELS


@MODELS.register_module()
class MultiResolutionHeatmapLoss(nn.Module):
    """The training loss of HigherHRNet (the original ``MultiLossFactory``).

    For every output level ``i`` the prediction ``outputs[i]`` has shape
    (B, K + T_i, H_i, W_i): K heatmaps, then T_i tag maps (T_i = K with one tag
    per keypoint, 1 with a single tag map, 0 on levels without AE loss).

    All terms are computed in fp32 whatever the prediction's dtype (under
    ``torch.autocast`` the prediction is cast up, the targets are never cast
    down), and with no host synchronisation.

    * Heatmap loss, per image and per level: the mean over keypoints and
      pixels of ``mask * (pred - gt) ** 2``, multiplied by
      ``heatmap_weights[i]``.
    * Associative-embedding loss ('exp' form) on the levels with
      ``with_ae_loss[i]``, per image: the tags are gathered from the flattened
      tag maps (shape (T_i*H_i*W_i,)) at ``keypoint_indices[..., 0]`` where
      ``keypoint_indices[..., 1] > 0``.  With ``N`` people that have at least
      one valid keypoint and ``m_n`` a person's mean tag:

      - pull = mean over people of the mean over the person's joints of
        ``(tag - m_n) ** 2``,
      - push = ``0.5 * (sum_{n,n'} exp(-(m_n - m_n')**2) - N) / (N*(N-1))``
        (sum over all ordered pairs including the diagonal, which is then
        removed by ``- N``); 0 for ``N < 2``. With ``ae_loss_type='max'``
        the hinge form ``sum(relu(1 - |d|)) - N`` is used instead.

      Both multiplied by ``push_loss_weights[i]`` / ``pull_loss_weights[i]``.

    Differences from MMPose 1.3.2's ``AssociativeEmbeddingLoss``
    (``mmpose/models/losses/ae_loss.py``):

    - keypoint indices address the whole flattened tag tensor,
      ``k*H*W + y*W + x`` (the original ``JointsGenerator`` format), not
      ``y*W + x`` within the keypoint's own map;
    - push loss removes the diagonal (``- N``) before normalising by
      ``N*(N-1)`` and is multiplied by 0.5; MMPose keeps the N diagonal
      terms ``exp(0) = 1`` in the sum (so its push loss never goes below
      ``1/(N-1)``) and scales by ``push_loss_factor``;
    - no ``eps`` in the normalisation, and exactly 0 (not an eps-scaled
      value) for fewer than two people;
    - separate per-level push/pull weights (1e-3 by default, the W32 COCO
      setting) instead of one ``loss_weight``;
    - it also computes the per-level masked heatmap MSE (MMPose's
      ``AEHead`` uses a separate ``KeypointMSELoss``) and returns per-image
      values, as the original does.

    Args:
        heatmap_weights (Sequence[float]): heatmap loss weight per level.
            Defaults to (1.0, 1.0).
        with_ae_loss (Sequence[bool]): AE loss per level; exactly one level
            has it when the loss gets ``keypoint_indices``. In a model,
            :class:`HigherHRNetHead` builds its loss with its own
            ``with_ae_loss`` (the levels it gives tag maps), so a config
            sets it on the head only. Defaults to (True, False).
        push_loss_weights (Sequence[float]): per level. Defaults to
            (1e-3, 1e-3).
        pull_loss_weights (Sequence[float]): per level. Defaults to
            (1e-3, 1e-3).
        ae_loss_type (str): ``'exp'`` (default) or ``'max'``.
    """

    def __init__(self,
                 heatmap_weights: Sequence[float] = (1.0, 1.0),
                 with_ae_loss: Sequence[bool] = (True, False),
                 push_loss_weights: Sequence[float] = (1e-3, 1e-3),
                 pull_loss_weights: Sequence[float] = (1e-3, 1e-3),
                 ae_loss_type: str = 'exp') -> None:
        super().__init__()
        assert ae_loss_type in ('exp', 'max'), ae_loss_type
        self.heatmap_weights = tuple(heatmap_weights)
        self.with_ae_loss = tuple(with_ae_loss)
        self.push_loss_weights = tuple(push_loss_weights)
        self.pull_loss_weights = tuple(pull_loss_weights)
        self.ae_loss_type = ae_loss_type

    # ------------------------------------------------------------------
    @staticmethod
    def heatmap_loss(pred: Tensor, gt: Tensor,
                     mask: Optional[Tensor] = None) -> Tensor:
        """Masked MSE per image, in fp32.

        Args:
            pred (Tensor): (B, K, H, W) predicted heatmaps.
            gt (Tensor): (B, K, H, W) target heatmaps.
            mask (Tensor, optional): (B, H, W) or (B, 1, H, W); 1 = valid.

        Returns:
            Tensor: (B,) fp32 mean over keypoints and pixels of
            mask*(pred-gt)^2.
        """
        # the prediction is cast up, never the targets down: a bf16/fp16
        # prediction (autocast) must not round the targets
        loss = (pred.float() - gt.float())**2
        if mask is not None:
            mask = mask.float()
            if mask.dim() == 3:
                mask = mask[:, None]
            loss = loss * mask
        return loss.mean(dim=(1, 2, 3))

    def ae_loss(self, tags: Tensor,
                keypoint_indices: Union[Tensor, Sequence[Tensor]]
                ) -> Tuple[Tensor, Tensor]:
        """Per-image (unweighted) pull and push losses, in fp32.

        The whole batch at once, with no host synchronisation and no
        data-dependent branch (so ``torch.compile`` traces it in one graph):
        people with no valid joint and images with fewer than two people
        are masked out, not skipped.

        Args:
            tags (Tensor): (B, T, H, W) tag maps.
            keypoint_indices (Tensor | Sequence[Tensor]): (B, M, K, 2), or
                B tensors of shape (M_b, K, 2) (zero-padded to the largest
                M_b), ``(k*H*W + y*W + x, valid)`` per joint (``y*W + x``
                with a single tag map).

        Returns:
            tuple: ``(pull, push)``, each of shape (B,).
        """
        if not isinstance(keypoint_indices, Tensor):
            keypoint_indices = pad_sequence(list(keypoint_indices),
                                            batch_first=True)
        flat = tags.float().reshape(tags.shape[0], -1)
        keypoint_indices = keypoint_indices.to(flat.device)
        valid = keypoint_indices[..., 1] > 0  # (B, M, K)
        idx = torch.where(valid, keypoint_indices[..., 0].long(), 0)
        vals = flat.gather(1, idx.flatten(1)).view(idx.shape)  # (B, M, K)
        validf = valid.float()
        counts = validf.sum(dim=2)  # (B, M)
        person = (counts > 0).float()  # (B, M): has a valid joint
        num = person.sum(dim=1)  # (B,) N
        counts = counts.clamp(min=1)
        means = (vals * validf).sum(dim=2) / counts  # (B, M)
        pull = (((vals - means[..., None])**2) * validf).sum(dim=2) / counts
        pull = (pull * person).sum(dim=1) / num.clamp(min=1)
        diff = means[:, None, :] - means[:, :, None]  # (B, M, M)
        if self.ae_loss_type == 'exp':
            pairs = torch.exp(-diff**2)
        else:
            pairs = torch.clamp(1 - diff.abs(), min=0)
        pairs = pairs * person[:, None, :] * person[:, :, None]
        # the N diagonal terms are 1; exactly 0 (not 0/0) for N < 2
        push = (pairs.sum(dim=(1, 2)) - num) / (
            (num - 1) * num).clamp(min=1) * 0.5
        return pull, push

    def forward_per_image(
        self,
        outputs: Sequence[Tensor],
        heatmaps: Sequence[Optional[Tensor]],
        masks: Optional[Sequence[Optional[Tensor]]] = None,
        keypoint_indices: Optional[Union[Tensor, Sequence[Tensor]]] = None
    ) -> Tuple[List[Optional[Tensor]], List[Optional[Tensor]],
               List[Optional[Tensor]]]:
        """Weighted per-image losses of every level, in fp32.

        Args:
            outputs (Sequence[Tensor]): per level (B, K + T_i, H_i, W_i).
            heatmaps (Sequence[Tensor]): per level (B, K, H_i, W_i) targets.
            masks (Sequence[Tensor], optional): per level (B, H_i, W_i).
            keypoint_indices (Tensor | Sequence[Tensor], optional):
                (B, M, K, 2), or B tensors of shape (M_b, K, 2), of the one
                level with AE loss (the codec's ``tag_level``).

        Returns:
            tuple: ``(heatmap_losses, push_losses, pull_losses)``, lists with
            one (B,) tensor per level (``None`` where not computed).
        """
        with_ae = [i < len(self.with_ae_loss) and self.with_ae_loss[i]
                   for i in range(len(outputs))]
        # the indices address one level's tag maps: one AE level only
        assert keypoint_indices is None or sum(with_ae) == 1, (
            f'with_ae_loss={self.with_ae_loss}: exactly one level has AE '
            'loss (the codec\'s tag_level)')
        hm_losses, push_losses, pull_losses = [], [], []
        for i, out in enumerate(outputs):
            gt = heatmaps[i]
            num_kpts = gt.shape[1]
            mask = masks[i] if masks is not None else None
            if self.heatmap_weights[i] > 0:
                hm_losses.append(
                    self.heatmap_loss(out[:, :num_kpts], gt, mask) *
                    self.heatmap_weights[i])
            else:
                hm_losses.append(None)
            if with_ae[i] and keypoint_indices is not None:
                assert out.shape[1] > num_kpts, (
                    f'level {i} has no tag channels but with_ae_loss is set')
                pull, push = self.ae_loss(out[:, num_kpts:],
                                          keypoint_indices)
                push_losses.append(push * self.push_loss_weights[i])
                pull_losses.append(pull * self.pull_loss_weights[i])
            else:
                push_losses.append(None)
                pull_losses.append(None)
        return hm_losses, push_losses, pull_losses

    def forward(self,
                outputs: Sequence[Tensor],
                heatmaps: Sequence[Tensor],
                masks: Optional[Sequence[Tensor]] = None,
                keypoint_indices: Optional[Union[Tensor, Sequence]] = None
                ) -> Dict[str, Tensor]:
        """Batch-mean losses summed over levels (see
        :meth:`forward_per_image` for the arguments).

        Returns:
            dict: ``loss_heatmap``, ``loss_push``, ``loss_pull`` (scalars).
        """
        hm, push, pull = self.forward_per_image(outputs, heatmaps, masks,
                                                keypoint_indices)
        zero = outputs[0].float().sum() * 0

        def _sum(values):
            values = [v.mean() for v in values if v is not None]
            return sum(values) if values else zero

        return dict(
            loss_heatmap=_sum(hm), loss_push=_sum(push), loss_pull=_sum(pull))
