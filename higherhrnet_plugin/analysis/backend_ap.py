"""COCO keypoint AP of one model through each inference backend.

The val split of a config (its ``test_dataloader.dataset``, with another
``data_root``) is predicted by

- ``pytorch``: :class:`~higherhrnet_plugin.apis.pytorch_predictor.
  PyTorchPosePredictor` (the config's test pipeline and model);
- ``onnxruntime`` / ``openvino``: :class:`~higherhrnet_plugin.deploy.
  OnnxPoseEstimator` on one graph exported with the flip test
  (:func:`~higherhrnet_plugin.apis.onnx_predictor.export_for_inference`),
  at each asked precision (``fp32``; ``bf16``: that graph executed in
  bfloat16; ``int8``: a graph of ``tools/deployment/quantize.py``), named
  ``onnxruntime``, ``openvino-bf16``, ``onnxruntime-int8``...,

each image read once by :func:`~higherhrnet_plugin.core.image_files.
read_image` and given to every backend. Each backend's people go through
the config's own ``test_evaluator`` (MMPose's ``CocoMetric``: its rescoring,
NMS mode and xtcocotools ``COCOeval``), which writes
``OUT_DIR/<backend>.keypoints.json``. Every backend's people are also
compared, image by image, with the first backend's: exactly (same people in
the same order) and by their agreement (:mod:`.people_agreement`: the count,
and the keypoint shifts of the people paired), also on extra images outside
the split (no AP there).
"""
import contextlib
import io
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..deploy.metadata import PRECISIONS
from .deploy_benchmark import compare, run_name, same_poses
from .people_agreement import image_agreement, summarise_agreement

BACKENDS = ('pytorch', 'onnxruntime', 'openvino')
#: the metrics of the table, CocoMetric's names (prefix ``coco/``)
_TABLE_METRICS = ('AP', 'AP .5', 'AP (M)', 'AP (L)')


class BackendAPError(ValueError):
    """Bad input; ``str()`` is one line naming the culprit."""


def _val_split(config: str, data_root: str):
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


def _coco_metric(cfg, ann_file: str, dataset_meta: dict, outfile_prefix: str):
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


def _backend_predictors(config: str, checkpoint: str,
                       backends: Sequence[str], out_dir: str,
                       onnx: Optional[str] = None,
                       threads: Optional[int] = None,
                       precisions: Sequence[str] = ('fp32', ),
                       int8_onnx: Optional[str] = None
                       ) -> Tuple[Dict[str, Callable], Dict[str, str]]:
    """``predict(img, path) -> Prediction`` of each backend (``pytorch`` at
    fp32 only) at each precision, by :func:`run_name`; the ONNX ones share
    ``onnx``, or a graph exported into ``out_dir/model.onnx``, and
    ``int8_onnx`` at int8. A bf16 run the engine or the CPU cannot do is
    skipped: the second dict gives its one-line reason."""
    from ..apis.onnx_predictor import export_for_inference
    from ..apis.pytorch_predictor import PyTorchPosePredictor
    from ..deploy import DeployError, OnnxPoseEstimator
    for name in backends:
        if name not in BACKENDS:
            raise BackendAPError(f'--backends: {name!r} is not one of '
                                 f'{", ".join(BACKENDS)}')
    for precision in precisions:
        if precision not in PRECISIONS:
            raise BackendAPError(f'--precision: {precision!r} is not one '
                                 f'of {", ".join(PRECISIONS)}')
    if 'int8' in precisions and int8_onnx is None:
        raise BackendAPError('--precision int8: needs --int8-onnx, a graph '
                             'of tools/deployment/quantize.py')
    predictors, skipped = {}, {}
    for name in backends:
        if name == 'pytorch':
            predictors[name] = PyTorchPosePredictor(config, checkpoint).predict
            continue
        # fp32 first: the reference when an ONNX backend comes first
        for precision in (p for p in PRECISIONS if p in precisions):
            if precision == 'int8':
                graph = int8_onnx
            else:
                graph = onnx = onnx or export_for_inference(
                    config, checkpoint, out_dir)
            try:
                predictors[run_name(name, precision)] = OnnxPoseEstimator(
                    graph, name, threads, precision).predict
            except DeployError as e:
                if precision != 'bf16':
                    raise
                skipped[run_name(name, precision)] = str(e)
    return predictors, skipped


def _predict_all(predictors: Dict[str, Callable], path: str) -> dict:
    """Each predictor's people of the image ``path`` (read once): name ->
    (keypoints (N, K, 2) in image pixels, keypoint scores, person scores),
    float64."""
    from ..core.errors import ImageReadError
    from ..core.image_files import read_image
    try:
        img, factors = read_image(path)
    except ImageReadError as e:
        raise BackendAPError(f'{path}: {e}')
    poses = {}
    for name, predict in predictors.items():
        pred = predict(img, path)
        poses[name] = (
            np.asarray(pred.keypoints, np.float64) * np.array(factors),
            np.asarray(pred.keypoint_scores, np.float64),
            np.asarray(pred.instance_scores, np.float64))
    return poses


