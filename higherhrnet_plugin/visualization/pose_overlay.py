"""Draw predicted poses on an image with OpenCV."""
import cv2
import numpy as np


def _as_np(x):
    return x.cpu().numpy() if hasattr(x, 'cpu') else np.asarray(x)


def draw_poses(img_rgb, pred_instances, metainfo, out_file, kpt_thr=0.1,
               radius=3, thickness=2):
    """Draw predicted people on an RGB image and write it as a PNG.

    Every person with at least one joint scoring ``>= kpt_thr`` is drawn:
    the skeleton links whose two joints both pass the threshold, the joints
    that pass it (in the dataset's colours), and the person's score written
    above its top-left visible joint. The input image is not modified.

    Drawn with OpenCV directly: MMPose 1.3's ``PoseLocalVisualizer`` passes
    a 1-element radius array that NumPy 2 refuses to turn into an int.

    Args:
        img_rgb (np.ndarray): the image, (H, W, 3) uint8, RGB order.
        pred_instances (InstanceData | dict): the predictions, in image
            pixels: ``keypoints`` (N, K, 2), ``keypoint_scores`` (N, K) and
            optionally ``bbox_scores`` (N,), the person scores (otherwise the
            mean keypoint score is shown). Tensors or arrays.
        metainfo (dict): the dataset meta (``model.dataset_meta``):
            ``keypoint_id2name`` (K entries), ``keypoint_colors`` (K, 3),
            ``skeleton_links`` (L pairs of joint indices) and
            ``skeleton_link_colors`` (L, 3).
        out_file (str): the PNG to write (its folder must exist).
        kpt_thr (float): joints scoring below this are not drawn.
            Defaults to 0.1.
        radius (int): joint radius in pixels. Defaults to 3.
        thickness (int): link thickness in pixels. Defaults to 2.

    Returns:
        str: ``out_file``.
    """
    img = np.ascontiguousarray(img_rgb.copy())
    kpts = _as_np(pred_instances.keypoints).reshape(
        -1, len(metainfo['keypoint_id2name']), 2)
    scores = _as_np(pred_instances.keypoint_scores).reshape(kpts.shape[:2])
    inst_scores = _as_np(pred_instances.bbox_scores).reshape(-1) \
        if 'bbox_scores' in pred_instances else scores.mean(-1)
    kpt_colors = np.asarray(metainfo['keypoint_colors']).reshape(-1, 3)
    link_colors = np.asarray(metainfo['skeleton_link_colors']).reshape(-1, 3)
    links = metainfo['skeleton_links']
    h, w = img.shape[:2]
    for pts, sc, isc in zip(kpts, scores, inst_scores):
        if not (sc >= kpt_thr).any():
            continue
        for (a, b), c in zip(links, link_colors):
            if sc[a] >= kpt_thr and sc[b] >= kpt_thr:
                cv2.line(img, (int(pts[a, 0]), int(pts[a, 1])),
                         (int(pts[b, 0]), int(pts[b, 1])),
                         tuple(int(v) for v in c), thickness, cv2.LINE_AA)
        for p, s_, c in zip(pts, sc, kpt_colors):
            if s_ >= kpt_thr:
                cv2.circle(img, (int(p[0]), int(p[1])), radius,
                           tuple(int(v) for v in c), -1, cv2.LINE_AA)
        vis = pts[sc >= kpt_thr]
        x, y = int(np.clip(vis[:, 0].min(), 0, w - 1)), int(
            np.clip(vis[:, 1].min() - 4, 8, h - 1))
        cv2.putText(img, f'{float(isc):.2f}', (x, y),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1,
                    cv2.LINE_AA)
    ok = cv2.imwrite(out_file, cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    assert ok, out_file
    return out_file
