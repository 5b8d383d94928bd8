"""Measure one bottom-up head on equal terms (run in a fresh process per
head, see :mod:`higherhrnet_plugin.analysis.head_benchmark`).

Models are built with every ``Pretrained`` init_cfg removed (nothing is
downloaded) and initialised with their own ``init_weights``, in eval mode,
on CPU, with ``torch.set_num_threads`` fixed. Measured:

- ``params``: parameters of the whole model; ``flops``: MMEngine's
  ``get_model_complexity_info`` of the tensor forward (backbone, neck,
  head; one multiply-add = one FLOP) at input 1x3xSxS;
- ``forward_ms``: median over ``repeats`` runs (after ``warmup``) of the
  tensor forward (``model._forward``) on a random 1x3xSxS input;
- ``decode_ms``: ``model.head.predict`` minus ``model.head.forward``, both
  medians on the backbone (and neck) features of the same packed real image,
  computed once: everything after the network tensors, i.e. the head's
  post-processing and decoding (grouping, NMS, CID's instance-wise
  heatmaps, DEKR's rescoring) and the mapping back to image pixels. With
  untrained (random) weights the number of people found is arbitrary, and
  grouping time depends on it: ``people`` reports how many were found;
- ``e2e_ms``: median of ``mmpose.apis.inference_bottomup`` (image file ->
  test pipeline -> ``test_step`` -> poses) on the same real image for all
  heads, its test pipeline resized to S;
- ``peak_mb``: the peak increase of the process's resident memory (RSS,
  sampled every millisecond from /proc) during the first end-to-end call,
  over the RSS just before it; ``rss_mb``: the process's RSS then.

With a checkpoint and a COCO-format ``dataset`` (annotation file, image
dir), the head is also tested with ``CocoMetric`` (AP, AP (M), AP (L)),
with its own config's evaluator options.
"""
import copy
import os
import os.path as osp
import threading
import time

from .complexity import model_complexity
from .head_configs import set_test_settings, strip_pretrained

AP_KEYS = (('AP', 'coco/AP'), ('AP (M)', 'coco/AP (M)'),
           ('AP (L)', 'coco/AP (L)'))


def _rss_mb() -> float:
    try:
        with open('/proc/self/statm') as fh:
            return int(fh.read().split()[1]) * os.sysconf(
                'SC_PAGE_SIZE') / 2**20
    except OSError:  # not Linux: the high-water mark instead
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _PeakRSS:
    """Peak RSS increase (MB) while the ``with`` block runs."""

    def __enter__(self):
        self.base = _rss_mb()
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())
        self.increase = self.peak - self.base


