"""The keypoint-score threshold of the demo's pictures, chosen on the val
split by the rule of
:mod:`~higherhrnet_plugin.visualization.keypoint_threshold`: the lowest
score at which a predicted joint lies within a COCO OKS sigma-radius of its
OKS-matched labelled joint with a chance of at least a half."""
import numpy as np

from ..visualization.keypoint_threshold import choose_threshold, judge_joints
from ..visualization.pose_pictures import labelled_people, predict_image

# the threshold when the rule gives none: ``tools/infer.py``'s default
_FALLBACK_KPT_THR = 0.1


def val_threshold(model, dataset, fraction: float = 0.5) -> dict:
    """Predict every image of ``dataset`` with ``model`` (in eval mode; the
    module itself, not a DDP wrapper) and choose the threshold.

    Returns:
        dict: :func:`~higherhrnet_plugin.visualization.keypoint_threshold.
        choose_threshold`'s result (``kpt_thr``, ``rule``, ``joints``,
        ``joints_above``, ``fraction_right``) and ``images``, the images
        judged.
    """
    from mmengine.utils import ProgressBar
    sigmas = np.asarray(dataset.metainfo['sigmas'], float)
    scores, right = [np.zeros(0)], [np.zeros(0, bool)]
    bar = ProgressBar(len(dataset))
    for idx in range(len(dataset)):
        _, _, sample = predict_image(model, dataset, idx)
        gt, areas = labelled_people(sample)
        pred = sample.pred_instances
        s, r = judge_joints(pred.keypoints, pred.keypoint_scores, gt, areas,
                            sigmas)
        scores.append(s)
        right.append(r)
        bar.update()
    print(flush=True)  # after the progress bar
    out = choose_threshold(np.concatenate(scores), np.concatenate(right),
                           fraction, _FALLBACK_KPT_THR)
    return dict(out, images=len(dataset))
