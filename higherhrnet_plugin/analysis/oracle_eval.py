"""Oracle evaluation of the associative-embedding grouping.

The ground truth of a COCO-style annotation file is encoded into perfect
heatmaps (``AssociativeEmbeddingCodec.encode``, one level at the image's own
size) and perfect tags (person ``n`` gets the constant tag ``n + 1`` at its
joints' pixels), decoded with the codec's ``decode`` (the grouping the model
uses) and evaluated with MMPose's ``CocoMetric``. A correct decoder gives
AP close to 1.
"""
import json
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.evaluation import CocoMetric

from higherhrnet_plugin.codecs import AssociativeEmbeddingCodec

_DATASET_META = dict(
    coco='configs/_base_/datasets/coco.py',
    crowdpose='configs/_base_/datasets/crowdpose.py')


def _meta_file(dataset: str) -> str:
    import mmpose
    root = osp.dirname(mmpose.__file__)
    for base in (osp.join(root, '.mim'), osp.join(root, '..')):
        path = osp.join(base, _DATASET_META[dataset])
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'dataset meta file of {dataset} not found')


def _oracle_maps(codec_kwargs: Dict, keypoints: np.ndarray,
                visible: np.ndarray, width: int, height: int,
                stride: int = 1):
    """Perfect heatmaps (K, h, w) and tags (K, h, w, 1) of one image, at
    the image's size divided by ``stride`` (h = ceil(H / stride))."""
    hm_w, hm_h = -(-width // stride), -(-height // stride)
    codec = AssociativeEmbeddingCodec(
        input_size=(width, height), heatmap_sizes=[(hm_w, hm_h)],
        **codec_kwargs)
    num_k = keypoints.shape[1]
    if keypoints.shape[0] == 0:
        heatmaps = np.zeros((num_k, height, width), np.float32)
    else:
        heatmaps = codec.encode(keypoints, visible)['heatmaps'][0]
    tags = np.zeros((num_k, hm_h, hm_w, 1), np.float32)
    level_kpts = codec.level_keypoints(keypoints, 0)
    for n in range(keypoints.shape[0]):
        for k in range(num_k):
            if not visible[n, k] > 0:
                continue
            x, y = int(level_kpts[n, k, 0]), int(level_kpts[n, k, 1])
            if 0 <= x < hm_w and 0 <= y < hm_h:
                tags[k, y, x, 0] = n + 1
    return codec, heatmaps, tags


def oracle_eval(ann_file: str,
                img_dir: Optional[str] = None,
                dataset: str = 'coco',
                outfile_prefix: Optional[str] = None,
                codec_kwargs: Optional[Dict] = None,
                stride: int = 1,
                verbose: bool = True) -> Dict[str, float]:
    """Encode the ground truth, decode it and return ``CocoMetric``'s
    results (``AP``, ``AP .5``, ...). ``img_dir`` is only checked (the
    images themselves are not needed). ``stride`` > 1 encodes at a coarser
    level (image size / stride) to measure the quantisation loss."""
    codec_kwargs = dict(codec_kwargs or {})
    with open(ann_file) as f:
        data = json.load(f)
    if img_dir is not None:
        for img in data['images']:
            path = osp.join(img_dir, img['file_name'])
            if not osp.isfile(path):
                raise FileNotFoundError(path)
    num_k = len(data['categories'][0]['keypoints'])
    anns_by_img: Dict[int, List[dict]] = {}
    for ann in data['annotations']:
        anns_by_img.setdefault(ann['image_id'], []).append(ann)

    tmp = None
    if outfile_prefix is None:
        tmp = tempfile.TemporaryDirectory()
        outfile_prefix = osp.join(tmp.name, 'oracle')
    metric = _coco_metric(ann_file, outfile_prefix, dataset)
    samples = []
    for img in data['images']:
        sample, line = _oracle_sample(img, anns_by_img.get(img['id'], []),
                                      num_k, codec_kwargs, stride, dataset)
        samples.append(sample)
        if verbose:
            print(line)
    metric.process([], samples)
    results = metric.evaluate(size=len(samples))
    if tmp is not None:
        tmp.cleanup()
    # strip the metric prefix ('coco/AP' -> 'AP')
    return {k.split('/')[-1]: float(v) for k, v in results.items()}


def _coco_metric(ann_file: str, outfile_prefix: str,
                 dataset: str) -> CocoMetric:
    """``CocoMetric`` on ``ann_file`` with ``dataset``'s meta (CrowdPose:
    its crowd IoU, no area ranges)."""
    if dataset == 'crowdpose':
        metric_kwargs = dict(iou_type='keypoints_crowd', use_area=False)
    else:
        metric_kwargs = dict()
    metric = CocoMetric(
        ann_file=ann_file, outfile_prefix=outfile_prefix, **metric_kwargs)
    metric.dataset_meta = parse_pose_metainfo(
        dict(from_file=_meta_file(dataset)))
    return metric


def _oracle_sample(img: dict, img_anns: List[dict], num_k: int,
                   codec_kwargs: Dict, stride: int,
                   dataset: str) -> Tuple[dict, str]:
    """One image's decoded oracle maps as a ``CocoMetric`` sample, and its
    progress line."""
    anns = [a for a in img_anns if not a.get('iscrowd', 0)]
    kpts = np.array([a['keypoints'] for a in anns],
                    np.float32).reshape(-1, num_k, 3)
    visible = (kpts[..., 2] > 0).astype(np.float32)
    codec, heatmaps, tags = _oracle_maps(codec_kwargs, kpts[..., :2], visible,
                                        img['width'], img['height'], stride)
    keypoints, keypoint_scores, instance_scores = codec.decode(
        heatmaps, tags)
    # heatmap pixels -> image pixels (identity with stride 1)
    hm_h, hm_w = heatmaps.shape[-2:]
    keypoints = keypoints * np.array(
        [img['width'] / hm_w, img['height'] / hm_h], np.float32)
    # bottom-up samples carry the list of the image's annotation ids as
    # ``id`` (as MMPose's bottom-up datasets): CocoMetric then keeps all
    # the instances of an image instead of de-duplicating them by id
    ann_ids = [a['id'] for a in img_anns]
    sample = dict(
        id=ann_ids or [img['id']],
        img_id=img['id'],
        ori_shape=(img['height'], img['width']),
        pred_instances=dict(
            keypoints=keypoints,
            keypoint_scores=keypoint_scores,
            bbox_scores=instance_scores),
        gt_instances=dict())
    if dataset == 'crowdpose':
        sample['crowd_index'] = img.get('crowdIndex', 0.)
    line = (f'{img["file_name"]}: {len(anns)} gt people '
            f'({sum(int(v.sum() > 0) for v in visible)} with '
            f'keypoints), {len(keypoints)} decoded')
    return sample, line
