"""Multi-resolution associative-embedding codec of HigherHRNet."""
import math
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from mmpose.codecs.base import BaseKeypointCodec
from mmpose.codecs.utils import generate_udp_gaussian_heatmaps
from mmpose.registry import KEYPOINT_CODECS

from ..core.dense_maps import NumpyMaps
from ..core.grouping import (COCO_JOINT_ORDER, DecodeOptions, decode_config,
                             decode_maps)
from .dense_maps_torch import TorchMaps


def _gaussian_patch(sigma: float) -> np.ndarray:
    """The original ``HeatmapGenerator`` patch: (6*sigma+3)^2, peak 1 at
    (3*sigma+1, 3*sigma+1)."""
    size = 6 * sigma + 3
    x = np.arange(0, size, 1, np.float32)
    y = x[:, None]
    x0 = y0 = 3 * sigma + 1
    return np.exp(-((x - x0)**2 + (y - y0)**2) / (2 * sigma**2))


def original_joint_order(num_keypoints: int) -> Tuple[int, ...]:
    """The original's matching order for K keypoints.

    Its loop over the K joints follows its COCO order list, so the joints
    are visited in that order filtered to those that exist (for CrowdPose's
    14: 0,1,2,3,4,5,6,11,12,7,8,9,10,13). Joints beyond COCO's 17 (which the
    original cannot run) come after, in index order.
    """
    order = [k for k in COCO_JOINT_ORDER if k < num_keypoints]
    return tuple(order + list(range(len(COCO_JOINT_ORDER), num_keypoints)))


