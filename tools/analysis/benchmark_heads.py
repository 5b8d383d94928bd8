"""Benchmark bottom-up heads on equal terms: HigherHRNet against MMPose's
other bottom-up heads, measured the same way on the same machine.

    python tools/analysis/benchmark_heads.py [--configs [NAME=]CONFIG ...]
        [--shape 512] [--out DIR] [--threads 2] [--warmup 2] [--repeats 10]
        [--image IMG] [--flip-test]
        [--checkpoints CKPT|- ...] [--dataset ANN_FILE IMG_DIR]
        [--train-budget MINUTES [--data-root DIR] [--num-train N]
         [--num-val M]]

CONFIG is a path or an MMPose config name such as
``mmpose::body_2d_keypoint/dekr/coco/dekr_hrnet-w32_8xb10-140e_coco-512x512.py``.
The default set is our HigherHRNet-W32 and HRNet-AE baseline (W32), MMPose's
DEKR-W32 and CID-W32 (all 512x512 configs) and RTMO-s.

Every head runs in its own fresh Python process (failures are isolated and
memory is measured per head). Models are built with every ``Pretrained``
init_cfg removed (nothing is downloaded) and initialised with their own
``init_weights``, in eval mode, on CPU, with ``torch.set_num_threads``
fixed. Measured per head:

- ``params``: parameters of the whole model; ``flops``: MMEngine's
  ``get_model_complexity_info`` of the tensor forward (backbone, neck,
  head; one multiply-add = one FLOP) at ``--shape`` S, input 1x3xSxS;
- ``forward_ms``: median over ``--repeats`` runs (after ``--warmup``) of the
  tensor forward (``model._forward``) on a random 1x3xSxS input;
- ``decode_ms``: ``model.head.predict`` minus ``model.head.forward``, both
  medians on the backbone (and neck) features of the same packed real image,
  computed once: everything after the network tensors, i.e.
  the head's post-processing and decoding (grouping, NMS, CID's
  instance-wise heatmaps, DEKR's rescoring) and the mapping back to image
  pixels. With untrained (random) weights the number of people found is
  arbitrary, and grouping time depends on it: ``people`` reports how many
  were found, so read decode times of untrained heads with that in mind;
- ``e2e_ms``: median of ``mmpose.apis.inference_bottomup`` (image file ->
  test pipeline -> ``test_step`` -> poses) on the same real image for all
  heads, its test pipeline resized to S;
- ``peak_mb``: the peak increase of the process's resident memory (RSS,
  sampled every millisecond from /proc) during the first end-to-end call,
  over the RSS just before it; ``rss_mb``: the process's RSS then.

Test-time settings are the same for every head: flip test off (``--flip-test``
turns it on where the head supports it), single scale. With ``--checkpoints``
(one per config, ``-`` for none) and ``--dataset ANN_FILE IMG_DIR`` (a
COCO-format set), the heads with a checkpoint are also tested with
``CocoMetric`` (AP, AP (M), AP (L)), each with its own config's evaluator
options.

``--train-budget MINUTES`` trains a small variant of each head on the
synthetic COCO set (generated once with ``make_synthetic_coco`` under
``--data-root``, default ``DIR/synthetic_coco``) for the same wall-clock
minutes and tests it on the synthetic val split (AP, AP (M), AP (L) of
``CocoMetric``, flip off). The small variants share everything with
``configs/demo/`` (read through ``tools/demo.py``'s ``build_cfg``): the
narrow W16-tiny HRNet backbone for the HRNet-based heads (RTMO: its own
smallest backbone, RTMO-s's CSPDarknet at widen factor 0.25), the 256x256
input, the augmentation, the batch size and the optimizer. The learning
rate schedule is the demo's (linear warm-up, then its decay), converted to
fractions of the budget, and a hook sets the rate from the elapsed
wall-clock time and stops training when the budget is spent.

Writes ``DIR/results.json`` (one object per head), ``DIR/results.md`` (a
table) and ``DIR/results.png`` (a bar chart). Heads that fail to build or
run (e.g. a CUDA-only op) are kept with ``status`` and a one-line
``reason``.
"""
import argparse
import copy
import json
import math
import os
import os.path as osp
import platform
import subprocess
import sys
import threading
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DEFAULT_ENTRIES = [
    ('higherhrnet-w32', 'configs/higherhrnet/coco/'
     'higherhrnet_hrnet-w32_8xb24-300e_coco-512x512.py'),
    ('ae-w32', 'configs/ae/coco/ae_hrnet-w32_8xb24-300e_coco-512x512.py'),
    ('dekr-w32', 'mmpose::body_2d_keypoint/dekr/coco/'
     'dekr_hrnet-w32_8xb10-140e_coco-512x512.py'),
    ('cid-w32', 'mmpose::body_2d_keypoint/cid/coco/'
     'cid_hrnet-w32_8xb20-140e_coco-512x512.py'),
    ('rtmo-s', 'mmpose::body_2d_keypoint/rtmo/coco/'
     'rtmo-s_8xb32-600e_coco-640x640.py'),
]
DEFAULT_IMAGE = osp.join(ROOT, '..', 'shared', 'data', 'coco',
                         '000000000785.jpg')
