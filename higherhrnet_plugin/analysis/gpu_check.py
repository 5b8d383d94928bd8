"""A first check of a config on one GPU (or the CPU), on generated data.

:func:`gpu_check` trains and tests the config's model with its optimizer,
data pipelines, batch size and data-loading workers on a small generated set
(:func:`~higherhrnet_plugin.analysis.generated_data.make_data`, at COCO's
usual image size; nothing is downloaded), and gives each check a verdict:

- ``train fp32`` / ``train amp``: a few training iterations from the same
  initial weights on the same batches, fp32 and mixed precision (float16
  autocast and a dynamic ``GradScaler``, MMEngine's ``AmpOptimWrapper``, on
  CUDA; bfloat16 autocast on the CPU, where ``AmpOptimWrapper`` does not
  run). The precision is this module's, whatever wrapper the config names.
  FAIL if a loss is not finite or the GPU runs out of memory; WARN if the
  first mixed-precision loss is more than :data:`_AMP_LOSS_RTOL` away from the
  fp32 one (same weights, same batch).
- ``memory fp32`` / ``memory amp``: peak ``torch.cuda.max_memory_allocated``
  of those iterations; WARN above :data:`_MEMORY_WARN` of the GPU's memory
  (a multi-GPU job adds DDP's gradient buckets).
- ``speed fp32`` / ``speed amp``: median seconds per iteration and the share
  of the time spent in the data loader's ``next()``, over the iterations
  after the first (cuDNN's autotuning, the workers' start), with the
  config's ``env_cfg.cudnn_benchmark``; WARN above :data:`_DATA_WAIT_WARN`.
- ``batch 1 vs N, TF32 on`` / ``off``: the test step (the config's test
  pipeline and ``test_cfg``, PyTorch's default init: noisy heatmaps and many
  people, a hard case) on the generated val images one at a time and in one
  batch, cuDNN's benchmark off as ``tools/test.py`` runs, through
  :func:`~higherhrnet_plugin.analysis.test_throughput.benchmark_test`. OK if
  the poses are bit-identical; WARN if they differ while the heatmaps agree
  within :data:`_HEATMAP_ATOL` (float rounding: TF32, cuDNN's choice of
  kernel by batch size); FAIL beyond it (batching changes the outputs).
- ``decoder``: the grouping's stages (:data:`~higherhrnet_plugin.codecs.
  grouping.STAGES`) on synthetic maps of a few people at the input size
  (:func:`~higherhrnet_plugin.analysis.decode_benchmark.make_inputs`), on
  the maps the codec decodes on this device (on the device for CUDA
  tensors, host arrays on the CPU); FAIL unless the device and host maps
  give the same people, bit for bit.

Every figure is from this run and this machine; the thresholds are rules
of thumb, not measured limits.
"""
import copy
import logging
import tempfile
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.runner.amp import autocast
from mmengine.utils import ProgressBar

from higherhrnet_plugin.analysis.generated_data import make_data

_AMP_LOSS_RTOL = 0.05
_MEMORY_WARN = 0.9
_DATA_WAIT_WARN = 0.2
# largest heatmap difference (heatmaps are in [0, 1]) that float rounding
# explains, with TF32 on / off
_HEATMAP_ATOL = {True: 5e-2, False: 1e-3}
PRECISIONS = ('fp32', 'amp')


@dataclass
class Check:
    """One verdict: ``OK``, ``WARN`` or ``FAIL``, why, and its figures."""
    name: str
    verdict: str
    message: str
    details: dict = field(default_factory=dict)

    def line(self) -> str:
        return f'{self.verdict:<4} {self.name}: {self.message}'


class CPUAutocastOptimWrapper(OptimWrapper):
    """:class:`OptimWrapper` whose forward runs under bfloat16 autocast on
    the CPU (``AmpOptimWrapper`` asserts an accelerator); the backward pass
    and the update stay fp32, as with ``AmpOptimWrapper``."""

    @contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        with super().optim_context(model), autocast(
                device_type='cpu', dtype=torch.bfloat16):
            yield