def _host_array(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().float().numpy()
    return np.asarray(value, dtype=np.float32)


def _count_non_finite(value: Any) -> int:
    """How many NaN/inf ``value`` holds; its sum (finite when every value
    is, overflow aside) avoids the full test on the usual finite maps."""
    if isinstance(value, torch.Tensor):
        return int((~torch.isfinite(value)).sum())
    if np.isfinite(value.sum()):
        return 0
    return int((~np.isfinite(value)).sum())


def _joints_on_map(kpts: np.ndarray, visible: np.ndarray,
                   size: Tuple[int, int]) -> Iterator[Tuple[int, int, int,
                                                            int]]:
    """``(n, k, x, y)`` of every labelled joint (``visible > 0``) of the
    (N, K, 2) level keypoints whose truncated position ``int(x), int(y)``
    lies on the (w, h) map, person by person, as the original's target
    generators skip the others."""
    w, h = size
    for n in range(kpts.shape[0]):
        for k in range(kpts.shape[1]):
            if not visible[n, k] > 0:
                continue
            fx, fy = kpts[n, k]
            if not (np.isfinite(fx) and np.isfinite(fy)):
                continue
            x, y = int(fx), int(fy)
            if 0 <= x < w and 0 <= y < h:
                yield n, k, x, y


@KEYPOINT_CODECS.register_module()
class AssociativeEmbeddingCodec(BaseKeypointCodec):
    """Training targets of HigherHRNet at several resolutions, as the
    original ``HeatmapGenerator`` and ``JointsGenerator``.

    Note:
        - instance number: N
        - keypoint number: K
        - level number: L
        - level sizes: [W_l, H_l]

    Encoded items (``encode``):

    - ``heatmaps``: list of L arrays (K, H_l, W_l), float32. For each
      person/keypoint with ``keypoints_visible > 0`` the keypoint is mapped to
      level pixels (``x * W_l / input_w``), truncated with ``int()``, skipped
      if outside, and a Gaussian patch ``6*sigma+3`` pixels wide (sigma in
      the level's own pixels, not scaled) is drawn centred there, overlaps
      taking the maximum.
    - ``keypoint_indices``: (max_encoded_people, K, 2) int64 at ``tag_level``:
      for person n, the visible in-bounds keypoints are packed from the start
      of the row as ``(k*H*W + y*W + x, 1)`` (``(y*W + x, 1)`` without
      ``tag_per_keypoint``), zeros after; people beyond ``max_encoded_people``
      are dropped.

    With ``GenerateTarget(encoder=this)`` followed by
    ``BottomupGetMultiLevelHeatmapMask`` (one mask per level) and
    ``PackPoseInputs``, the data sample gets ``gt_fields`` as
    ``MultilevelPixelData`` (``heatmaps`` and ``heatmap_mask`` per level) and
    ``gt_instance_labels`` with ``keypoint_indices``.

    Args:
        input_size (tuple): (w, h) of the network input.
        heatmap_sizes (Sequence[tuple], optional): (w, h) per level. Defaults
            to 1/4 and 1/2 of the input (``ceil(w/4)``, ``2*ceil(w/4)``, the
            sizes HRNet + one deconv produce).
        sigma (float): Gaussian sigma in level pixels. Defaults to 2.
        use_udp (bool): Encode with unbiased data processing (UDP, Huang et
            al., CVPR 2020) as MMPose's ``AssociativeEmbedding`` codec:
            keypoints map to level pixels by ``(size - 1) / (input - 1)`` and
            each Gaussian is centred on the sub-pixel position (MMPose's
            ``generate_udp_gaussian_heatmaps``). Decoding is unchanged.
            Defaults to False (the original's targets).
        max_encoded_people (int): rows of ``keypoint_indices``: the people
            the tag loss sees per image (the original's
            ``DATASET.MAX_NUM_PEOPLE``). Defaults to 30.
        tag_level (int): level whose size is used for ``keypoint_indices``.
            Defaults to 0.
        tag_per_keypoint (bool): index format of ``keypoint_indices``.
            Defaults to True.
        decode_cfg (dict, optional): the decoder's options, the fields of
            :class:`~higherhrnet_plugin.core.grouping.DecodeOptions` with
            the original's defaults: ``nms_kernel`` 5, ``topk`` 30
            (candidates per joint, the original's ``MAX_NUM_PEOPLE``),
            ``max_instances`` None (every group the matching makes, as the
            original; a cap departs from it), ``detection_threshold`` 0.1,
            ``tag_threshold`` 1, ``adjust``/``refine`` True,
            ``use_detection_val`` True, ``ignore_too_much`` False and
            ``joint_order`` (the order in which joints are matched, a
            permutation of ``range(K)``; default the original's rule,
            :func:`original_joint_order`: its COCO order
            0,1,2,3,4,5,6,11,12,7,8,9,10,13,14,15,16 filtered to the K
            joints that exist, joints 17 and up after it).
        **decode_kwargs: the same options as ``decode_<field>=value``
            keywords (``decode_topk=30``), as the configs name them.

    ``decode``/``batch_decode`` group aggregated heatmaps and stacked tags
    (see :class:`HigherHRNetHead.predict`) into people.
    """

    auxiliary_encode_keys = set()
    field_mapping_table = dict(
        heatmaps='heatmaps', heatmap_mask='heatmap_mask')
    instance_mapping_table = dict()
    label_mapping_table = dict(keypoint_indices='keypoint_indices')

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_sizes: Optional[Sequence[Tuple[int, int]]] = None,
                 sigma: float = 2,
                 use_udp: bool = False,
                 max_encoded_people: int = 30,
                 tag_level: int = 0,
                 tag_per_keypoint: bool = True,
                 decode_cfg: Optional[dict] = None,
                 **decode_kwargs) -> None:
        super().__init__()
        self.input_size = tuple(input_size)
        if heatmap_sizes is None:
            w4 = math.ceil(self.input_size[0] / 4)
            h4 = math.ceil(self.input_size[1] / 4)
            heatmap_sizes = [(w4, h4), (2 * w4, 2 * h4)]
        self.heatmap_sizes = [tuple(int(v) for v in s) for s in heatmap_sizes]
        self.sigma = sigma
        self.use_udp = use_udp
        self.max_encoded_people = max_encoded_people
        assert 0 <= tag_level < len(self.heatmap_sizes)
        self.tag_level = tag_level
        self.tag_per_keypoint = tag_per_keypoint
        self.decode_cfg = decode_config(decode_cfg, decode_kwargs)
        self._patch = _gaussian_patch(sigma)

    def level_keypoints(self, keypoints: np.ndarray,
                        level: int) -> np.ndarray:
        """Input-image keypoints (N, K, 2+) in the pixels of heatmap level
        ``level``: (N, K, 2) float64, the codec's UDP or plain scaling."""
        w, h = self.heatmap_sizes[level]
        kpts = np.array(keypoints[..., :2], dtype=np.float64, copy=True)
        if self.use_udp:
            kpts[..., 0] *= (w - 1) / (self.input_size[0] - 1)
            kpts[..., 1] *= (h - 1) / (self.input_size[1] - 1)
        else:
            kpts[..., 0] *= w / self.input_size[0]
            kpts[..., 1] *= h / self.input_size[1]
        return kpts

    def _heatmaps(self, kpts: np.ndarray, visible: np.ndarray,
                  size: Tuple[int, int]) -> np.ndarray:
        w, h = size
        hms = np.zeros((kpts.shape[1], h, w), dtype=np.float32)
        sigma = self.sigma
        for _, k, x, y in _joints_on_map(kpts, visible, size):
            ul = int(np.round(x - 3 * sigma - 1)), int(
                np.round(y - 3 * sigma - 1))
            br = int(np.round(x + 3 * sigma + 2)), int(
                np.round(y + 3 * sigma + 2))
            c, d = max(0, -ul[0]), min(br[0], w) - ul[0]
            a, b = max(0, -ul[1]), min(br[1], h) - ul[1]
            cc, dd = max(0, ul[0]), min(br[0], w)
            aa, bb = max(0, ul[1]), min(br[1], h)
            hms[k, aa:bb, cc:dd] = np.maximum(hms[k, aa:bb, cc:dd],
                                              self._patch[a:b, c:d])
        return hms

    def _indices(self, kpts: np.ndarray, visible: np.ndarray,
                 size: Tuple[int, int]) -> np.ndarray:
        w, h = size
        indices = np.zeros((self.max_encoded_people, kpts.shape[1], 2),
                           dtype=np.int64)
        packed = np.zeros(self.max_encoded_people, dtype=np.int64)
        for n, k, x, y in _joints_on_map(kpts[:self.max_encoded_people],
                                         visible, size):
            if self.tag_per_keypoint:
                indices[n, packed[n]] = (k * h * w + y * w + x, 1)
            else:
                indices[n, packed[n]] = (y * w + x, 1)
            packed[n] += 1
        return indices

    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None) -> dict:
        """Encode keypoints (in input-image pixels) into per-level targets.

        Args:
            keypoints (np.ndarray): (N, K, D), D >= 2, input-space x, y.
            keypoints_visible (np.ndarray, optional): (N, K) visibility
                (> 0 means labelled). Defaults to all ones.

        Returns:
            dict: ``heatmaps`` (list of L (K, H_l, W_l) float32),
            ``keypoint_indices`` (max_encoded_people, K, 2) int64.
        """
        keypoints = np.asarray(keypoints)
        if keypoints.ndim == 2:
            keypoints = keypoints[None]
        if keypoints_visible is None:
            keypoints_visible = np.ones(keypoints.shape[:2], dtype=np.float32)
        keypoints_visible = np.asarray(keypoints_visible)
        if keypoints_visible.ndim == 3:
            keypoints_visible = keypoints_visible[..., 0]

        heatmaps = []
        for level, size in enumerate(self.heatmap_sizes):
            kpts = self.level_keypoints(keypoints, level)
            if self.use_udp:
                heatmaps.append(generate_udp_gaussian_heatmaps(
                    size, kpts, keypoints_visible, self.sigma)[0])
            else:
                heatmaps.append(self._heatmaps(kpts, keypoints_visible, size))

        kpts = self.level_keypoints(keypoints, self.tag_level)
        indices = self._indices(kpts, keypoints_visible,
                                self.heatmap_sizes[self.tag_level])
        return dict(heatmaps=heatmaps, keypoint_indices=indices)

    def decode_options(self, num_keypoints: int) -> DecodeOptions:
        """The :class:`~higherhrnet_plugin.core.grouping.DecodeOptions` of
        this codec for ``num_keypoints`` keypoints: what the decoder, and an
        exported graph's metadata, take."""
        cfg = dict(self.decode_cfg)
        order = cfg.pop('joint_order', None)
        if order is None:
            order = original_joint_order(num_keypoints)
        order = tuple(int(k) for k in order)
        if sorted(order) != list(range(num_keypoints)):
            raise ValueError(
                f'decode_cfg.joint_order {list(order)} is not a permutation '
                f'of the {num_keypoints} keypoints')
        return DecodeOptions(joint_order=order, **cfg)

    def decode(self, heatmaps: Any, tags: Any
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Group one image's aggregated heatmaps and tags into people, as the
        original ``HeatmapParser.parse`` (NMS, top-k, tag matching in the
        options' ``joint_order``, adjust, refine), with
        :func:`~higherhrnet_plugin.core.grouping.decode_maps`, the decoder
        of the torch-free runtime. Tensors on a CUDA device keep the dense stages (NMS, the
        peaks for top-k, gathers) on that device; the result is the same.

        Args:
            heatmaps: (K, H, W) aggregated heatmaps (Tensor or array).
            tags: (K, H, W, T) stacked tags ((K, H, W) is taken as T=1).

        Returns:
            tuple: keypoints (N, K, 2) float32 in heatmap pixels,
            keypoint_scores (N, K) float32 (heatmap values) and
            instance_scores (N,) float32 (mean value over all joints after
            adjust, before refine: the original pose score).
        """
        on_device = isinstance(heatmaps, torch.Tensor) and \
            heatmaps.device.type != 'cpu'
        if on_device:
            heatmaps = heatmaps.detach().float()
            tags = torch.as_tensor(tags, device=heatmaps.device).float()
        else:
            heatmaps = _host_array(heatmaps)
            tags = _host_array(tags)
        # NaN/inf would group into arbitrary people (NaN compares false)
        for name, value in (('heatmaps', heatmaps), ('tags', tags)):
            bad = _count_non_finite(value)
            if bad:
                raise ValueError(
                    f'AssociativeEmbeddingCodec.decode: {name} hold '
                    f'{bad} NaN or inf value(s) (the model output is not '
                    'finite)')
        options = self.decode_options(int(heatmaps.shape[-3]))
        nms = options.nms_kernel
        maps = TorchMaps(heatmaps, tags, nms) if on_device else \
            NumpyMaps(heatmaps, tags, nms)
        return decode_maps(maps, options)

    def batch_decode(self, batch_heatmaps: Any, batch_tags: Any
                     ) -> Tuple[List[np.ndarray], List[np.ndarray],
                                List[np.ndarray]]:
        """``decode`` for each image of a batch ((B, K, H, W) heatmaps and
        (B, K, H, W, T) tags). Returns lists of keypoints, keypoint_scores
        and instance_scores."""
        keypoints, keypoint_scores, instance_scores = [], [], []
        for hm, tg in zip(batch_heatmaps, batch_tags):
            k, s, i = self.decode(hm, tg)
            keypoints.append(k)
            keypoint_scores.append(s)
            instance_scores.append(i)
        return keypoints, keypoint_scores, instance_scores