AP_KEYS = (('AP', 'coco/AP'), ('AP (M)', 'coco/AP (M)'),
           ('AP (L)', 'coco/AP (L)'))


# --------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------
def resolve_config(config: str) -> str:
    """A path, or ``mmpose::REL`` inside MMPose's shipped configs."""
    if config.startswith('mmpose::'):
        import mmpose
        base = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs')
        path = osp.join(base, config[len('mmpose::'):])
    else:
        path = config if osp.isabs(config) or osp.exists(config) else \
            osp.join(ROOT, config)
    return osp.abspath(path)


def parse_entries(specs):
    entries = []
    for spec in specs:
        name, sep, config = spec.partition('=')
        if not sep or '/' in name or name.startswith('mmpose:'):
            name, config = None, spec
        path = resolve_config(config)
        if not osp.isfile(path):
            raise FileNotFoundError(config)
        if name is None:
            name = osp.splitext(osp.basename(path))[0]
        entries.append(dict(name=name, config=config, path=path))
    return entries


def strip_pretrained(node):
    """Remove every ``Pretrained`` init_cfg and ``pretrained=`` (in place)."""
    if isinstance(node, dict):
        for key in list(node.keys()):
            val = node[key]
            if key == 'pretrained' and isinstance(val, str):
                node[key] = None
            elif key == 'init_cfg':
                if isinstance(val, dict) and val.get('type') == 'Pretrained':
                    node[key] = None
                elif isinstance(val, (list, tuple)):
                    node[key] = [
                        v for v in val if not (isinstance(v, dict) and v.get(
                            'type') == 'Pretrained')
                    ] or None
            else:
                strip_pretrained(val)
    elif isinstance(node, (list, tuple)):
        for v in node:
            strip_pretrained(v)


def set_test_settings(cfg, size, flip_test):
    """Square input ``size`` in the test pipeline (and RTMO's test_cfg),
    flip test on/off. Returns the flip setting used (None: no flip option).
    """
    for t in cfg.test_dataloader.dataset.pipeline:
        if 'Resize' in t['type'] and 'input_size' in t:
            t['input_size'] = size if isinstance(t['input_size'], int) \
                else (size, size)
    test_cfg = cfg.model.get('test_cfg') or {}
    if 'input_size' in test_cfg:
        test_cfg['input_size'] = (size, size)
    head = cfg.model.head.type
    flip = None
    if 'flip_test' in test_cfg or head != 'RTMOHead':
        test_cfg['flip_test'] = bool(flip_test)
        flip = bool(flip_test)
    cfg.model.test_cfg = test_cfg
    return flip


# --------------------------------------------------------------------------
# measurement helpers (worker side)
# --------------------------------------------------------------------------
def _rss_mb():
    try:
        with open('/proc/self/statm') as fh:
            return int(fh.read().split()[1]) * os.sysconf(
                'SC_PAGE_SIZE') / 2**20
    except OSError:  # not Linux: the high-water mark instead
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRSS:
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


def median_ms(fn, warmup, repeats):
    import numpy as np
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return float(np.median(times))


def one_line(exc):
    msg = ' '.join(str(exc).split())
    return f'{type(exc).__name__}: {msg}'[:300]


def classify(reason):
    low = reason.lower()
    if 'cuda' in low or 'gpu support' in low or 'nvidia' in low:
        return 'cuda-only'
    return 'failed'


