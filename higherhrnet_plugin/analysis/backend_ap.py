"""COCO keypoint AP of one model through each inference backend.

The val split of a config (its ``test_dataloader.dataset``, with another
``data_root``) is predicted by

- ``pytorch``: :class:`~higherhrnet_plugin.apis.pytorch_predictor.
  PyTorchPosePredictor` (the config's test pipeline and model);
- ``onnxruntime`` / ``openvino``: :class:`~higherhrnet_plugin.deploy.
  OnnxPoseEstimator` on one graph exported with the flip test
  (:func:`~higherhrnet_plugin.apis.onnx_predictor.export_for_inference`),

each image read once by :func:`~higherhrnet_plugin.core.image_files.
read_image` and given to every backend. Each backend's people go through
the config's own ``test_evaluator`` (MMPose's ``CocoMetric``: its rescoring,
NMS mode and xtcocotools ``COCOeval``), which writes
``OUT_DIR/<backend>.keypoints.json``. Every backend's people are also
compared, image by image, with the first backend's.
"""
import contextlib
import io
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from .deploy_benchmark import compare, same_poses

BACKENDS = ('pytorch', 'onnxruntime', 'openvino')
#: the metrics of the table, CocoMetric's names (prefix ``coco/``)
TABLE_METRICS = ('AP', 'AP .5', 'AP (M)', 'AP (L)')


class BackendAPError(ValueError):
    """Bad input; ``str()`` is one line naming the culprit."""


def val_split(config: str, data_root: str):
    """The config's test dataset (no pipeline) rooted at ``data_root``, and
    its config."""
    import higherhrnet_plugin  # noqa: F401  (registers the datasets)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpose') or 'mmpose')
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg.update(data_root=data_root, pipeline=[], test_mode=True)
    ann_file = osp.join(data_root, dataset_cfg.ann_file)
    if not osp.isfile(ann_file):
        raise BackendAPError(f'--data-root: no annotation file {ann_file!r} '
                             '(the config\'s test ann_file)')
    return DATASETS.build(dataset_cfg), cfg


def coco_metric(cfg, ann_file: str, dataset_meta: dict, outfile_prefix: str):
    """The config's ``test_evaluator`` (one CocoMetric) on ``ann_file``,
    writing ``outfile_prefix.keypoints.json``."""
    from mmpose.registry import METRICS
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, (list, tuple)):
        if len(evaluator) != 1:
            raise BackendAPError('config: test_evaluator must be one metric, '
                                 f'got {len(evaluator)}')
        evaluator = evaluator[0]
    metric = METRICS.build(dict(evaluator, ann_file=ann_file,
                                outfile_prefix=outfile_prefix))
    metric.dataset_meta = dataset_meta
    return metric


def backend_predictors(config: str, checkpoint: str,
                       backends: Sequence[str], out_dir: str,
                       onnx: Optional[str] = None,
                       threads: Optional[int] = None) -> Dict[str, Callable]:
    """``predict(img, path) -> Prediction`` of each backend; the ONNX ones
    share ``onnx``, or a graph exported into ``out_dir/model.onnx``."""
    from ..apis.onnx_predictor import export_for_inference
    from ..apis.pytorch_predictor import PyTorchPosePredictor
    from ..deploy import OnnxPoseEstimator
    for name in backends:
        if name not in BACKENDS:
            raise BackendAPError(f'--backends: {name!r} is not one of '
                                 f'{", ".join(BACKENDS)}')
    predictors = {}
    for name in backends:
        if name == 'pytorch':
            predictors[name] = PyTorchPosePredictor(config, checkpoint).predict
            continue
        if onnx is None:
            onnx = export_for_inference(config, checkpoint, out_dir)
        predictors[name] = OnnxPoseEstimator(onnx, name, threads).predict
    return predictors