def _median_ms(fn, warmup: int, repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    import numpy as np
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line, at most 300 characters."""
    msg = ' '.join(str(exc).split())
    return f'{type(exc).__name__}: {msg}'[:300]


def classify(reason: str) -> str:
    """``cuda-only`` for a failure that needs a GPU, else ``failed``."""
    low = reason.lower()
    if 'cuda' in low or 'gpu support' in low or 'nvidia' in low:
        return 'cuda-only'
    return 'failed'


def _build_model(cfg, checkpoint=None):
    """The config's model on CPU in eval mode: the checkpoint's weights, or
    its own init with no pretrained weights."""
    from mmpose.apis import init_model
    strip_pretrained(cfg.model)
    model = init_model(cfg, checkpoint, device='cpu')
    if checkpoint is None:
        model.init_weights()  # each head's own init (no Pretrained left)
    return model.eval()


def _count_people(results) -> int:
    inst = results[0].pred_instances
    return int(len(inst.keypoints)) if 'keypoints' in inst else 0


def measure(spec: dict) -> dict:
    """Everything for one head; returns the result dict (never raises).

    ``spec``: ``name``, ``config``, ``path`` (the config file), ``shape``
    (S), ``threads``, ``warmup``, ``repeats``, ``image``, ``flip_test``,
    ``out`` and optionally ``checkpoint`` and ``dataset``.
    """
    import torch
    from mmengine.config import Config
    torch.set_num_threads(spec['threads'])
    res = dict(name=spec['name'], config=spec['config'], status='ok',
               reason='', shape=spec['shape'], threads=spec['threads'])
    try:
        from mmengine.registry import init_default_scope

        import higherhrnet_plugin  # noqa: F401
        cfg = Config.fromfile(spec['path'])
        init_default_scope(cfg.get('default_scope', 'mmpose'))
        res['head'] = cfg.model.head.type
        res['flip_test'] = set_test_settings(cfg, spec['shape'],
                                             spec['flip_test'])
        model = _build_model(cfg, spec.get('checkpoint'))
    except Exception as exc:  # noqa: BLE001
        reason = one_line(exc)
        return dict(res, status='build ' + classify(reason), reason=reason)

    with torch.no_grad():
        for phase, timer in (('end-to-end', _time_end_to_end),
                             ('forward', _time_forward),
                             ('decode', _time_decode),
                             ('flops', _count_size)):
            try:
                timer(model, spec, res)
            except Exception as exc:  # noqa: BLE001
                reason = f'{phase}: {one_line(exc)}'
                return dict(res, status=classify(reason), reason=reason)

    if spec.get('checkpoint') and spec.get('dataset'):
        try:
            metrics = evaluate(spec, model)
            res.update({k: metrics.get(m) for k, m in AP_KEYS})
        except Exception as exc:  # noqa: BLE001
            res['reason'] = f'AP: {one_line(exc)}'
    return res


def _time_end_to_end(model, spec: dict, res: dict) -> None:
    """Peak memory of the first image-to-poses call in this process, the
    people it finds, and the median time of the call."""
    from mmpose.apis import inference_bottomup
    with _PeakRSS() as mem:
        out = inference_bottomup(model, spec['image'])
    res['peak_mb'] = round(mem.increase, 1)
    res['rss_mb'] = round(mem.base, 1)
    res['people'] = _count_people(out)
    res['e2e_ms'] = round(_median_ms(
        lambda: inference_bottomup(model, spec['image']),
        max(0, spec['warmup'] - 1), spec['repeats']), 2)


def _time_forward(model, spec: dict, res: dict) -> None:
    """The network's forward on an (1, 3, S, S) input."""
    import torch
    size = spec['shape']
    x = torch.rand(1, 3, size, size)
    res['forward_ms'] = round(_median_ms(
        lambda: model._forward(x), spec['warmup'], spec['repeats']), 2)


def _time_decode(model, spec: dict, res: dict) -> None:
    """The decoding: the head's predict less its forward, on the image's
    test input."""
    from mmengine.dataset import Compose, pseudo_collate
    pipeline = Compose(model.cfg.test_dataloader.dataset.pipeline)
    data = dict(img_path=spec['image'], **model.dataset_meta)
    batch = model.data_preprocessor(pseudo_collate([pipeline(data)]), False)
    inputs, samples = batch['inputs'], batch['data_samples']
    res['image_input'] = list(inputs.shape[-2:])
    # on the head alone (backbone features computed once): the
    # difference of two whole-model medians drowns in their noise
    feats = model.extract_feat(inputs)
    t_pred = _median_ms(
        lambda: model.head.predict(feats, samples, test_cfg=model.test_cfg),
        spec['warmup'], spec['repeats'])
    t_head = _median_ms(lambda: model.head.forward(feats), spec['warmup'],
                       spec['repeats'])
    res['head_predict_ms'] = round(t_pred, 2)
    res['decode_ms'] = round(max(0.0, t_pred - t_head), 2)


def _count_size(model, spec: dict, res: dict) -> None:
    """Parameters, and FLOPs at S x S."""
    size = spec['shape']
    res['params'] = int(sum(p.numel() for p in model.parameters()))
    res['flops'] = int(model_complexity(model, size, size)['flops'])


def evaluate(spec: dict, model) -> dict:
    """CocoMetric on ``spec['dataset']`` (ann file, image dir) with the
    already built model (its checkpoint loaded)."""
    from mmengine.runner import Runner
    ann, img_dir = (osp.abspath(p) for p in spec['dataset'])
    cfg = copy.deepcopy(model.cfg)
    dl = cfg.test_dataloader
    dl.dataset.data_root = ''
    dl.dataset.ann_file = ann
    dl.dataset.data_prefix = dict(img=img_dir + '/')
    dl.num_workers = 0
    dl.persistent_workers = False
    cfg.test_evaluator.ann_file = ann
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                'val_dataloader', 'val_cfg', 'val_evaluator',
                'param_scheduler', 'auto_scale_lr'):
        cfg[key] = None
    cfg.custom_hooks = []
    cfg.visualizer = None
    cfg.launcher = 'none'
    cfg.load_from = None
    cfg.work_dir = osp.join(spec['out'], 'eval', spec['name'])
    runner = Runner.from_cfg(cfg)
    runner.model.load_state_dict(model.state_dict())
    return {k: float(v) for k, v in (runner.test() or {}).items()}
