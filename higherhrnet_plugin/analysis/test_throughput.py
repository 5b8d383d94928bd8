"""Test throughput of the PyTorch path: batch sizes and test-time options
against the original's test loop, on the same images in one run.

Every variant runs the same preloaded images (the test pipeline's output,
so image decoding and the resize are outside the timings) from
preprocessing to poses in image pixels, with flip test:

- ``original``: the original's loop: one image at a time, the network
  called on the image and on its flip, the original aggregation and
  ``HeatmapParser`` restated in :mod:`.original_parser`, and its
  ``get_final_preds``;
- ``batch B``: our ``test_step`` on batches of up to B images of one input
  shape (as :class:`InputShapeBatchSampler` gives them), flip as one 2N
  forward;
- ``batch B + OPTION``: the same on a copy of the model with one test-time
  option (:func:`apply_test_time_options`); ``compile`` is warmed up on the
  first batch (its compile time is reported on its own).

Each of our variants is compared with ``batch 1``: poses bit for bit, and
the largest difference of the aggregated heatmaps.
"""
import copy
import time
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar

from higherhrnet_plugin.analysis import original_parser
from higherhrnet_plugin.models.utils.test_time_options import (
    TEST_TIME_OPTIONS, apply_test_time_options)


def load_items(cfg: Config, num_images: int) -> List[dict]:
    """The first ``num_images`` test images through the test pipeline."""
    from mmpose.registry import DATASETS
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg.indices = num_images
    dataset = DATASETS.build(dataset_cfg)
    return [dataset[i] for i in range(len(dataset))]


def shape_batches(items: Sequence[dict], batch_size: int) -> List[list]:
    """Batches of up to ``batch_size`` items of one input size, in the
    order :class:`InputShapeBatchSampler` yields them."""
    buckets: 'OrderedDict[tuple, list]' = OrderedDict()
    batches = []
    for item in items:
        key = tuple(item['data_samples'].metainfo['input_size'])
        bucket = buckets.setdefault(key, [])
        bucket.append(item)
        if len(bucket) == batch_size:
            batches.append(bucket[:])
            bucket.clear()
    return batches + [b for b in buckets.values() if b]


def _ours(model, batches) -> Dict[int, tuple]:
    results = {}
    with torch.no_grad():
        for batch in batches:
            for sample in model.test_step(pseudo_collate(batch)):
                inst = sample.pred_instances
                results[sample.metainfo['img_id']] = (
                    np.asarray(inst.keypoints),
                    np.asarray(inst.keypoint_scores),
                    sample.pred_fields.heatmaps)
    return results


def _original(model, items) -> Dict[int, tuple]:
    """The original test loop on one image at a time."""
    results = {}
    with torch.no_grad():
        for item in items:
            data = model.data_preprocessor(pseudo_collate([item]), False)
            x, meta = data['inputs'], data['data_samples'][0].metainfo
            outputs = model(x, None, mode='tensor')
            flip_outputs = model(x.flip(-1), None, mode='tensor')
            det, tag = original_parser.aggregate(
                outputs, flip_outputs, list(meta['flip_indices']),
                tuple(meta['input_size']))
            people, scores = original_parser.parse(det, tag)
            people = original_parser.get_final_preds(
                people, meta['input_center'],
                np.asarray(meta['input_scale']) / 200.,
                tuple(meta['input_size']))
            results[meta['img_id']] = (people, scores)
    return results