def resolve_device(name: Optional[str]) -> torch.device:
    """``name`` (default: ``cuda:0`` when CUDA is available, else ``cpu``)
    as a device; ValueError for CUDA without CUDA."""
    if name is None:
        name = 'cuda:0' if torch.cuda.is_available() else 'cpu'
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f'--device {name}: {exc}') from None
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise ValueError(
                f'--device {name}: CUDA is not available (torch '
                f'{torch.__version__}, CUDA build {torch.version.cuda}); '
                'use --device cpu')
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise ValueError(f'--device {name}: only '
                             f'{torch.cuda.device_count()} GPU(s) visible')
        device = torch.device('cuda', index)
    elif device.type != 'cpu':
        raise ValueError(f'--device {name}: cuda:N or cpu expected')
    return device


def _precision_label(precision: str, device: torch.device) -> str:
    """What ``precision`` means on ``device``."""
    if precision == 'fp32':
        return 'fp32'
    if device.type == 'cuda':
        return 'float16 autocast + GradScaler'
    return 'bfloat16 autocast on the CPU (float16 + GradScaler needs CUDA)'


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _clock(device: torch.device) -> Callable[[], float]:
    """``time.perf_counter`` after the device's queued work is done."""
    def clock() -> float:
        _sync(device)
        return time.perf_counter()
    return clock


