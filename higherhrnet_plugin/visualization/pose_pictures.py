"""Pictures of one model's poses: the prediction of one dataset image, the
poses drawn over it beside its labelled people, and a strip of several such
pictures side by side (the demo's pictures and
:class:`~higherhrnet_plugin.engine.hooks.EpochPosesHook` share them)."""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate


def predict_image(model, dataset, idx: int, with_levels: bool = False
                  ) -> Tuple[torch.Tensor, Optional[List[torch.Tensor]],
                             object]:
    """The model on ``dataset[idx]`` under ``torch.no_grad``: the network
    input (1, 3, H, W), the head's outputs (one (1, C_l, h_l, w_l) tensor a
    level; ``None`` unless ``with_levels``) and the predicted
    ``PoseDataSample``."""
    batch = pseudo_collate([dataset[idx]])
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        levels = model.head.forward(model.extract_feat(inputs)) \
            if with_levels else None
        sample = model.predict(inputs, samples)[0]
    return inputs, levels, sample


def image_name(sample) -> str:
    """The sample's image file name without its extension."""
    return osp.splitext(osp.basename(sample.img_path))[0]


def labelled_people(sample) -> Tuple[np.ndarray, np.ndarray]:
    """The (G, K, 3) labelled joints (``x, y, v``; ``v > 0``: labelled) and
    the (G, ) areas of ``sample``'s people that are no crowd region, from
    its ``raw_ann_info`` (none when it has no such field)."""
    anns = [a for a in (sample.get('raw_ann_info') or [])
            if not a.get('iscrowd', 0)]
    num_k = len(sample.flip_indices)
    kpts = np.array([a['keypoints'] for a in anns],
                    float).reshape(len(anns), num_k, 3)
    return kpts, np.array([a['area'] for a in anns], float)


def draw_pose(visualizer, sample, out_file: str, kpt_thr: float = 0.1,
              gt: bool = True, pred: bool = True) -> None:
    """Write ``sample``'s labelled people (``gt``) and predicted people
    (``pred``) side by side over its image, each panel under a title, to
    ``out_file`` with ``visualizer`` (a ``PoseLocalVisualizer`` holding the
    dataset meta). Only predicted joints scored ``>= kpt_thr`` are drawn,
    and limbs whose two joints both are."""
    import cv2
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    img = cv2.cvtColor(cv2.imread(sample.img_path), cv2.COLOR_BGR2RGB)
    shown = PoseDataSample(metainfo=sample.metainfo)
    p = sample.pred_instances
    shown.pred_instances = InstanceData(keypoints=p.keypoints,
                                        keypoints_visible=p.keypoint_scores)
    kpts, _ = labelled_people(sample)
    # the visualizer skips joints "visible" below kpt_thr: labelled joints
    # above any threshold, unlabelled ones below
    shown.gt_instances = InstanceData(
        keypoints=kpts[..., :2],
        keypoints_visible=np.where(kpts[..., 2] > 0, max(1.0, kpt_thr), -1.0))
    visualizer.add_datasample(image_name(sample), img, shown, draw_gt=gt,
                              draw_pred=pred, kpt_thr=kpt_thr,
                              out_file=out_file)
    titles = ([f'ground truth: {len(kpts)} people'] if gt else []) + (
        [f'prediction: joints scored >= {kpt_thr:.2f}'] if pred else [])
    cv2.imwrite(out_file, _titled(cv2.imread(out_file), titles))


def _titled(img: np.ndarray, titles: Sequence[str]) -> np.ndarray:
    """``img`` (H, W, 3) as ``len(titles)`` equal panels side by side, each
    under its title in a white band."""
    import cv2
    band = 28  # px of title above the picture
    out = np.full((img.shape[0] + band, img.shape[1], 3), 255, np.uint8)
    out[band:] = img
    for i, title in enumerate(titles):
        cv2.putText(out, title, (i * img.shape[1] // len(titles) + 6,
                                 band - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return out


def draw_strip(paths: Sequence[str], titles: Sequence[str],
               out_file: str) -> None:
    """Write the images ``paths`` side by side, each under its title, to
    ``out_file`` (heights are matched to the first image's)."""
    import cv2
    h = None
    tiles = []
    for path, title in zip(paths, titles):
        img = cv2.imread(path)
        if img is None:
            raise ValueError(f'draw_strip: cannot read {path}')
        if h is None:
            h = img.shape[0]
        img = cv2.resize(img, (round(img.shape[1] * h / img.shape[0]), h))
        tiles.append(_titled(cv2.copyMakeBorder(
            img, 0, 0, 2, 2, cv2.BORDER_CONSTANT, value=(255, 255, 255)),
            [title]))
    if not tiles:
        raise ValueError('draw_strip: no images')
    cv2.imwrite(out_file, np.concatenate(tiles, axis=1))
