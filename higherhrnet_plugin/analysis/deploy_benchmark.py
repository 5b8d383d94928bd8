"""Image-to-poses speed of the deployment backends against PyTorch eager.

One real image, W32-512 (random weights), the flip test, in one process:

- ``original``: what the original code costs: its test resize, the
  network in eager mode (two forwards: the image and its flip), the
  original flip aggregation, ``HeatmapParser.parse`` and ``get_final_preds``
  as restated in :mod:`.original_parser`;
- ``pytorch``: MMPose's ``inference_bottomup`` with the config's test
  pipeline (the eager network, our aggregation and decoder);
- ``onnxruntime`` / ``openvino``: :class:`~higherhrnet_plugin.deploy.
  OnnxPoseEstimator` on the graph :func:`~higherhrnet_plugin.deploy.export.
  export_onnx` writes (flip pass and aggregation inside).

Every timed call starts from the decoded BGR image and ends with people in
image pixels. Each method runs ``warmup`` times untimed, then ``repeats``
times; the median is reported, in total and per stage
(:data:`STAGES`: the stages' own calls are timed in place, by
:class:`StageTimer`; ``preprocess`` is the rest of the run: the test resize,
normalisation, and mapping the people back to the image). The poses of every backend are compared with
``pytorch`` (same people, keypoint and score differences); ``original``'s
are not (its decoder is compared bit for bit by ``benchmark_decode.py``).
"""
import os.path as osp
import tempfile
import time
from contextlib import contextmanager
from typing import Callable, Dict, Optional, Sequence

import cv2
import numpy as np
import torch

from . import original_parser

METHODS = ('original', 'pytorch', 'onnxruntime', 'openvino')
#: the stages of one run; an exported graph holds the aggregation, so its
#: ``network`` includes it (``aggregation`` absent)
STAGES = ('preprocess', 'network', 'aggregation', 'decode')
# the output layers' gain: PyTorch's default init gives maps whose peaks tie
# to float noise; amplified, they stand apart as a trained model's do (as
# tests/test_deploy does)
WEIGHT_GAIN = 10.0


class BenchmarkError(ValueError):
    """Bad benchmark input; ``str()`` is one line naming it."""