@contextmanager
def tf32(enabled: bool) -> Iterator[None]:
    """TF32 matmuls and cuDNN convolutions on or off (no-ops on the CPU)."""
    old = (torch.backends.cuda.matmul.allow_tf32,
           torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        (torch.backends.cuda.matmul.allow_tf32,
         torch.backends.cudnn.allow_tf32) = old


@contextmanager
def cudnn_benchmark(enabled: bool) -> Iterator[None]:
    """``torch.backends.cudnn.benchmark`` as the config's
    ``env_cfg.cudnn_benchmark`` sets it in MMEngine's runner."""
    old = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = old


def build_precision_wrapper(model: torch.nn.Module, optim_cfg: Config,
                            precision: str,
                            device: torch.device) -> OptimWrapper:
    """The config's optimizer (and its parameter-wise settings and gradient
    clipping) in the wrapper of ``precision``, whatever wrapper the config
    names."""
    if 'optimizer' not in optim_cfg:
        raise ValueError('optim_wrapper.optimizer: missing')
    wrapper = {k: copy.deepcopy(optim_cfg[k])
               for k in ('optimizer', 'paramwise_cfg', 'constructor',
                         'clip_grad') if optim_cfg.get(k) is not None}
    if precision == 'fp32':
        wrapper['type'] = 'OptimWrapper'
    elif device.type == 'cuda':
        wrapper.update(type='AmpOptimWrapper', dtype='float16',
                       loss_scale='dynamic')
    else:
        wrapper['type'] = CPUAutocastOptimWrapper
    return build_optim_wrapper(model, wrapper)


def _train_pass(model: torch.nn.Module, cfg: Config, precision: str,
               device: torch.device, iters: int) -> dict:
    """``iters`` training iterations of ``model`` (in place) on the config's
    training loader, seeded so that every pass sees the same batches.

    Returns:
        dict: ``losses`` (float per iteration), ``wait_s`` and ``step_s``
        (seconds in the loader's ``next()`` and in ``train_step`` per
        iteration), ``peak_bytes`` (None on the CPU) and ``loss_scale``
        (the GradScaler's at the end, None without one).
    """
    from mmengine.runner import Runner
    from mmengine.runner.utils import set_random_seed
    wrapper = build_precision_wrapper(model, cfg.optim_wrapper, precision,
                                      device)
    set_random_seed(0)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    if device.type == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    model.train()
    model.zero_grad(set_to_none=True)  # nothing left from a failed pass
    losses, wait_s, step_s = [], [], []
    batches = iter(loader)
    bar = ProgressBar(iters)
    for _ in range(iters):
        t0 = time.perf_counter()
        batch = next(batches)
        t1 = time.perf_counter()
        log_vars = model.train_step(batch, wrapper)
        _sync(device)
        wait_s.append(t1 - t0)
        step_s.append(time.perf_counter() - t1)
        losses.append(log_vars['loss'].detach())
        bar.update()
    del batches, loader  # stops the workers before the next pass
    scaler = getattr(wrapper, 'loss_scaler', None)
    return dict(
        losses=torch.stack(losses).float().cpu().tolist(),
        wait_s=wait_s, step_s=step_s,
        peak_bytes=torch.cuda.max_memory_allocated(device)
        if device.type == 'cuda' else None,
        loss_scale=float(scaler.get_scale()) if scaler is not None else None)


def training_checks(run: dict, precision: str, device: torch.device,
                    cfg: Config, fp32_first: Optional[float]) -> List[Check]:
    """The ``train``, ``memory`` and ``speed`` verdicts of one
    :func:`_train_pass`."""
    batch = cfg.train_dataloader.batch_size
    return [
        _train_check(run, precision, device, batch, fp32_first),
        _memory_check(run, precision, device, batch),
        _speed_check(run, precision, cfg)
    ]


def _train_check(run: dict, precision: str, device: torch.device,
                 batch: int, fp32_first: Optional[float]) -> Check:
    """Finite losses, their trend, and the first loss against fp32's."""
    losses = run['losses']
    finite = bool(np.all(np.isfinite(losses)))
    trend = 'decreased' if losses[-1] < losses[0] else \
        f'not lower after {len(losses)} iterations'
    msg = (f'{_precision_label(precision, device)}, {len(losses)} iterations '
           f'at batch {batch}, loss {losses[0]:.4g} -> {losses[-1]:.4g} '
           f'({trend})')
    verdict = 'OK'
    if not finite:
        verdict = 'FAIL'
        msg += '; non-finite loss at iteration ' + str(
            int(np.flatnonzero(~np.isfinite(losses))[0]) + 1)
    elif fp32_first is not None:
        rel = abs(losses[0] - fp32_first) / max(abs(fp32_first), 1e-12)
        msg += f'; first loss {rel:.2%} from fp32\'s'
        if rel > _AMP_LOSS_RTOL:
            verdict = 'WARN'
            msg += f' (more than {_AMP_LOSS_RTOL:.0%})'
    if run['loss_scale'] is not None:
        msg += f'; GradScaler scale {run["loss_scale"]:g}'
    return Check(f'train {precision}', verdict, msg,
                 dict(losses=losses, loss_scale=run['loss_scale']))


def _memory_check(run: dict, precision: str, device: torch.device,
                  batch: int) -> Check:
    """The peak memory's share of the device's."""
    peak = run['peak_bytes']
    if peak is None:
        return Check(f'memory {precision}', 'OK', 'n/a on CPU')
    total = torch.cuda.get_device_properties(device).total_memory
    share = peak / total
    verdict = 'WARN' if share > _MEMORY_WARN else 'OK'
    msg = (f'peak {peak / 2**30:.2f} GiB of {total / 2**30:.1f} GiB '
           f'({share:.0%}) at batch {batch}')
    if verdict == 'WARN':
        msg += (f'; above {_MEMORY_WARN:.0%}: DDP\'s gradient buckets '
                'and fragmentation may run out of memory on many GPUs')
    return Check(f'memory {precision}', verdict, msg,
                 dict(peak_bytes=peak, total_bytes=total))


def _speed_check(run: dict, precision: str, cfg: Config) -> Check:
    """Seconds an iteration and the share of them spent waiting for
    data, the first iteration left out."""
    batch = cfg.train_dataloader.batch_size
    wait, step = run['wait_s'][1:], run['step_s'][1:]
    total_s = sum(wait) + sum(step)
    share = sum(wait) / total_s
    iter_s = float(np.median(np.add(wait, step)))
    workers = cfg.train_dataloader.get('num_workers', 0)
    msg = (f'{iter_s:.3f} s/iteration, {batch / iter_s:.1f} images/s '
           f'(median of {len(wait)} after the first), waiting for data '
           f'{share:.0%} ({workers} workers)')
    verdict = 'OK'
    if share > _DATA_WAIT_WARN:
        verdict = 'WARN'
        msg += (f'; above {_DATA_WAIT_WARN:.0%}: the device idles, raise '
                'train_dataloader.num_workers')
    prefetched = workers * cfg.train_dataloader.get('prefetch_factor', 2)
    if len(wait) <= prefetched:
        msg += (f'; the workers prefetch {prefetched} batches: more '
                '--iters measure the wait better')
    return Check(f'speed {precision}', verdict, msg,
                 dict(iter_s=iter_s, data_wait_share=share))


def batch_checks(model: torch.nn.Module, items: Sequence[dict],
                 device: torch.device) -> List[Check]:
    """Batch 1 against one batch of all ``items``, TF32 on and off."""
    from higherhrnet_plugin.analysis.test_throughput import benchmark_test
    n = len(items)
    checks = []
    for enabled in (True, False):
        name = f'batch 1 vs {n}, TF32 {"on" if enabled else "off"}'
        with tf32(enabled):
            result = benchmark_test(model, items, (1, n), options=(),
                                    with_original=False)
        row = result['variants'][f'batch {n}']
        diff = row['max_heatmap_diff']
        msg = (f'{result["people"]} people at batch 1, largest heatmap '
               f'difference {diff:.2e}, batch {n} '
               f'{row["images_per_s"]:.2f} images/s')
        if row['identical_poses']:
            verdict, msg = 'OK', 'same poses; ' + msg
        elif diff <= _HEATMAP_ATOL[enabled]:
            verdict = 'WARN'
            msg = ('poses differ by rounding; ' + msg +
                   ' (see docs/batched_testing.md to make them exact)')
        else:
            verdict = 'FAIL'
            msg = (f'heatmaps differ beyond {_HEATMAP_ATOL[enabled]:g}: '
                   'batching changes the outputs; ' + msg)
        if device.type == 'cpu':
            msg += '; TF32 flags are no-ops on the CPU'
        checks.append(Check(name, verdict, msg, dict(
            people=result['people'], max_heatmap_diff=diff,
            identical_poses=row['identical_poses'])))
    return checks


def decoder_check(codec, num_keypoints: int, device: torch.device,
                  people: int, repeats: int = 3) -> Check:
    """Median stage times of the grouping on the maps the codec decodes on
    ``device``, and whether device and host maps give the same people."""
    from higherhrnet_plugin.analysis.decode_benchmark import make_inputs
    from higherhrnet_plugin.core.dense_maps import NumpyMaps
    from higherhrnet_plugin.codecs.dense_maps_torch import TorchMaps
    from higherhrnet_plugin.core.grouping import STAGES, group_people
    size_wh = tuple(codec.input_size)
    det, tag = make_inputs(people, size_wh, num_joints=num_keypoints)
    options = codec.decode_options(num_keypoints)
    nms = options.nms_kernel
    det_dev, tag_dev = det[0].to(device), tag[0].to(device)

    def host():
        return NumpyMaps(det[0].numpy(), tag[0].numpy(), nms)

    def on_device():
        return TorchMaps(det_dev, tag_dev, nms)

    # the maps AssociativeEmbeddingCodec.decode builds for this device
    timed = on_device if device.type == 'cuda' else host
    clock = _clock(device)
    runs = []
    for _ in range(repeats):
        times: Dict[str, float] = {}
        got = group_people(timed(), options, times, clock)
        runs.append(times)
    ms = {s: 1e3 * float(np.median([r.get(s, 0.0) for r in runs]))
          for s in STAGES}
    other = group_people(host() if timed is on_device else on_device(),
                         options)
    same = all(np.array_equal(a, b) for a, b in zip(got, other))
    where = f'torch maps on {device}' if timed is on_device else \
        'numpy maps'
    msg = (f'{people} people on {size_wh[0]}x{size_wh[1]} maps, '
           f'{len(got[0])} found: ' +
           ', '.join(f'{s} {v:.1f}' for s, v in ms.items()) +
           f' ms (total {sum(ms.values()):.1f} ms, median of {repeats}, '
           f'{where}); torch maps on {device} and numpy maps give ')
    if same:
        return Check('decoder', 'OK', msg + 'the same people',
                     dict(stage_ms=ms))
    return Check('decoder', 'FAIL', msg + 'different people',
                 dict(stage_ms=ms))


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ''


def _guarded(name: str, fn: Callable[[], List[Check]],
             oom_hint: str) -> List[Check]:
    """``fn()``, or one FAIL naming what it raised (``oom_hint`` added to an
    out-of-memory error)."""
    try:
        return fn()
    except torch.cuda.OutOfMemoryError as exc:
        reason = f'out of memory ({_first_line(exc)}); {oom_hint}'
    except Exception as exc:  # noqa: BLE001 -- reported as this check's FAIL
        reason = f'{type(exc).__name__}: {_first_line(exc)}'
    # out of the except block, the failed step's tensors are free to go
    torch.cuda.empty_cache()
    return [Check(name, 'FAIL', reason)]


@contextmanager
def _quiet_logger() -> Iterator[None]:
    """MMEngine's current logger at WARNING: without a runner's log file,
    ``init_weights`` prints a line per parameter."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def environment(cfg: Config, device: torch.device) -> dict:
    """What the checks ran on."""
    env = dict(device=str(device), torch=torch.__version__,
               batch_size=cfg.train_dataloader.batch_size,
               num_workers=cfg.train_dataloader.get('num_workers', 0),
               cudnn_benchmark=bool(
                   cfg.get('env_cfg', {}).get('cudnn_benchmark', False)))
    if device.type == 'cuda':
        env.update(
            name=torch.cuda.get_device_name(device), cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            tf32_matmul=torch.backends.cuda.matmul.allow_tf32,
            tf32_cudnn=torch.backends.cudnn.allow_tf32)
    else:
        env['name'] = 'CPU'
    return env


def gpu_check(cfg: Config, device: torch.device, iters: int = 10,
              test_images: int = 8, decode_people: int = 10,
              image_size: Tuple[int, int] = (640, 480),
              progress: Optional[Callable[[str], None]] = None) -> dict:
    """Run every check of the module docstring.

    Args:
        cfg: the config (its model, optim_wrapper, train/test dataloaders,
            env_cfg); its datasets are replaced by the generated set.
        device: :func:`resolve_device`'s.
        iters: training iterations per precision (>= 2: the first is left
            out of the timings).
        test_images: generated val images: batch 1 against a batch of all.
        decode_people: people on the decoder's synthetic maps.
        image_size: (w, h) of the generated images.
        progress: called with a short message before each step.

    Returns:
        dict: ``environment`` and ``checks`` (:class:`Check` each).
    """
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    from higherhrnet_plugin.analysis.error_breakdown import ae_codec
    from higherhrnet_plugin.analysis.head_configs import strip_pretrained
    if iters < 2:
        raise ValueError(f'--iters: at least 2, got {iters}')
    if test_images < 2:
        raise ValueError(f'--test-images: at least 2, got {test_images}')
    say = progress or (lambda msg: None)
    init_default_scope('mmpose')
    cfg = copy.deepcopy(cfg)
    strip_pretrained(cfg.model)  # nothing is downloaded
    if device.type == 'cuda':
        torch.cuda.set_device(device)
    env = environment(cfg, device)
    checks: List[Check] = []
    with tempfile.TemporaryDirectory() as root:
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        codec = ae_codec(model)
        num_keypoints = model.head.num_keypoints
        say(f'generating {cfg.train_dataloader.batch_size} training and '
            f'{test_images} val images')
        cfg = make_data(cfg, root, num_keypoints, image_size, test_images)
        checks += _precision_checks(model, cfg, device, iters,
                                    env['cudnn_benchmark'], say)
        del model
        if device.type == 'cuda':
            torch.cuda.empty_cache()

        say('batch 1 against one batch, TF32 on and off')
        checks += _batching_checks(cfg, device, test_images)

    say('decoder stages')
    checks += _guarded('decoder', lambda: [decoder_check(
        codec, num_keypoints, device, decode_people)],
        'lower --decode-people')
    return dict(environment=env, checks=checks)


def _batching_checks(cfg: Config, device: torch.device,
                     test_images: int) -> List[Check]:
    """:func:`batch_checks` on a network with PyTorch's default init (no
    ``init_weights``: noisy heatmaps, many people to group) and the
    generated val images."""
    from mmpose.registry import MODELS

    from higherhrnet_plugin.analysis.test_throughput import load_items

    def batches():
        torch.manual_seed(0)
        net = MODELS.build(cfg.model).to(device).eval()
        return batch_checks(net, load_items(cfg, test_images), device)
    # test shapes vary: tools/test.py turns cuDNN's benchmark off
    with cudnn_benchmark(False):
        return _guarded(f'batch 1 vs {test_images}', batches,
                        'lower --test-images')


def _precision_checks(model: torch.nn.Module, cfg: Config,
                      device: torch.device, iters: int,
                      benchmark: bool, say: Callable[[str], None]
                      ) -> List[Check]:
    """:func:`_train_pass` and :func:`training_checks` in each of
    :data:`PRECISIONS`, each from the same initial weights (as a training
    run starts: ``init_weights``)."""
    with _quiet_logger():
        model.init_weights()
    # kept on the host: the peak memory is the training's alone
    initial = copy.deepcopy(model.state_dict())
    model.to(device)
    fp32_first = None
    checks: List[Check] = []
    with cudnn_benchmark(benchmark):
        for precision in PRECISIONS:
            say(f'training, {_precision_label(precision, device)}')
            model.load_state_dict(initial)

            def train(precision=precision):
                run = _train_pass(model, cfg, precision, device, iters)
                return training_checks(run, precision, device, cfg,
                                       fp32_first)
            got = _guarded(f'train {precision}', train,
                           'lower train_dataloader.batch_size')
            if precision == 'fp32' and got[0].verdict != 'FAIL':
                fp32_first = got[0].details['losses'][0]
            checks += got
    return checks


def format_report(result: dict) -> str:
    """The environment line and one line per check."""
    env = result['environment']
    head = (f'{env["name"]} ({env["device"]}), torch {env["torch"]}')
    if 'cuda' in env:
        head += (f', CUDA {env["cuda"]}, cuDNN {env["cudnn"]}, TF32 '
                 f'matmul {"on" if env["tf32_matmul"] else "off"} / '
                 f'cuDNN {"on" if env["tf32_cudnn"] else "off"}')
    head += (f'; batch {env["batch_size"]}, {env["num_workers"]} workers, '
             f'cudnn_benchmark {env["cudnn_benchmark"]}')
    return '\n'.join([head] + [c.line() for c in result['checks']])


def failed(result: dict) -> bool:
    """Whether any check FAILed."""
    return any(c.verdict == 'FAIL' for c in result['checks'])


def to_json(result: dict) -> dict:
    """``result`` with its checks as plain dicts."""
    return dict(environment=result['environment'],
                checks=[asdict(c) for c in result['checks']])
