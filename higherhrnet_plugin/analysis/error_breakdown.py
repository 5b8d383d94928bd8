"""Where a HigherHRNet / AE model loses AP: its heatmaps or its grouping.

:func:`error_breakdown` runs the model on the runner's test set once and
scores three decodings with the test evaluator:

- ``model``: the model's heatmaps grouped by the model's tags (what
  ``tools/test.py`` reports);
- ``gt_heatmaps``: ground-truth heatmaps (a Gaussian at every labelled joint,
  the codec's sigma at its finest level, scaled to the aggregated maps)
  grouped by the model's tags: the AP perfect heatmaps would give;
- ``gt_tags``: the model's heatmaps grouped by ground-truth tags (person
  ``n``'s value within ``radius * sqrt(area)`` of its joint, a value of its
  own at every other pixel): the AP perfect grouping would give.

It also reports joint recall: the share of labelled joints with a heatmap
peak (the codec's NMS and detection threshold) of their type within
``radius * sqrt(area)``, and the median distance of those peaks in input
pixels; and how well the model's tags separate people (``tag_separation``,
for all labelled people and COCO's medium and large areas): the median
spread of a person's tags at its labelled joints (root mean square distance
to the person's mean tag), the median distance from a person's mean tag to
the nearest other person's in the same image, and the share of people with
another person's mean tag within the codec's tag threshold.
"""
import copy

import numpy as np
import torch
import torch.nn.functional as F

_TAG_STEP = 10.  # tag values this far apart never match (tag threshold ~1)


def gt_people(metainfo):
    """Labelled people of an image as (keypoints (K, 2) in input pixels,
    labelled (K,) bool, radius scale sqrt(area) in input pixels, area in
    image pixels)."""
    center = np.asarray(metainfo['input_center'], np.float64)
    scale = np.asarray(metainfo['input_scale'], np.float64)
    size = np.asarray(metainfo['input_size'], np.float64)
    people = []
    for ann in metainfo['raw_ann_info']:
        if ann.get('iscrowd', 0) or ann.get('num_keypoints', 0) == 0:
            continue
        kpts = np.asarray(ann['keypoints'], np.float64).reshape(-1, 3)
        xy = (kpts[:, :2] - center + 0.5 * scale) / scale * size
        people.append((xy, kpts[:, 2] > 0,
                       np.sqrt(ann['area']) * size[0] / scale[0],
                       float(ann['area'])))
    return people


def gt_heatmaps(people, num_keypoints, height, width, sigma):
    """(K, H, W) maximum of a Gaussian per labelled joint."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    maps = np.zeros((num_keypoints, height, width), np.float64)
    for xy, labelled, _, _ in people:
        for k in np.flatnonzero(labelled):
            d2 = (xx - xy[k, 0])**2 + (yy - xy[k, 1])**2
            np.maximum(maps[k], np.exp(-d2 / (2 * sigma**2)), out=maps[k])
    return torch.from_numpy(maps.astype(np.float32))


def gt_tags(people, num_keypoints, height, width, radius, num_tags):
    """(K, H, W, T) tags: person ``n``'s value near its labelled joints,
    a value of its own at every other pixel."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    base = _TAG_STEP * (len(people) + 1 + np.arange(height * width))
    tags = np.tile(base.reshape(height, width), (num_keypoints, 1, 1))
    for k in range(num_keypoints):
        best = np.full((height, width), np.inf)
        for n, (xy, labelled, size, _) in enumerate(people):
            if not labelled[k]:
                continue
            d2 = (xx - xy[k, 0])**2 + (yy - xy[k, 1])**2
            near = (d2 < best) & (d2 <= max(radius * size, 2.)**2)
            best[near] = d2[near]
            tags[k][near] = _TAG_STEP * (n + 1)
    tags = torch.from_numpy(tags.astype(np.float32))
    return tags[..., None].repeat(1, 1, 1, num_tags)