def _predict_splits(predictors: dict, metrics: dict, infos: List[dict],
                    agreement_images: Sequence[str]) -> Dict[str, list]:
    """Every predictor's poses on each val image (fed to its metric) and
    on each of ``agreement_images``: ``{'val': [...], 'extra': [...]}``,
    one :func:`_predict_all` dict an image."""
    from mmengine.utils import ProgressBar
    runs: Dict[str, List[dict]] = {}
    bar = ProgressBar(len(infos) + len(agreement_images))
    for info in infos:
        poses = _predict_all(predictors, info['img_path'])
        for name, (kpts, scores, inst) in poses.items():
            # no gt_instances: as the bottom-up test pipeline packs none
            # with bbox_scales, CocoMetric takes areas from the keypoints
            metrics[name].process([], [dict(
                id=info['id'], img_id=info['img_id'], gt_instances={},
                pred_instances=dict(keypoints=kpts, keypoint_scores=scores,
                                    bbox_scores=inst))])
        runs.setdefault('val', []).append(poses)
        bar.update()
    for path in agreement_images:
        runs.setdefault('extra', []).append(_predict_all(predictors, path))
        bar.update()
    print(flush=True)  # after the progress bar
    return runs


def evaluate_backends(config: str, checkpoint: str, data_root: str,
                      out_dir: str, backends: Sequence[str] = BACKENDS,
                      onnx: Optional[str] = None,
                      threads: Optional[int] = None,
                      precisions: Sequence[str] = ('fp32', ),
                      int8_onnx: Optional[str] = None,
                      agreement_images: Sequence[str] = ()) -> dict:
    """Predict the val split with each backend at each precision
    (:func:`_backend_predictors`) and evaluate each.

    Returns:
        dict: ``metrics`` (name -> CocoMetric's ``coco/...`` values),
        ``results_files`` (name -> its COCO results json),
        ``num_images``, ``people`` (name -> count), ``vs_first``
        (name -> the largest keypoint (px) and score differences from
        the first over all images, ``same`` whether every image has the
        same people within 1e-3 px and 1e-5, and ``images_differing``), and
        ``agreement`` (``val`` and, with ``agreement_images``, ``extra``:
        name -> :func:`summarise_agreement` against the first),
        ``precisions`` (name -> its precision) and ``skipped`` (name -> why
        it could not run).
    """
    dataset, cfg = _val_split(config, data_root)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    if not infos:
        raise BackendAPError(f'--data-root: the val split of {data_root!r} '
                             'has no images')
    os.makedirs(out_dir, exist_ok=True)
    predictors, skipped = _backend_predictors(
        config, checkpoint, backends, out_dir, onnx, threads, precisions,
        int8_onnx)
    names = list(predictors)
    metrics = {name: _coco_metric(cfg, dataset.ann_file, dataset.metainfo,
                                 osp.join(out_dir, name)) for name in names}
    runs = _predict_splits(predictors, metrics, infos, agreement_images)
    values = {name: _evaluate(metric, len(infos))
              for name, metric in metrics.items()}
    return dict(
        num_images=len(infos), metrics=values, skipped=skipped,
        people={n: sum(len(p[n][0]) for p in runs['val']) for n in names},
        results_files={n: osp.join(out_dir, f'{n}.keypoints.json')
                       for n in names},
        precisions={n: n.rpartition('-')[2] if '-' in n else 'fp32'
                    for n in names},
        vs_first={n: _summarise([compare(p[names[0]], p[n])
                                 for p in runs['val']]) for n in names[1:]},
        agreement={split: {n: summarise_agreement(
            [image_agreement(p[names[0]][0], p[n][0]) for p in images])
            for n in names[1:]} for split, images in runs.items()})


def _evaluate(metric, num_images: int) -> dict:
    # COCOeval prints its summary; the caller prints the table
    with contextlib.redirect_stdout(io.StringIO()):
        return metric.evaluate(num_images)


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
    """A Markdown table: the AP metrics per backend, its people, how they
    differ from the first backend's (exactly, and paired:
    :mod:`.people_agreement`)."""
    names = list(result['metrics'])
    agreement = result['agreement']['val']
    lines = ['| backend | ' + ' | '.join(_TABLE_METRICS) +
             f' | people | max keypoint diff vs {names[0]} (px) | '
             'max score diff | images differing | images with as many '
             'people | keypoint shift median / p95 / max (px) |',
             '|---|' + '---:|' * (len(_TABLE_METRICS) + 6)]
    for name in names:
        values = result['metrics'][name]
        aps = ' | '.join(f'{values["coco/" + m]:.4f}' for m in _TABLE_METRICS)
        vs = result['vs_first'].get(name)
        diff = ' | | | | ' if vs is None else (
            f'{vs["max_keypoint_px"]:.1e} | {vs["max_score"]:.1e} | '
            f'{vs["images_differing"]} | {_agreement_cells(agreement[name])}')
        lines.append(f'| {name} | {aps} | {result["people"][name]} | {diff} |')
    return '\n'.join(lines)


def format_agreement(result: dict, split: str = 'extra') -> str:
    """A Markdown table: each backend's people against the first's on the
    images of ``split`` (:func:`summarise_agreement`)."""
    rows = result['agreement'].get(split, {})
    lines = ['| backend | images with as many people | keypoint shift '
             'median / p95 / max (px) |', '|---|---:|---:|']
    lines += [f'| {name} | {_agreement_cells(a)} |'
              for name, a in rows.items()]
    return '\n'.join(lines)


def _agreement_cells(agreement: dict) -> str:
    shifts = 'no image to pair' if agreement['max'] is None else (
        f'{agreement["median"]:.2f} / {agreement["p95"]:.2f} / '
        f'{agreement["max"]:.2f}')
    return f'{agreement["same_count"]}/{agreement["images"]} | {shifts}'