class StageTimer:
    """Seconds per stage, summed over the calls timed since
    :meth:`reset`."""

    def __init__(self):
        self.seconds: Dict[str, float] = {}

    def reset(self) -> None:
        self.seconds = {}

    @contextmanager
    def stage(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + \
                time.perf_counter() - t

    def wrap(self, obj, attr: str, name: str) -> None:
        """Time every call of ``obj.attr`` (an instance attribute shadows
        the method; the object is the benchmark's own)."""
        method = getattr(obj, attr)

        def timed(*args, **kwargs):
            with self.stage(name):
                return method(*args, **kwargs)
        setattr(obj, attr, timed)

    def split(self, total: float) -> Dict[str, float]:
        """The stages of one run of ``total`` seconds; ``preprocess`` is
        what the timed stages leave."""
        out = {n: self.seconds[n] for n in STAGES if n in self.seconds}
        out['preprocess'] = total - sum(out.values())
        return {n: out[n] for n in STAGES if n in out}


def random_w32(config: str, seed: int = 0):
    """The config's model with PyTorch's random init (no pretrained
    backbone), output layers amplified by ``WEIGHT_GAIN``."""
    from mmengine.config import Config
    from mmpose.apis import init_model
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(seed)
    model = init_model(cfg, None, device='cpu').eval()
    num_keypoints = model.head.num_keypoints
    with torch.no_grad():
        for layer in model.head.final_layers:
            layer.weight *= WEIGHT_GAIN
            layer.bias[:num_keypoints] += 0.5
    return model


def _original(model, input_size: int, timer: StageTimer) -> Callable:
    """The original's image-to-poses: resize, eager forwards of the image
    and its flip, aggregation, parser, ``get_final_preds``."""
    from mmpose.structures import PoseDataSample

    from ..core.resize_geometry import \
        resize_align_multi_scale
    flip_indices = list(model.dataset_meta['flip_indices'])

    def run(img):
        resized, center, scale = resize_align_multi_scale(
            img, input_size, 1.0, 1.0)
        chw = torch.from_numpy(np.ascontiguousarray(resized.transpose(2, 0,
                                                                      1)))
        inputs = model.data_preprocessor(
            {'inputs': [chw], 'data_samples': [PoseDataSample()]})['inputs']
        with torch.no_grad():
            outputs = model.head.forward(model.extract_feat(inputs))
            flipped = model.head.forward(model.extract_feat(inputs.flip(-1)))
            size_wh = (resized.shape[1], resized.shape[0])
            with timer.stage('aggregation'):
                det, tag = original_parser.aggregate(outputs, flipped,
                                                     flip_indices, size_wh)
            with timer.stage('decode'):
                people, scores = original_parser.parse(det, tag)
        # the reference's cost only: its poses are checked bit for bit
        # against our decoder's by tools/analysis/benchmark_decode.py
        return original_parser.get_final_preds(people, center, scale,
                                               size_wh), scores
    return run


def _pytorch(model) -> Callable:
    from mmpose.apis import inference_bottomup

    def run(img):
        with torch.no_grad():
            inst = inference_bottomup(model, img)[0].pred_instances
        return (np.asarray(inst.keypoints), np.asarray(inst.keypoint_scores),
                np.asarray(inst.bbox_scores) if 'bbox_scores' in inst
                else None)
    return run


def _deployed(onnx_file: str, backend: str, threads: int,
              timer: StageTimer) -> Callable:
    from ..deploy import OnnxPoseEstimator
    estimator = OnnxPoseEstimator(onnx_file, backend, threads)
    timer.wrap(estimator, 'run', 'network')
    timer.wrap(estimator, 'decode', 'decode')

    def run(img):
        pred = estimator.predict(img)
        return pred.keypoints, pred.keypoint_scores, pred.instance_scores
    return run


def compare(ref, got) -> Dict[str, float]:
    """How ``got`` (keypoints, keypoint scores, person scores) differs from
    ``ref``: people counts and the largest keypoint (px) and score
    differences (people in the same order)."""
    same_count = len(ref[0]) == len(got[0])
    out = dict(people=len(got[0]), same_count=same_count,
               max_keypoint_px=float('nan'), max_score=float('nan'))
    if same_count and len(ref[0]):
        out['max_keypoint_px'] = float(np.abs(
            np.asarray(ref[0], np.float64) - got[0]).max())
        diffs = [np.abs(np.asarray(ref[1], np.float64) - got[1]).max()]
        if ref[2] is not None and got[2] is not None:
            diffs.append(np.abs(np.asarray(ref[2], np.float64) -
                                got[2]).max())
        out['max_score'] = float(max(diffs))
    return out


def same_poses(diff: Dict[str, float], keypoint_tol: float = 1e-3,
               score_tol: float = 1e-5) -> bool:
    """The test's criterion: same people, keypoints within 1e-3 px and
    scores within 1e-5."""
    return bool(diff['same_count']) and (
        diff['people'] == 0 or (diff['max_keypoint_px'] < keypoint_tol and
                                diff['max_score'] < score_tol))


def benchmark_deploy(config: str, image: str, repeats: int = 5,
                     threads: int = 2,
                     methods: Sequence[str] = METHODS,
                     warmup: int = 1,
                     checkpoint: Optional[str] = None) -> dict:
    """Median image-to-poses seconds of each method on ``image``, after
    ``warmup`` untimed runs (the poses are those of the last run), for the
    config's model with ``checkpoint``'s weights, or random ones
    (:func:`random_w32`) without.

    Returns:
        dict: ``image``, ``input_hw``, ``threads``, ``repeats``,
        ``seconds`` (method -> median), ``stage_seconds`` (method ->
        stage -> median, :data:`STAGES`), ``runs`` (method -> all times),
        ``poses`` (method -> :func:`compare` with ``pytorch``) and
        ``export_seconds``.
    """
    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.utils import ProgressBar

    from ..deploy.export import export_onnx, test_input_size
    for name in methods:
        if name not in METHODS:
            raise BenchmarkError(f'--methods: {name!r} is not one of '
                                 f'{", ".join(METHODS)}')
    if not osp.isfile(config):
        raise BenchmarkError(f'config: no such file {config!r}')
    img = cv2.imread(image, cv2.IMREAD_COLOR) if osp.isfile(image) else None
    if img is None:
        raise BenchmarkError(f'--image: cannot read {image!r}')
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise BenchmarkError(f'--checkpoint: no such file {checkpoint!r}')
    torch.set_num_threads(threads)
    if checkpoint is None:
        model = random_w32(config)
    else:
        from mmpose.apis import init_model
        model = init_model(config, checkpoint, device='cpu').eval()
    cfg = Config.fromfile(config)
    input_size = test_input_size(Compose(cfg.test_dataloader.dataset.pipeline))
    runners, export_seconds = {}, None
    with tempfile.TemporaryDirectory() as tmp:
        if set(methods) & {'onnxruntime', 'openvino'}:
            onnx_file = osp.join(tmp, 'w32.onnx')
            t = time.perf_counter()
            export_onnx(model, onnx_file, dynamic=True, input_size=input_size)
            export_seconds = time.perf_counter() - t
        timer = StageTimer()
        # after the export, which traces these calls
        for obj, attr in ((model, 'extract_feat'), (model.head, 'forward')):
            timer.wrap(obj, attr, 'network')
        timer.wrap(model.head, 'aggregate', 'aggregation')
        timer.wrap(model.head.decoder, 'batch_decode', 'decode')
        for name in methods:
            if name == 'original':
                runners[name] = _original(model, input_size, timer)
            elif name == 'pytorch':
                runners[name] = _pytorch(model)
            else:
                runners[name] = _deployed(onnx_file, name, threads, timer)
        times = {name: [] for name in methods}
        stages = {name: [] for name in methods}
        poses = {}
        bar = ProgressBar(len(methods) * (repeats + warmup))
        for name, run in runners.items():
            for i in range(warmup + repeats):
                timer.reset()
                t = time.perf_counter()
                poses[name] = run(img)
                if i >= warmup:
                    times[name].append(time.perf_counter() - t)
                    stages[name].append(timer.split(times[name][-1]))
                bar.update()
        print(flush=True)
    resized_hw = _input_hw(img, input_size)
    ref = poses.get('pytorch')
    return dict(
        image=image, input_hw=resized_hw, threads=threads, repeats=repeats,
        export_seconds=export_seconds,
        seconds={n: float(np.median(t)) for n, t in times.items()},
        stage_seconds={n: {k: float(np.median([r[k] for r in runs]))
                           for k in runs[0]} for n, runs in stages.items()},
        runs=times,
        poses={n: compare(ref, p) for n, p in poses.items()
               if n != 'original'} if ref is not None else {})


def _input_hw(img: np.ndarray, input_size: int):
    from ..core.resize_geometry import \
        resize_align_multi_scale
    return list(resize_align_multi_scale(img, input_size, 1.0, 1.0)[0]
                .shape[:2])


def format_table(result: dict) -> str:
    """A Markdown table: median ms, speed-up over ``pytorch`` and over
    ``original``, and whether the poses equal ``pytorch``'s."""
    sec = result['seconds']
    lines = ['| method | median ms | vs pytorch eager | vs original | '
             'people | poses = pytorch |',
             '|---|---:|---:|---:|---:|---|']
    for name, s in sec.items():
        pose = result['poses'].get(name)
        same = '' if pose is None else (
            'yes' if same_poses(pose) else
            f'no ({pose["people"]} people, max {pose["max_keypoint_px"]:.2g}'
            f' px, {pose["max_score"]:.2g} score)')
        if pose is not None and same == 'yes' and name != 'pytorch':
            same += (f' (max {pose["max_keypoint_px"]:.1e} px, '
                     f'{pose["max_score"]:.1e} score)')
        vs = {ref: f'{sec[ref] / s:.2f}x' if ref in sec else ''
              for ref in ('pytorch', 'original')}
        lines.append(f'| {name} | {s * 1e3:.0f} | {vs["pytorch"]} | '
                     f'{vs["original"]} | '
                     f'{pose["people"] if pose else ""} | {same} |')
    return '\n'.join(lines)


def format_stage_table(result: dict) -> str:
    """A Markdown table: the median ms of each stage (:data:`STAGES`) per
    method; an exported graph's aggregation is inside its network."""
    lines = ['| method | ' + ' | '.join(f'{s} ms' for s in STAGES) + ' |',
             '|---|' + '---:|' * len(STAGES)]
    for name, stages in result['stage_seconds'].items():
        cells = [f'{stages[s] * 1e3:.0f}' if s in stages else 'in network'
                 for s in STAGES]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)
