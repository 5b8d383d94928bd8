"""Image-to-poses speed of the deployment backends against PyTorch eager.

One real image, W32-512 (random weights) or a trained checkpoint, the flip
test, in one process:

- ``original``: what the original code costs: its test resize, the
  network in eager mode (two forwards: the image and its flip), the
  original flip aggregation, ``HeatmapParser.parse`` and ``get_final_preds``
  as restated in :mod:`.original_parser`;
- ``pytorch``: MMPose's ``inference_bottomup`` with the config's test
  pipeline (the eager network, our aggregation and decoder);
- ``onnxruntime`` / ``openvino``: :class:`~higherhrnet_plugin.deploy.
  OnnxPoseEstimator` on the graph :func:`~higherhrnet_plugin.deploy.export.
  export_onnx` writes (flip pass and aggregation inside), at each precision
  (``onnxruntime-int8``: the graph quantized by :mod:`~higherhrnet_plugin.
  deploy.quantization`; ``openvino-bf16``: executed in bfloat16).

Every timed call starts from the decoded BGR image and ends with people in
image pixels. Each method runs ``warmup`` times untimed, then ``repeats``
times; the median is reported, in total and per stage (:data:`STAGES`: the
stages' own calls are timed in place, by :class:`_StageTimer`;
``preprocess`` is the rest of the run: the test resize, normalisation, and
mapping the people back to the image). The poses of every backend are
compared with ``pytorch`` (same people, keypoint and score differences);
``original``'s are not (its decoder is compared bit for bit by
``benchmark_decode.py``). The graphs' outputs are compared with the fp32
graph's on ONNX Runtime.

Random weights give maps no trained network gives (peaks almost
everywhere), on which the decoder's cost is not a trained model's; with
rendered maps (:mod:`.rendered_maps`) every method still runs its network,
then decodes the maps rendered from the image's ground-truth poses.
"""
import os.path as osp
import tempfile
import time
from contextlib import contextmanager
from typing import Callable, Dict, Optional, Sequence

import cv2
import numpy as np
import torch

from ..deploy.metadata import PRECISIONS
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


class _StageTimer:
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


def _random_w32(config: str, seed: int = 0):
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


def run_name(method: str, precision: str = 'fp32') -> str:
    """A method's name at a precision: ``onnxruntime`` at fp32,
    ``onnxruntime-int8`` otherwise."""
    return method if precision == 'fp32' else f'{method}-{precision}'


def _original(model, input_size: int, timer: _StageTimer,
              rendered=None) -> Callable:
    """The original's image-to-poses: resize, eager forwards of the image
    and its flip, aggregation, parser, ``get_final_preds`` (aggregating
    ``rendered``'s outputs in place of the network's when given)."""
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
            if rendered is not None:
                outputs, flipped = rendered.outputs, rendered.flip_outputs
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


def _pytorch(model, rendered=None) -> Callable:
    """MMPose's ``inference_bottomup``; with ``rendered``, the head's real
    aggregation runs and its result is replaced by ``rendered``'s."""
    from mmpose.apis import inference_bottomup
    if rendered is not None:
        aggregate = model.head.aggregate

        def substituted(*args, **kwargs):
            aggregate(*args, **kwargs)
            return rendered.heatmaps, rendered.tags
        model.head.aggregate = substituted

    def run(img):
        with torch.no_grad():
            inst = inference_bottomup(model, img)[0].pred_instances
        return (np.asarray(inst.keypoints), np.asarray(inst.keypoint_scores),
                np.asarray(inst.bbox_scores) if 'bbox_scores' in inst
                else None)
    return run


def _deployed(onnx_file: str, backend: str, threads: int, precision: str,
              timer: _StageTimer, outputs: Dict[str, list],
              rendered=None) -> Callable:
    """``OnnxPoseEstimator.predict``; the graph's last outputs go into
    ``outputs[run_name]``, and with ``rendered`` the decoder reads
    ``rendered``'s maps instead."""
    from ..deploy import OnnxPoseEstimator
    estimator = OnnxPoseEstimator(onnx_file, backend, threads, precision)
    name = run_name(backend, precision)
    run_graph = estimator.run

    def run_and_keep(feeds):
        outputs[name] = run_graph(feeds)
        if rendered is None:
            return outputs[name]
        return [rendered.heatmaps[0].numpy(), rendered.tags[0].numpy()]
    estimator.run = run_and_keep
    timer.wrap(estimator, 'run', 'network')
    timer.wrap(estimator, 'decode', 'decode')

    def run(img):
        pred = estimator.predict(img)
        return pred.keypoints, pred.keypoint_scores, pred.instance_scores
    return run