def _timed(fn: Callable, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def _compare(ref: Dict[int, tuple], got: Dict[int, tuple]) -> dict:
    same = sorted(ref) == sorted(got)
    max_diff = 0.0
    for img_id in ref:
        r, g = ref[img_id], got[img_id]
        same = same and r[0].shape == g[0].shape and np.array_equal(
            r[0], g[0]) and np.array_equal(r[1], g[1])
        max_diff = max(max_diff, float((r[2] - g[2]).abs().max()))
    return dict(identical_poses=bool(same), max_heatmap_diff=max_diff)


def _compare_original(ref: Dict[int, tuple], orig: Dict[int, tuple]) -> dict:
    """The original's people against ours (x, y in image pixels)."""
    max_px = 0.0
    same = True
    for img_id, (kpts, _, _) in ref.items():
        people = orig[img_id][0]
        if len(people) != len(kpts):
            same = False
            continue
        if len(kpts):
            xy = np.stack([p[:, :2] for p in people])
            max_px = max(max_px, float(np.abs(xy - kpts).max()))
    return dict(same_people=same, max_keypoint_diff_px=max_px)


def benchmark_test(model, items: Sequence[dict],
                   batch_sizes: Sequence[int] = (1, 8),
                   options: Sequence[str] = TEST_TIME_OPTIONS,
                   with_original: bool = True,
                   progress: Optional[Callable[[str], None]] = None) -> dict:
    """Time every variant on ``items`` (see the module docstring).

    Args:
        model: a pose estimator in eval mode whose ``test_cfg`` has
            ``flip_test=True``; its ``test_cfg`` gets ``output_heatmaps``.
        items: preloaded test-pipeline outputs (:func:`load_items`).
        batch_sizes: our batch sizes; the options run at the last one.
        options: test-time options to time, one at a time.
        with_original: also time the original's loop.

    Returns:
        dict: ``num_images``, ``people`` (found at batch 1), and
        ``variants``: per name ``seconds``, ``images_per_s`` and the
        comparison with ``batch 1`` (or with the original's poses).
    """
    say = progress or (lambda msg: None)
    model.test_cfg = dict(model.test_cfg or {}, output_heatmaps=True)
    variants = OrderedDict()
    runs = [(f'batch {b}', model, b, None) for b in batch_sizes]
    runs += [(f'batch {batch_sizes[-1]} + {o}', None, batch_sizes[-1], o)
             for o in options]
    ref = None
    bar = ProgressBar(len(runs) + int(with_original))
    for name, net, batch_size, option in runs:
        batches = shape_batches(items, batch_size)
        row = {}
        if option is not None:
            net = apply_test_time_options(copy.deepcopy(model), [option])
            if option == 'compile':
                say('compile: warming up on the first batch')
                _, row['compile_seconds'] = _timed(_ours, net, batches[:1])
        got, seconds = _timed(_ours, net, batches)
        row.update(seconds=seconds, images_per_s=len(items) / seconds)
        if ref is None:
            ref = got
        row.update(_compare(ref, got))
        variants[name] = row
        bar.update()
        say(f'{name}: {row["images_per_s"]:.3f} images/s')
    if with_original:
        orig, seconds = _timed(_original, model, items)
        variants['original'] = dict(seconds=seconds,
                                    images_per_s=len(items) / seconds,
                                    **_compare_original(ref, orig))
        bar.update()
    return dict(num_images=len(items),
                people=int(sum(len(r[0]) for r in ref.values())),
                variants=variants)


def format_table(result: dict) -> str:
    """The result as a Markdown table."""
    lines = [
        f'{result["num_images"]} images, {result["people"]} people found',
        '', '| variant | s | images/s | vs original | poses | max heatmap '
        'diff |', '|---|---|---|---|---|---|'
    ]
    orig = result['variants'].get('original')
    for name, row in result['variants'].items():
        speed = f'{row["images_per_s"] / orig["images_per_s"]:.2f}x' \
            if orig else '-'
        if name == 'original':
            poses = 'same people' if row['same_people'] else 'differ'
            poses += f' (<= {row["max_keypoint_diff_px"]:.1e} px)'
            diff = '-'
        else:
            poses = 'identical' if row['identical_poses'] else 'DIFFER'
            diff = f'{row["max_heatmap_diff"]:.1e}'
        extra = f' (+{row["compile_seconds"]:.0f} s compile)' \
            if 'compile_seconds' in row else ''
        lines.append(f'| {name} | {row["seconds"]:.1f}{extra} | '
                     f'{row["images_per_s"]:.3f} | {speed} | {poses} | '
                     f'{diff} |')
    return '\n'.join(lines)