def evaluate_backends(config: str, checkpoint: str, data_root: str,
                      out_dir: str, backends: Sequence[str] = BACKENDS,
                      onnx: Optional[str] = None,
                      threads: Optional[int] = None) -> dict:
    """Predict the val split with each backend and evaluate each.

    Returns:
        dict: ``metrics`` (backend -> CocoMetric's ``coco/...`` values),
        ``results_files`` (backend -> its COCO results json),
        ``num_images``, ``people`` (backend -> count) and ``vs_first``
        (backend -> the largest keypoint (px) and score differences from
        the first backend over all images, ``same`` whether every image has
        the same people within 1e-3 px and 1e-5, and ``images_differing``).
    """
    from mmengine.utils import ProgressBar

    from ..core.errors import ImageReadError
    from ..core.image_files import read_image
    dataset, cfg = val_split(config, data_root)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not infos:
        raise BackendAPError(f'--data-root: the val split of {data_root!r} '
                             'has no images')
    os.makedirs(out_dir, exist_ok=True)
    predictors = backend_predictors(config, checkpoint, backends, out_dir,
                                    onnx, threads)
    metrics = {name: coco_metric(cfg, dataset.ann_file, dataset.metainfo,
                                 osp.join(out_dir, name))
               for name in backends}
    first = backends[0]
    diffs: Dict[str, List[dict]] = {name: [] for name in backends[1:]}
    people = dict.fromkeys(backends, 0)
    bar = ProgressBar(len(infos) * len(backends))
    for info in infos:
        try:
            img, factors = read_image(info['img_path'])
        except ImageReadError as e:
            raise BackendAPError(f'{info["img_path"]}: {e}')
        poses = {}
        for name in backends:
            pred = predictors[name](img, info['img_path'])
            kpts = np.asarray(pred.keypoints, np.float64) * np.array(factors)
            scores = np.asarray(pred.keypoint_scores, np.float64)
            inst = np.asarray(pred.instance_scores, np.float64)
            poses[name] = (kpts, scores, inst)
            people[name] += len(kpts)
            # no gt_instances: as the bottom-up test pipeline packs none
            # with bbox_scales, CocoMetric takes areas from the keypoints
            metrics[name].process([], [dict(
                id=info['id'], img_id=info['img_id'], gt_instances={},
                pred_instances=dict(keypoints=kpts, keypoint_scores=scores,
                                    bbox_scores=inst))])
            bar.update()
        for name in backends[1:]:
            diffs[name].append(compare(poses[first], poses[name]))
    print(flush=True)
    values = {}
    for name, metric in metrics.items():
        # COCOeval prints its summary; the caller prints the table
        with contextlib.redirect_stdout(io.StringIO()):
            values[name] = metric.evaluate(len(infos))
    return dict(
        num_images=len(infos), metrics=values, people=people,
        results_files={n: osp.join(out_dir, f'{n}.keypoints.json')
                       for n in backends},
        vs_first={n: _summarise(d) for n, d in diffs.items()})


def _summarise(diffs: List[dict]) -> dict:
    """The worst of per-image :func:`compare` records (NaN-free: images
    whose people differ in count are counted, not measured)."""
    measured = [d for d in diffs if d['same_count'] and d['people']]
    return dict(
        same=all(same_poses(d) for d in diffs),
        images_differing=sum(not same_poses(d) for d in diffs),
        max_keypoint_px=max((d['max_keypoint_px'] for d in measured),
                            default=0.0),
        max_score=max((d['max_score'] for d in measured), default=0.0))


def format_table(result: dict) -> str:
    """A Markdown table: the AP metrics per backend, its people and how they
    differ from the first backend's."""
    names = list(result['metrics'])
    lines = ['| backend | ' + ' | '.join(TABLE_METRICS) +
             f' | people | max keypoint diff vs {names[0]} (px) | '
             'max score diff | images differing |',
             '|---|' + '---:|' * (len(TABLE_METRICS) + 4)]
    for name in names:
        values = result['metrics'][name]
        aps = ' | '.join(f'{values["coco/" + m]:.4f}' for m in TABLE_METRICS)
        vs = result['vs_first'].get(name)
        diff = ' | | ' if vs is None else (
            f'{vs["max_keypoint_px"]:.1e} | {vs["max_score"]:.1e} | '
            f'{vs["images_differing"]}')
        lines.append(f'| {name} | {aps} | {result["people"][name]} | {diff} |')
    return '\n'.join(lines)
