"""Pictures of one model's poses: the prediction of one dataset image, the
poses drawn over it, and a strip of several such pictures side by side (the
demo's pictures and :class:`~higherhrnet_plugin.engine.hooks.EpochPosesHook`
share them)."""
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


def draw_pose(visualizer, sample, out_file: str,
              kpt_thr: float = 0.1) -> None:
    """Write ``sample``'s predicted poses over its image to ``out_file``
    with ``visualizer`` (a ``PoseLocalVisualizer`` holding the dataset
    meta)."""
    import cv2
    img = cv2.cvtColor(cv2.imread(sample.img_path), cv2.COLOR_BGR2RGB)
    visualizer.add_datasample(image_name(sample), img, sample, draw_gt=False,
                              kpt_thr=kpt_thr, out_file=out_file)


def draw_strip(paths: Sequence[str], titles: Sequence[str],
               out_file: str) -> None:
    """Write the images ``paths`` side by side, each under its title, to
    ``out_file`` (heights are matched to the first image's)."""
    import cv2
    band = 28  # px of title above each picture
    h = None
    tiles = []
    for path, title in zip(paths, titles):
        img = cv2.imread(path)
        if img is None:
            raise ValueError(f'draw_strip: cannot read {path}')
        if h is None:
            h = img.shape[0]
        img = cv2.resize(img, (round(img.shape[1] * h / img.shape[0]), h))
        tile = np.full((h + band, img.shape[1] + 4, 3), 255, np.uint8)
        tile[band:, 2:-2] = img
        cv2.putText(tile, title, (6, band - 8), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(tile)
    if not tiles:
        raise ValueError('draw_strip: no images')
    cv2.imwrite(out_file, np.concatenate(tiles, axis=1))