def output_errors(outputs: Dict[str, list], ref: str) -> Dict[str, dict]:
    """The largest absolute difference of each graph's heatmaps and tags
    from ``ref``'s, and ``ref``'s largest heatmap value (for scale)."""
    if ref not in outputs:
        return {}
    errors = {}
    for name, out in outputs.items():
        errors[name] = dict(
            heatmaps=float(np.abs(out[0] - outputs[ref][0]).max()),
            tags=float(np.abs(out[1] - outputs[ref][1]).max()),
            ref_heatmap_max=float(np.abs(outputs[ref][0]).max()))
    return errors


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
                     checkpoint: Optional[str] = None,
                     precisions: Sequence[str] = ('fp32', ),
                     calib_files: Sequence[str] = (),
                     rendered_maps: Optional[str] = None) -> dict:
    """Median image-to-poses seconds of each method on ``image``, after
    ``warmup`` untimed runs (the poses are those of the last run), for the
    config's model with ``checkpoint``'s weights, or random ones
    (:func:`_random_w32`) without.

    The ONNX methods run at each of ``precisions`` (``int8``: the exported
    graph quantized with ``calib_files``); one the engine or the CPU cannot
    run is skipped with its one-line reason. With ``rendered_maps`` (a
    reference vector of the image, :mod:`.rendered_maps`) every method runs
    its network for real, then decodes the rendered maps.

    Returns:
        dict: ``image``, ``input_hw``, ``threads``, ``repeats``,
        ``seconds`` (name -> median), ``stage_seconds`` (name ->
        stage -> median, :data:`STAGES`), ``runs`` (name -> all times),
        ``poses`` (name -> :func:`compare` with ``pytorch``),
        ``output_errors`` (:func:`output_errors` against the fp32 graph on
        ONNX Runtime), ``skipped`` (name -> reason) and
        ``export_seconds``.
    """
    from ..deploy.export import test_input_size
    img = _check_inputs(config, image, methods, checkpoint)
    torch.set_num_threads(threads)
    model = _random_w32(config) if checkpoint is None else \
        _trained(config, checkpoint)
    from mmengine.config import Config
    from mmengine.dataset import Compose
    input_size = test_input_size(Compose(
        Config.fromfile(config).test_dataloader.dataset.pipeline))
    rendered = _rendered(rendered_maps, model, img, input_size)
    with tempfile.TemporaryDirectory() as tmp:
        graphs, export_seconds = _graphs(model, tmp, input_size, methods,
                                         precisions, calib_files)
        timer = _StageTimer()
        outputs: Dict[str, list] = {}
        runners, skipped = _runners(model, methods, precisions, graphs,
                                    threads, input_size, timer, outputs,
                                    rendered)
        times, stages, poses = _time(runners, img, warmup, repeats, timer)
    ref = poses.get('pytorch')
    return dict(
        image=image, input_hw=_input_hw(img, input_size), threads=threads,
        repeats=repeats, export_seconds=export_seconds, skipped=skipped,
        rendered_maps=rendered_maps,
        seconds={n: float(np.median(t)) for n, t in times.items()},
        stage_seconds={n: {k: float(np.median([r[k] for r in runs]))
                           for k in runs[0]} for n, runs in stages.items()},
        runs=times,
        output_errors=output_errors(outputs, 'onnxruntime'),
        poses={n: compare(ref, p) for n, p in poses.items()
               if n != 'original'} if ref is not None else {})


def _check_inputs(config: str, image: str, methods: Sequence[str],
                  checkpoint: Optional[str]) -> np.ndarray:
    """The decoded image, or a one-line :class:`BenchmarkError`."""
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
    return img


def _trained(config: str, checkpoint: str):
    from mmpose.apis import init_model
    return init_model(config, checkpoint, device='cpu').eval()