def _load_cfg(path):
    from mmengine.config import Config
    return Config.fromfile(path)


def build_model(cfg, checkpoint=None):
    import torch  # noqa: F401
    from mmpose.apis import init_model
    strip_pretrained(cfg.model)
    model = init_model(cfg, checkpoint, device='cpu')
    if checkpoint is None:
        model.init_weights()  # each head's own init (no Pretrained left)
    return model.eval()


def count_people(results):
    inst = results[0].pred_instances
    return int(len(inst.keypoints)) if 'keypoints' in inst else 0


def measure(spec):
    """Everything for one head; returns the result dict (never raises)."""
    import numpy as np
    import torch
    torch.set_num_threads(spec['threads'])
    res = dict(name=spec['name'], config=spec['config'], status='ok',
               reason='', shape=spec['shape'], threads=spec['threads'])
    try:
        import higherhrnet_plugin  # noqa: F401
        from mmengine.registry import init_default_scope
        cfg = _load_cfg(spec['path'])
        init_default_scope(cfg.get('default_scope', 'mmpose'))
        res['head'] = cfg.model.head.type
        res['flip_test'] = set_test_settings(cfg, spec['shape'],
                                             spec['flip_test'])
        model = build_model(cfg, spec.get('checkpoint'))
    except Exception as exc:  # noqa: BLE001
        reason = one_line(exc)
        return dict(res, status='build ' + classify(reason), reason=reason)

    size = spec['shape']
    phase = 'end-to-end'
    try:
        from mmengine.dataset import Compose, pseudo_collate
        from mmpose.apis import inference_bottomup
        with torch.no_grad():
            # peak memory of the first image-to-poses call in this process
            with PeakRSS() as mem:
                out = inference_bottomup(model, spec['image'])
            res['peak_mb'] = round(mem.increase, 1)
            res['rss_mb'] = round(mem.base, 1)
            res['people'] = count_people(out)
            res['e2e_ms'] = round(median_ms(
                lambda: inference_bottomup(model, spec['image']),
                max(0, spec['warmup'] - 1), spec['repeats']), 2)

            phase = 'forward'
            x = torch.rand(1, 3, size, size)
            res['forward_ms'] = round(median_ms(
                lambda: model._forward(x), spec['warmup'],
                spec['repeats']), 2)

            phase = 'decode'
            pipeline = Compose(model.cfg.test_dataloader.dataset.pipeline)
            data = dict(img_path=spec['image'], **model.dataset_meta)
            batch = model.data_preprocessor(
                pseudo_collate([pipeline(data)]), False)
            inputs, samples = batch['inputs'], batch['data_samples']
            res['image_input'] = list(inputs.shape[-2:])
            # on the head alone (backbone features computed once): the
            # difference of two whole-model medians drowns in their noise
            feats = model.extract_feat(inputs)
            t_pred = median_ms(
                lambda: model.head.predict(
                    feats, samples, test_cfg=model.test_cfg),
                spec['warmup'], spec['repeats'])
            t_head = median_ms(lambda: model.head.forward(feats),
                               spec['warmup'], spec['repeats'])
            res['head_predict_ms'] = round(t_pred, 2)
            res['decode_ms'] = round(max(0.0, t_pred - t_head), 2)

            phase = 'flops'
            from mmengine.analysis import get_model_complexity_info
            res['params'] = int(sum(p.numel() for p in model.parameters()))
            fwd = model.forward
            model.forward = model._forward
            try:
                info = get_model_complexity_info(
                    model, input_shape=(3, size, size), show_table=False,
                    show_arch=False)
            finally:
                model.forward = fwd
            res['flops'] = int(info['flops'])
    except Exception as exc:  # noqa: BLE001
        reason = f'{phase}: {one_line(exc)}'
        return dict(res, status=classify(reason), reason=reason)

    if spec.get('checkpoint') and spec.get('dataset'):
        try:
            metrics = evaluate(spec, model)
            res.update({k: metrics.get(m) for k, m in AP_KEYS})
        except Exception as exc:  # noqa: BLE001
            res['reason'] = f'AP: {one_line(exc)}'
    del np
    return res


def evaluate(spec, model):
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