def joint_recall(heatmaps, people, codec, radius):
    """Per labelled joint: distance (input pixels) to the nearest peak of
    its type within ``radius * sqrt(area)``, or None."""
    options = codec.decode_options(heatmaps.shape[0])
    k = options.nms_kernel
    pooled = F.max_pool2d(heatmaps[None], k, 1, (k - 1) // 2)[0]
    peaks = (heatmaps == pooled) & (heatmaps > options.detection_threshold)
    dists = []
    for xy, labelled, size, _ in people:
        for j in np.flatnonzero(labelled):
            ys, xs = torch.nonzero(peaks[j], as_tuple=True)
            d = torch.hypot(xs.double() - xy[j, 0], ys.double() - xy[j, 1])
            best = float(d.min()) if len(d) else np.inf
            dists.append(best if best <= radius * size else None)
    return dists


def person_tags(tags, people):
    """Per labelled person: (area in image pixels, spread of its tags, its
    mean tag), the tags read at its labelled joints (rounded and clipped to
    the map) from ``tags`` ((K, H, W, T), input pixels); spread is the root
    mean square distance of those tags to their mean."""
    tags = tags.detach().cpu().numpy()
    height, width = tags.shape[1:3]
    out = []
    for xy, labelled, _, area in people:
        ks = np.flatnonzero(labelled)
        xs = np.clip(np.round(xy[ks, 0]).astype(int), 0, width - 1)
        ys = np.clip(np.round(xy[ks, 1]).astype(int), 0, height - 1)
        vals = tags[ks, ys, xs]  # (J, T)
        mean = vals.mean(axis=0)
        spread = float(np.sqrt(((vals - mean)**2).sum(axis=1).mean()))
        out.append((area, spread, mean))
    return out


def tag_separation(per_image, tag_threshold):
    """Summarise :func:`person_tags` of every image for all people and COCO's
    medium (32^2-96^2) and large (> 96^2) areas. The nearest other person is
    looked for in the same image (images with one labelled person give
    none)."""
    rows = []
    for persons in per_image:
        means = np.array([m for _, _, m in persons])
        for i, (area, spread, mean) in enumerate(persons):
            others = np.delete(means, i, axis=0)
            nearest = float(np.linalg.norm(others - mean, axis=1).min()) \
                if len(others) else None
            rows.append((area, spread, nearest))
    ranges = dict(all=(0, np.inf), medium=(32**2, 96**2),
                  large=(96**2, np.inf))
    summary = {}
    for name, (lo, hi) in ranges.items():
        sel = [r for r in rows if lo <= r[0] < hi]
        near = [r[2] for r in sel if r[2] is not None]
        summary[name] = dict(
            people=len(sel),
            median_spread=float(np.median([r[1] for r in sel]))
            if sel else None,
            median_nearest_other=float(np.median(near)) if near else None,
            share_nearest_within_threshold=float(
                np.mean([d < tag_threshold for d in near])) if near else None)
    return summary


def _split_tags(fields, num_keypoints):
    """``pred_fields.tags`` ((T*K, H, W)) back to (K, H, W, T)."""
    tags = fields.tags
    num_tags = tags.shape[0] // num_keypoints
    return tags.reshape(num_tags, num_keypoints,
                        *tags.shape[-2:]).permute(1, 2, 3, 0)


def ae_codec(model):
    """The model's ``head.decoder``; ValueError unless it is an
    :class:`~higherhrnet_plugin.codecs.AssociativeEmbeddingCodec`."""
    from higherhrnet_plugin.codecs import AssociativeEmbeddingCodec
    codec = getattr(model.head, 'decoder', None)
    if not isinstance(codec, AssociativeEmbeddingCodec):
        raise ValueError('model.head.decoder must be an '
                         'AssociativeEmbeddingCodec (HigherHRNet / AE), got '
                         f'{type(codec).__name__}')
    return codec


def error_breakdown(runner, radius: float = 0.15) -> dict:
    """The three AP scores, joint recall and tag separation (see the module
    docstring) of ``runner``'s model, its weights loaded, on its test set
    (the model's decoder checked by :func:`ae_codec`)."""
    from mmengine.structures import InstanceData
    model = runner.model
    model.eval()
    head, codec = model.head, ae_codec(model)
    model.test_cfg = dict(model.test_cfg or {}, output_heatmaps=True)
    loader = runner.test_dataloader
    evaluators = {
        name: runner.build_evaluator(copy.deepcopy(runner.cfg.test_evaluator))
        for name in ('model', 'gt_heatmaps', 'gt_tags')
    }
    for ev in evaluators.values():
        ev.dataset_meta = loader.dataset.metainfo
    sigma = codec.sigma * codec.input_size[0] / codec.heatmap_sizes[-1][0]
    dists, tag_rows = [], []

    def decoded(sample, heatmaps, tags):
        kpts, scores, inst = codec.decode(heatmaps, tags)
        pred = InstanceData(keypoints=kpts, keypoint_scores=scores,
                            bbox_scores=inst)
        return model.add_pred_to_datasample([pred], None,
                                            [sample.clone()])[0]

    for batch in loader:
        with torch.no_grad():
            samples = model.test_step(batch)
        evaluators['model'].process(samples, batch)
        oracle = {'gt_heatmaps': [], 'gt_tags': []}
        for sample in samples:
            heatmaps = sample.pred_fields.heatmaps.float()
            tags = _split_tags(sample.pred_fields, head.num_keypoints)
            people = gt_people(sample.metainfo)
            num_k, height, width = heatmaps.shape
            dists += joint_recall(heatmaps, people, codec, radius)
            tag_rows.append(person_tags(tags, people))
            oracle['gt_heatmaps'].append(decoded(
                sample, gt_heatmaps(people, num_k, height, width, sigma),
                tags))
            oracle['gt_tags'].append(decoded(
                sample, heatmaps,
                gt_tags(people, num_k, height, width, radius,
                        tags.shape[-1])))
        for name, preds in oracle.items():
            evaluators[name].process(preds, batch)

    size = len(loader.dataset)
    found = [d for d in dists if d is not None]
    result = {name: ev.evaluate(size) for name, ev in evaluators.items()}
    result['joint_recall'] = len(found) / max(1, len(dists))
    result['median_peak_distance_px'] = float(np.median(found)) \
        if found else None
    result['labelled_joints'] = len(dists)
    result['tag_separation'] = tag_separation(
        tag_rows, codec.decode_options(head.num_keypoints).tag_threshold)
    result['radius'] = radius
    return result