def _rendered(path: Optional[str], model, img: np.ndarray, input_size: int):
    """The :class:`RenderedMaps` of ``path``, checked against the image's
    network input size."""
    if path is None:
        return None
    from .rendered_maps import load_rendered_maps
    try:
        rendered = load_rendered_maps(path, model.head,
                                      model.dataset_meta['flip_indices'])
    except ValueError as e:
        raise BenchmarkError(str(e))
    hw = _input_hw(img, input_size)
    if list(rendered.input_hw) != hw:
        raise BenchmarkError(
            f'--rendered-maps: {path!r} is for a {rendered.input_hw[0]}x'
            f'{rendered.input_hw[1]} input, the image needs {hw[0]}x{hw[1]}')
    return rendered


def _graphs(model, tmp: str, input_size: int, methods: Sequence[str],
            precisions: Sequence[str], calib_files: Sequence[str]):
    """The fp32 graph (and with ``int8`` its quantized copy) in ``tmp``:
    precision -> file (bf16 runs the fp32 graph), and the export's
    seconds."""
    from ..deploy.export import export_onnx
    if not set(methods) & {'onnxruntime', 'openvino'}:
        return {}, None
    fp32 = osp.join(tmp, 'model.onnx')
    t = time.perf_counter()
    export_onnx(model, fp32, dynamic=True, input_size=input_size)
    graphs = dict(fp32=fp32, bf16=fp32)
    seconds = time.perf_counter() - t
    if 'int8' in precisions:
        from mmengine.utils import ProgressBar

        from ..deploy.quantization import quantize_graph
        if not calib_files:
            raise BenchmarkError('--precision int8: no calibration images '
                                 '(--calib-images)')
        graphs['int8'] = osp.join(tmp, 'model_int8.onnx')
        print(f'calibrating on {len(calib_files)} image(s)', flush=True)
        quantize_graph(fp32, graphs['int8'], calib_files,
                       progress=ProgressBar(len(calib_files)).update)
        print(flush=True)
    return graphs, seconds


def _runners(model, methods, precisions, graphs, threads, input_size, timer,
             outputs, rendered):
    """name -> run(img) of every method (and precision), and the skipped
    ones' reasons; the timer wraps the eager model after the export."""
    from ..deploy import DeployError
    for obj, attr in ((model, 'extract_feat'), (model.head, 'forward')):
        timer.wrap(obj, attr, 'network')
    timer.wrap(model.head, 'aggregate', 'aggregation')
    timer.wrap(model.head.decoder, 'batch_decode', 'decode')
    runners, skipped = {}, {}
    for method in methods:
        if method == 'original':
            runners[method] = _original(model, input_size, timer, rendered)
        elif method == 'pytorch':
            runners[method] = _pytorch(model, rendered)
        else:
            for precision in (p for p in PRECISIONS if p in precisions):
                name = run_name(method, precision)
                try:
                    runners[name] = _deployed(graphs[precision], method,
                                              threads, precision, timer,
                                              outputs, rendered)
                except DeployError as e:
                    skipped[name] = str(e)
    return runners, skipped


def _time(runners: Dict[str, Callable], img: np.ndarray, warmup: int,
          repeats: int, timer: _StageTimer):
    """Each runner ``warmup`` times, then ``repeats`` times timed: times
    and stages per name, and the poses of each one's last run."""
    from mmengine.utils import ProgressBar
    times = {name: [] for name in runners}
    stages = {name: [] for name in runners}
    poses = {}
    bar = ProgressBar(len(runners) * (repeats + warmup))
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
    return times, stages, poses


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
            f' px, {pose["max_score"]:.2g} score)' if pose['same_count']
            else f'no ({pose["people"]} people)')
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


def format_output_errors(result: dict) -> str:
    """A Markdown table: each graph's largest heatmap and tag differences
    from the fp32 graph on ONNX Runtime (the only accuracy statement for
    random weights)."""
    errors = result['output_errors']
    lines = ['| method | max abs heatmap diff | max abs tag diff | '
             'largest heatmap value (fp32) |', '|---|---:|---:|---:|']
    lines += [f'| {n} | {e["heatmaps"]:.2g} | {e["tags"]:.2g} | '
              f'{e["ref_heatmap_max"]:.3g} |' for n, e in errors.items()]
    return '\n'.join(lines)