# --------------------------------------------------------------------------
# --train-budget: small variants, time-budgeted training (worker side)
# --------------------------------------------------------------------------
def _demo_cfg(spec):
    """configs/demo/ as tools/demo.py turns it into a Runner config."""
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    import demo
    args = demo.parse_args([
        '--work-dir', spec['work_dir'], '--data-root', spec['data_root'],
        '--num-workers', str(spec['num_workers']), '--val-interval', '0',
        '--seed', '0'
    ])
    return demo, demo.build_cfg(args)


def _demo_affine(pipeline):
    return next(copy.deepcopy(t) for t in pipeline
                if t['type'] == 'BottomupRandomAffine')


def small_variant(spec):
    """The small variant of ``spec``'s head: the demo config (data,
    augmentation, batch, optimizer, runtime) with that head's model, codec
    and pipelines at the demo's input size."""
    demo, cfg = _demo_cfg(spec)
    src = _load_cfg(spec['path'])
    strip_pretrained(src.model)
    head = src.model.head
    size = tuple(cfg.codec['input_size'])
    demo_affine = _demo_affine(cfg.train_dataloader.dataset.pipeline)
    if head.type == 'HigherHRNetHead':
        if head.get('num_deconv_layers', 1) == 0:
            demo.to_baseline(cfg)
        return cfg
    if head.type in ('DEKRHead', 'CIDHead'):
        model = copy.deepcopy(src.model)
        # the demo's backbone (type, stem and widths), all four outputs
        model.backbone = copy.deepcopy(cfg.model.backbone)
        extra = model.backbone.extra
        extra['stage4']['multiscale_output'] = True
        chans = extra['stage4']['num_channels']
        model.head.in_channels = sum(chans)  # FeatureMapProcessor concat
        if head.type == 'DEKRHead':
            model.head.pop('rescore_cfg', None)  # needs COCO-trained weights
        codec = copy.deepcopy(src.codec)
        codec['input_size'] = size
        codec['heatmap_size'] = (size[0] // 4, size[1] // 4)
    elif head.type == 'RTMOHead':
        model = copy.deepcopy(src.model)
        widen = 0.25
        ratio = widen / model.backbone.widen_factor
        model.backbone.widen_factor = widen
        model.neck.widen_factor = widen
        model.neck.in_channels = [int(c * ratio)
                                  for c in model.neck.in_channels]
        # the head splits its input into equal cls and pose halves of
        # int(in_channels * widen) channels each: the projector feeds both
        model.neck.projector.out_channels = int(
            model.neck.projector.out_channels * ratio)
        model.head.head_module_cfg.widen_factor = widen
        model.data_preprocessor.pop('batch_augments', None)
        model.test_cfg.input_size = size
        codec = copy.deepcopy(src.codec)
        codec['input_size'] = size
    else:
        raise ValueError(f'no small variant for head type {head.type}')
    model.test_cfg = dict(model.get('test_cfg') or {})
    model.head.decoder = codec if 'decoder' in model.head else None
    if model.head.decoder is None:
        model.head.pop('decoder')
    cfg.model = model
    cfg.codec = codec

    # pipelines: the head's own, with the demo's augmentation and size
    train = []
    for t in src.train_dataloader.dataset.pipeline:
        t = copy.deepcopy(t)
        if t['type'] in ('Mosaic', 'YOLOXMixUp', 'YOLOXHSVRandomAug'):
            continue
        if t['type'] == 'BottomupRandomAffine':
            t = copy.deepcopy(demo_affine)
            if head.type == 'RTMOHead':
                t.update(bbox_keep_corner=False, clip_border=True)
        if t['type'] == 'GenerateTarget':
            t['encoder'] = copy.deepcopy(codec)
        if t['type'] == 'LoadImage':
            t.pop('backend_args', None)
        train.append(t)
    cfg.train_dataloader.dataset.pipeline = train
    val = copy.deepcopy(src.test_dataloader.dataset.pipeline)
    for t in val:
        if 'Resize' in t['type'] and 'input_size' in t:
            t['input_size'] = size
    for name in ('val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            cfg[name].dataset.pipeline = copy.deepcopy(val)
    # the head's own evaluation options, on the synthetic annotations
    for name in ('test_evaluator', ):
        ev = copy.deepcopy(src[name])
        ev['ann_file'] = cfg[name]['ann_file']
        cfg[name] = ev
    cfg.custom_hooks = []
    return cfg


def budget_schedule(cfg, num_train):
    """The demo's lr schedule as fractions of training: a dict with the
    linear warm-up (``warm_end`` fraction, ``warm_start`` factor) and the
    decay after it (``steps``: [(milestone fraction, gamma)] of a
    MultiStepLR, or ``cosine``: eta_min over the base lr of a
    CosineAnnealingLR)."""
    max_epochs = cfg.train_cfg.max_epochs
    iters = max_epochs * math.ceil(num_train /
                                   cfg.train_dataloader.batch_size)
    base_lr = cfg.optim_wrapper.optimizer.lr
    sched = dict(warm_end=0.0, warm_start=1.0, steps=[], cosine=None)
    for s in cfg.param_scheduler:
        if s['type'] == 'LinearLR':
            end = s.get('end', 0)
            sched['warm_end'] = end / iters if not s.get('by_epoch', True) \
                else end / max_epochs
            sched['warm_start'] = s.get('start_factor', 1 / 3)
        elif s['type'] == 'MultiStepLR':
            sched['steps'] = [(m / max_epochs, s.get('gamma', 0.1))
                              for m in s['milestones']]
        elif s['type'] == 'CosineAnnealingLR':
            sched['cosine'] = s.get('eta_min', 0.0) / base_lr
        else:
            raise ValueError(f'--train-budget: unsupported scheduler '
                             f'{s["type"]} in the demo config')
    return sched


def lr_factor(frac, warm_end, warm_start, steps, cosine):
    """Learning-rate factor at ``frac`` (0..1) of the budget."""
    f = 1.0
    if warm_end > 0 and frac < warm_end:
        f = warm_start + (1 - warm_start) * frac / warm_end
    for m, gamma in steps:
        if frac >= m:
            f *= gamma
    if cosine is not None:
        f *= cosine + (1 - cosine) * 0.5 * (1 + math.cos(
            math.pi * min(frac, 1.0)))
    return f


def train_budget(spec):
    """Train the small variant for ``spec['budget_s']`` seconds, test it."""
    import torch
    torch.set_num_threads(spec['threads'])
    res = dict(name=spec['name'], train_status='ok', train_reason='')
    try:
        import higherhrnet_plugin  # noqa: F401
        from mmengine.hooks import Hook
        from mmengine.registry import init_default_scope
        from mmengine.runner import Runner
        init_default_scope('mmpose')
        cfg = small_variant(spec)
        schedule = budget_schedule(cfg, spec['num_train'])
        budget = spec['budget_s']

        class TimeBudgetHook(Hook):
            """Sets the lr from the elapsed fraction of the budget; stops
            training when the budget is spent."""
            priority = 'VERY_HIGH'

            def before_train(self, runner):
                self.t0 = time.perf_counter()
                self.base = [g['lr'] for g in
                             runner.optim_wrapper.param_groups]

            def before_train_iter(self, runner, batch_idx, data_batch=None):
                frac = (time.perf_counter() - self.t0) / budget
                f = lr_factor(frac, **schedule)
                for g, lr in zip(runner.optim_wrapper.param_groups,
                                 self.base):
                    g['lr'] = lr * f

            def after_train_iter(self, runner, batch_idx, data_batch=None,
                                 outputs=None):
                if time.perf_counter() - self.t0 >= budget:
                    runner.train_loop.stop_training = True
                    self.iters = runner.iter + 1

        hook = TimeBudgetHook()
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=10**9,
                             val_interval=10**9)
        cfg.param_scheduler = None
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint = None
        cfg.default_hooks.logger = dict(type='LoggerHook', interval=20)
        flip = set_test_settings(cfg, cfg.codec['input_size'][0],
                                 spec['flip_test'])
        res['train_flip_test'] = flip
        runner = Runner.from_cfg(cfg)
        runner.register_hook(hook)
        res['train_params'] = int(sum(p.numel()
                                      for p in runner.model.parameters()))
        t0 = time.perf_counter()
        runner.train()
        res['train_s'] = round(time.perf_counter() - t0, 1)
        res['train_iters'] = getattr(hook, 'iters', runner.iter)
        metrics = {k: float(v) for k, v in (runner.test() or {}).items()}
        res.update({'train_' + k: metrics.get(m) for k, m in AP_KEYS})
    except Exception as exc:  # noqa: BLE001
        reason = one_line(exc)
        res.update(train_status=classify(reason), train_reason=reason)
    return res


# --------------------------------------------------------------------------
# parent: run workers, write results
# --------------------------------------------------------------------------
def run_worker(kind, spec, timeout):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='',
               OMP_NUM_THREADS=str(spec['threads']),
               MKL_NUM_THREADS=str(spec['threads']))
    out_file = osp.join(spec['out'], f'.{kind}_{spec["name"]}.json')
    if osp.exists(out_file):
        os.remove(out_file)
    spec = dict(spec, result_file=out_file, timeout=timeout)
    cmd = [sys.executable, osp.abspath(__file__), '--worker', kind,
           json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=timeout)
        err = proc.stderr.strip().splitlines()
    except subprocess.TimeoutExpired as exc:
        # the worker's stack (faulthandler) says where it was
        stack = [ln.strip() for ln in (exc.stderr or b'').decode(
            errors='replace').splitlines() if ln.strip().startswith('File')]
        ours = [ln for ln in stack if 'benchmark_heads.py' in ln]
        where = f' ({stack[0]}; {ours[0]})' if stack and ours else ''
        proc, err = None, [f'timed out after {timeout} s{where}']
    if osp.exists(out_file):
        with open(out_file) as fh:
            res = json.load(fh)
        os.remove(out_file)
        return res
    reason = (err[-1] if err else f'exit code {proc.returncode}')[:300]
    key = 'train_' if kind == 'train' else ''
    return {'name': spec['name'], key + 'status': classify(reason),
            key + 'reason': f'worker: {reason}'}


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as fh:
            for line in fh:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    import torch
    return dict(cpu=cpu, cores=os.cpu_count(), torch=torch.__version__,
                python=platform.python_version())


def _fmt(v, scale=1.0, digits=1):
    if v is None:
        return '–'
    return f'{v / scale:.{digits}f}'


def write_markdown(path, results, meta):
    has_ap = any(r.get('AP') is not None for r in results)
    has_train = any('train_status' in r for r in results)
    cols = ['head', 'params (M)', 'GFLOPs', 'forward ms', 'decode ms',
            'people', 'end-to-end ms', 'peak MB']
    if has_ap:
        cols += ['AP', 'AP (M)', 'AP (L)']
    if has_train:
        cols += ['train iters', 'AP (budget)', 'AP (M) (budget)',
                 'AP (L) (budget)']
    cols.append('status')
    lines = ['| ' + ' | '.join(cols) + ' |',
             '|' + '|'.join('---' for _ in cols) + '|']
    for r in results:
        row = [r['name'], _fmt(r.get('params'), 1e6, 2),
               _fmt(r.get('flops'), 1e9, 1), _fmt(r.get('forward_ms'), 1, 0),
               _fmt(r.get('decode_ms'), 1, 0),
               str(r['people']) if r.get('people') is not None else '–',
               _fmt(r.get('e2e_ms'), 1, 0), _fmt(r.get('peak_mb'), 1, 0)]
        if has_ap:
            row += [_fmt(r.get(k), 1, 3) for k, _ in AP_KEYS]
        if has_train:
            row += [str(r.get('train_iters', '–'))]
            row += [_fmt(r.get('train_' + k), 1, 3) for k, _ in AP_KEYS]
        status = r.get('status', 'ok')
        if r.get('reason'):
            status += f': {r["reason"]}'
        if r.get('train_status', 'ok') != 'ok':
            status += f'; training {r["train_status"]}: ' \
                      f'{r.get("train_reason", "")}'
        row.append(status.replace('|', '/'))
        lines.append('| ' + ' | '.join(row) + ' |')
    m = meta
    head = [f'Machine: {m["machine"]["cpu"]}, {m["machine"]["cores"]} cores '
            f'visible, torch {m["machine"]["torch"]} on CPU, '
            f'{m["threads"]} thread(s).',
            f'Input {m["shape"]}x{m["shape"]} (FLOPs, forward); '
            f'image `{osp.basename(m["image"])}` for decode and end-to-end; '
            f'flip test {"on" if m["flip_test"] else "off"}, single scale; '
            f'medians of {m["repeats"]} runs after {m["warmup"]} warm-up.']
    if has_train:
        head.append(f'Budget training: {m["train_budget_min"]} min per '
                    f'head on {m["num_train"]}+{m["num_val"]} synthetic '
                    'images (256x256, small variants), AP on the synthetic '
                    'val split.')
    with open(path, 'w') as fh:
        fh.write('\n'.join(head) + '\n\n' + '\n'.join(lines) + '\n')


def write_chart(path, results):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = [('params (M)', 'params', 1e6), ('GFLOPs', 'flops', 1e9),
              ('forward ms', 'forward_ms', 1), ('decode ms', 'decode_ms', 1),
              ('end-to-end ms', 'e2e_ms', 1), ('peak MB', 'peak_mb', 1)]
    if any(r.get('AP') is not None for r in results):
        panels.append(('AP (checkpoint)', 'AP', 1))
    if any(r.get('train_AP') is not None for r in results):
        panels.append(('AP (train budget)', 'train_AP', 1))
    names = [r['name'] for r in results]
    cols = 4
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.2 * rows),
                             squeeze=False)
    for ax, (title, key, scale) in zip(axes.flat, panels):
        vals = [r.get(key) for r in results]
        heights = [v / scale if v is not None else 0 for v in vals]
        bars = ax.bar(range(len(names)), heights,
                      color=['C0' if v is not None else 'lightgrey'
                             for v in vals])
        for b, v in zip(bars, vals):
            if v is None:
                ax.text(b.get_x() + b.get_width() / 2, 0, 'n/a',
                        ha='center', va='bottom', fontsize=8)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha='right', fontsize=8)
        ax.set_title(title, fontsize=10)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--configs', nargs='+', default=None,
                        metavar='[NAME=]CONFIG',
                        help='configs (paths or mmpose::...; default: the '
                        'five default heads)')
    parser.add_argument('--shape', type=int, default=512,
                        help='square input size S (default 512)')
    parser.add_argument('--out', default='work_dirs/benchmark_heads')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch.set_num_threads (default 2)')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--image', default=None,
                        help='real image for decode and end-to-end (default '
                        '../shared/data/coco/000000000785.jpg if present, '
                        'else a synthetic image)')
    parser.add_argument('--flip-test', action='store_true',
                        help='flip test on for every head (default off)')
    parser.add_argument('--checkpoints', nargs='+', default=None,
                        metavar='CKPT|-',
                        help='one per config (- for none): AP on --dataset')
    parser.add_argument('--dataset', nargs=2, default=None,
                        metavar=('ANN_FILE', 'IMG_DIR'),
                        help='COCO-format set for AP of --checkpoints')
    parser.add_argument('--timeout', type=int, default=600,
                        help='seconds per head and phase (default 600)')
    parser.add_argument('--train-budget', type=float, default=None,
                        metavar='MINUTES',
                        help='also train small variants for MINUTES each')
    parser.add_argument('--skip-measure', action='store_true',
                        help='with --train-budget: training only')
    parser.add_argument('--data-root', default=None,
                        help='synthetic set (default OUT/synthetic_coco)')
    parser.add_argument('--num-train', type=int, default=None,
                        help='synthetic train images (default: demo.py\'s)')
    parser.add_argument('--num-val', type=int, default=None,
                        help='synthetic val images (default: demo.py\'s)')
    parser.add_argument('--num-workers', type=int, default=1,
                        help='train dataloader workers (budget training)')
    parser.add_argument('--worker', nargs=2, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _worker_main(kind, spec_json):
    import faulthandler
    spec = json.loads(spec_json)
    if spec.get('timeout', 0) > 10:  # where it is, should it time out
        faulthandler.dump_traceback_later(spec['timeout'] - 5, exit=True)
    res = measure(spec) if kind == 'measure' else train_budget(spec)
    with open(spec['result_file'], 'w') as fh:
        json.dump(res, fh)


def default_image(out):
    if osp.isfile(DEFAULT_IMAGE):
        return osp.abspath(DEFAULT_IMAGE)
    from higherhrnet_plugin.datasets.synthetic_coco import \
        make_synthetic_coco
    root = osp.join(out, 'image')
    img = osp.join(root, 'images', 'train', '000001.jpg')
    if not osp.isfile(img):
        make_synthetic_coco(root, num_train=1, num_val=1, seed=0)
    return osp.abspath(img)


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        _worker_main(*args.worker)
        return 0
    specs = args.configs or [f'{n}={c}' for n, c in DEFAULT_ENTRIES]
    try:
        entries = parse_entries(specs)
    except FileNotFoundError as exc:
        sys.exit(f'benchmark_heads: no such config {exc.args[0]!r}')
    if args.checkpoints and len(args.checkpoints) != len(entries):
        sys.exit('benchmark_heads: give one --checkpoints entry per config '
                 '(- for none)')
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    image = osp.abspath(args.image) if args.image else default_image(out)
    if not osp.isfile(image):
        sys.exit(f'benchmark_heads: no such image {args.image!r}')
    common = dict(shape=args.shape, threads=args.threads,
                  warmup=args.warmup, repeats=args.repeats, image=image,
                  flip_test=args.flip_test, out=out,
                  dataset=args.dataset)
    results = []
    t_all = time.time()
    for i, e in enumerate(entries):
        ckpt = args.checkpoints[i] if args.checkpoints else None
        spec = dict(common, name=e['name'], config=e['config'],
                    path=e['path'],
                    checkpoint=None if ckpt in (None, '-') else
                    osp.abspath(ckpt))
        if args.skip_measure:
            res = dict(name=e['name'], config=e['config'], status='ok',
                       reason='')
        else:
            t0 = time.time()
            res = run_worker('measure', spec, args.timeout)
            res.setdefault('config', e['config'])
            print(f'benchmark_heads: {e["name"]}: {res.get("status")} '
                  f'({time.time() - t0:.0f}s) ' + ', '.join(
                      f'{k}={res[k]}' for k in (
                          'params', 'flops', 'forward_ms', 'decode_ms',
                          'people', 'e2e_ms', 'peak_mb', 'reason')
                      if res.get(k) not in (None, '')), flush=True)
        results.append(res)

    meta = dict(machine=machine(), shape=args.shape, threads=args.threads,
                warmup=args.warmup, repeats=args.repeats, image=image,
                flip_test=args.flip_test)
    if args.train_budget is not None:
        sys.path.insert(0, osp.join(ROOT, 'tools'))
        import demo
        demo_args = demo.parse_args([])
        args.num_train = args.num_train or demo_args.num_train
        args.num_val = args.num_val or demo_args.num_val
        data_root = osp.abspath(args.data_root or
                                osp.join(out, 'synthetic_coco'))
        if not osp.isfile(osp.join(data_root, 'annotations',
                                   'person_keypoints_train.json')):
            from higherhrnet_plugin.datasets.synthetic_coco import \
                make_synthetic_coco
            make_synthetic_coco(data_root, num_train=args.num_train,
                                num_val=args.num_val, seed=0)
        with open(osp.join(data_root, 'annotations',
                           'person_keypoints_train.json')) as fh:
            num_train = len(json.load(fh)['images'])
        meta.update(train_budget_min=args.train_budget, num_train=num_train,
                    num_val=args.num_val, data_root=data_root)
        budget_s = args.train_budget * 60
        for e, res in zip(entries, results):
            spec = dict(common, name=e['name'], config=e['config'],
                        path=e['path'], budget_s=budget_s,
                        data_root=data_root, num_train=num_train,
                        num_workers=args.num_workers,
                        work_dir=osp.join(out, 'train', e['name']))
            t0 = time.time()
            tr = run_worker('train', spec,
                            int(budget_s + args.timeout))
            tr.pop('name', None)
            res.update(tr)
            print(f'benchmark_heads: {e["name"]}: training '
                  f'{tr.get("train_status")} ({time.time() - t0:.0f}s) '
                  + ', '.join(f'{k}={tr[k]}' for k in (
                      'train_iters', 'train_AP', 'train_AP (M)',
                      'train_AP (L)', 'train_reason')
                      if tr.get(k) not in (None, '')), flush=True)
    meta['seconds'] = round(time.time() - t_all, 1)
    for res in results:  # one self-describing object per head
        res['settings'] = meta
    with open(osp.join(out, 'results.json'), 'w') as fh:
        json.dump(results, fh, indent=2)
    write_markdown(osp.join(out, 'results.md'), results, meta)
    write_chart(osp.join(out, 'results.png'), results)
    print(f'benchmark_heads: wrote {out}/results.json, results.md, '
          f'results.png ({meta["seconds"]:.0f}s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
