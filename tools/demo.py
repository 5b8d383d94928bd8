"""The main job of ``make demo``: train a narrow HigherHRNet on CPU on the
built-in synthetic COCO set, evaluate it, and draw its predictions.

    python tools/demo.py [--work-dir work_dirs/demo] [--data-root DIR]
        [--time-budget MIN | --epochs N] [--num-train N --num-val M]
        [--baseline] [--batch-size B] [--num-workers W] [--val-interval V]
        [--num-vis K] [--seed S]

Steps:

1. generate ``<data-root>`` with ``make_synthetic_coco`` unless
   ``<data-root>/annotations/person_keypoints_train.json`` exists;
2. train ``configs/demo/higherhrnet_hrnet-w16-tiny_1xb8-30e_synthetic-256x256.py``
   (``--baseline``: the same with no deconv level, i.e. the HRNet + AE
   baseline at 1/4 resolution only) with an MMEngine ``Runner`` on CPU; the
   ``CheckpointHook`` writes the checkpoints in ``<work-dir>``. CPUs differ
   several-fold in speed, so unless ``--epochs`` is given, a few timed
   training steps first measure this machine and the schedule is shortened
   to the epochs that fit ``--time-budget`` minutes (at most the config's);
3. ``runner.test()`` and write the COCO metrics to ``<work-dir>/metrics.json``;
4. draw PNGs in ``<work-dir>/vis/``: predicted poses on a few val images
   (``pose_*.png``), the heatmap pyramid (every level and the aggregate,
   ``heatmaps_*.png``) and the tag maps (``tags_*.png``).
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault('CUDA_VISIBLE_DEVICES', '')

CONFIG = osp.join(
    ROOT, 'configs/demo/'
    'higherhrnet_hrnet-w16-tiny_1xb8-30e_synthetic-256x256.py')
TRAIN_ANN = 'annotations/person_keypoints_train.json'
VAL_ANN = 'annotations/person_keypoints_val.json'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train + test + visualise HigherHRNet on synthetic COCO')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/demo, or '
                        'work_dirs/demo_baseline with --baseline')
    parser.add_argument('--data-root', default='data/synthetic_coco')
    parser.add_argument('--epochs', type=int, default=None,
                        help='training epochs (default: the config\'s, or '
                        'fewer to fit --time-budget)')
    parser.add_argument('--time-budget', type=float, default=10.,
                        help='minutes of training to fit the schedule in '
                        'when --epochs is not given (default: 10, so that '
                        'the whole demo ends within 15 minutes)')
    parser.add_argument('--num-train', type=int, default=400,
                        help='train images to generate (if absent)')
    parser.add_argument('--num-val', type=int, default=50,
                        help='val images to generate (if absent)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--baseline', action='store_true',
                        help='train the HRNet + AE baseline (no deconv '
                        'level) instead of HigherHRNet')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='train batch size (default: the config\'s)')
    parser.add_argument('--num-workers', type=int, default=1,
                        help='train dataloader workers (val uses none)')
    parser.add_argument('--val-interval', type=int, default=None,
                        help='validate every N epochs during training '
                        '(0: never; default: about a third of the epochs)')
    parser.add_argument('--num-vis', type=int, default=3,
                        help='val images to draw')
    return parser.parse_args(argv)


def ensure_data(data_root, num_train, num_val, seed):
    if osp.isfile(osp.join(data_root, TRAIN_ANN)):
        print(f'demo: using the data in {data_root}', flush=True)
        return
    from higherhrnet_plugin.datasets.synthetic_coco import make_synthetic_coco
    t0 = time.time()
    make_synthetic_coco(data_root, num_train=num_train, num_val=num_val,
                        seed=seed)
    print(f'demo: generated {num_train}+{num_val} synthetic images in '
          f'{data_root} ({time.time() - t0:.1f}s)', flush=True)


def to_baseline(cfg):
    """No deconv level: heatmaps and tags at 1/4 only (as
    configs/ae/coco/ae_hrnet-w32_8xb24-300e_coco-512x512.py)."""
    codec = copy.deepcopy(cfg.codec)
    w, h = codec['input_size']
    codec['heatmap_sizes'] = [(w // 4, h // 4)]
    cfg.codec = codec
    head = cfg.model.head
    head.num_deconv_layers = 0
    head.deconv_channels = ()
    head.cat_output = ()
    head.with_ae_loss = (True, )
    head.loss.heatmap_weights = (1.0, )
    head.loss.with_ae_loss = (True, )
    head.loss.push_loss_weights = head.loss.push_loss_weights[:1]
    head.loss.pull_loss_weights = head.loss.pull_loss_weights[:1]
    head.decoder = copy.deepcopy(codec)
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'GenerateTarget':
            t['encoder'] = copy.deepcopy(codec)


def build_cfg(args):
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    data_root = osp.abspath(args.data_root) + '/'
    cfg.data_root = data_root
    cfg.work_dir = osp.abspath(args.work_dir or (
        'work_dirs/demo_baseline' if args.baseline else 'work_dirs/demo'))
    cfg.randomness = dict(seed=args.seed)
    cfg.launcher = 'none'

    # data: the given root, workers for a small CPU machine
    tr = cfg.train_dataloader
    tr.dataset.data_root = data_root
    tr.num_workers = args.num_workers
    tr.persistent_workers = args.num_workers > 0
    if args.batch_size:
        tr.batch_size = args.batch_size
    for name in ('val_dataloader', 'test_dataloader'):
        dl = cfg[name]
        dl.dataset.data_root = data_root
        dl.num_workers = 0
        dl.persistent_workers = False
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = data_root + VAL_ANN

    if args.epochs is not None:
        set_epochs(cfg, args.epochs)
    set_val_interval(cfg, args.val_interval)
    if args.baseline:
        to_baseline(cfg)
    return cfg


def set_epochs(cfg, epochs):
    """Stretch the config's epoch-based schedulers to ``epochs``."""
    n = max(1, int(epochs))
    cfg.train_cfg.max_epochs = n
    cfg.train_cfg.val_interval = max(1, n // 3) if n >= 3 else n
    for s in cfg.param_scheduler:
        if s.get('by_epoch', True):
            s['end'] = n
            if 'T_max' in s:
                s['T_max'] = n
    cfg.default_hooks.checkpoint.interval = cfg.train_cfg.val_interval


def set_val_interval(cfg, val_interval):
    """Validate (and checkpoint) every ``val_interval`` epochs; 0: only
    checkpoint the last epoch and leave evaluation to the final test."""
    if val_interval is not None:
        if val_interval <= 0:
            cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
            cfg.default_hooks.checkpoint.save_best = None
            cfg.default_hooks.checkpoint.interval = cfg.train_cfg.max_epochs
        else:
            cfg.train_cfg.val_interval = val_interval
            cfg.default_hooks.checkpoint.interval = val_interval


def seconds_per_iter(cfg, steps=12, warmup=2):
    """Mean wall time of a training iteration (data loading included) on
    this machine, measured on a throw-away copy of the model before the
    ``Runner`` seeds and builds the real one. Steps vary by +-15% from one
    moment to the next on a shared machine: the median of 6 steps said 0.60
    and 0.80 s for one model whose training then averaged 0.71 and 0.67 s,
    so this takes the mean of 12."""
    import statistics

    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import higherhrnet_plugin  # noqa: F401  (registers the modules)
    from mmpose.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.train()
    optim = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    loader = Runner.build_dataloader(copy.deepcopy(cfg.train_dataloader))
    times = []

    def batches():  # as many as asked, even from a split of a few batches
        while True:
            yield from loader

    stream = batches()
    t = time.perf_counter()
    for i in range(warmup + steps):
        model.train_step(next(stream), optim)
        now = time.perf_counter()
        if i >= warmup:
            times.append(now - t)
        t = now
    return statistics.fmean(times)


def fit_epochs(cfg, budget_min):
    """The config's epochs, or as many as fit ``budget_min`` minutes of
    training here (at least one)."""
    import math
    sec = seconds_per_iter(cfg)
    dl = cfg.train_dataloader
    n_train = dataset_size(dl.dataset)
    iters = math.ceil(n_train / dl.batch_size) if not dl.get(
        'drop_last', False) else n_train // dl.batch_size
    fit = int(budget_min * 60 // (sec * max(1, iters)))
    epochs = max(1, min(cfg.train_cfg.max_epochs, fit))
    print(f'demo: {sec:.2f} s per iteration here, {iters} iterations per '
          f'epoch: {epochs} epoch(s) of the config\'s '
          f'{cfg.train_cfg.max_epochs} fit the {budget_min:g}-minute '
          'training budget', flush=True)
    return epochs


def dataset_size(dataset_cfg):
    """Number of images in a COCO-format train split."""
    with open(osp.join(dataset_cfg.data_root, dataset_cfg.ann_file)) as fh:
        return len(json.load(fh)['images'])


def _load_rgb(path):
    import cv2
    img = cv2.imread(path)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def visualise(runner, out_dir, num_vis):
    """Pose, heatmap-pyramid and tag-map PNGs for the first val images."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np
    import torch
    from mmengine.dataset import pseudo_collate

    os.makedirs(out_dir, exist_ok=True)
    model = runner.model
    model.eval()
    dataset = runner.test_dataloader.dataset
    old_test_cfg = model.test_cfg
    visualizer = runner.visualizer  # the config's NumPy2PoseLocalVisualizer
    visualizer.set_dataset_meta(dataset.metainfo)
    model.test_cfg = dict(old_test_cfg or {}, output_heatmaps=True)
    num_k = model.head.num_keypoints
    written = []
    try:
        for idx in range(min(num_vis, len(dataset))):
            batch = pseudo_collate([dataset[idx]])
            with torch.no_grad():
                data = model.data_preprocessor(batch, False)
                inputs, samples = data['inputs'], data['data_samples']
                levels = model.head.forward(model.extract_feat(inputs))
                sample = model.predict(inputs, samples)[0]
            name = osp.splitext(osp.basename(sample.img_path))[0]
            img = _load_rgb(sample.img_path)

            # 1. the predicted poses
            path = osp.join(out_dir, f'pose_{name}.png')
            visualizer.add_datasample(name, img, sample, draw_gt=False,
                                      kpt_thr=0.1, out_file=path)
            written.append(path)

            # the network input (denormalised) for the maps
            mean = model.data_preprocessor.mean.cpu().numpy()
            std = model.data_preprocessor.std.cpu().numpy()
            net_in = inputs[0].cpu().numpy() * std + mean
            net_in = np.clip(net_in.transpose(1, 2, 0), 0, 255)
            net_in = net_in.astype(np.uint8)  # RGB after bgr_to_rgb
            ih, iw = net_in.shape[:2]

            # 2. the heatmap pyramid: every level + the aggregate
            agg = sample.pred_fields.heatmaps
            agg = agg.cpu().numpy() if torch.is_tensor(agg) else agg
            panels = [(f'level {i}: {lv.shape[-1]}x{lv.shape[-2]}',
                       lv[0, :num_k].max(0)[0].cpu().numpy())
                      for i, lv in enumerate(levels)]
            panels.append((f'aggregate (flip, {agg.shape[-1]}x'
                           f'{agg.shape[-2]})', agg[:num_k].max(0)))
            fig, axes = plt.subplots(1, len(panels) + 1,
                                     figsize=(3.2 * (len(panels) + 1), 3.4))
            axes[0].imshow(net_in)
            axes[0].set_title('input')
            for ax, (title, hm) in zip(axes[1:], panels):
                ax.imshow(net_in, extent=(0, iw, ih, 0))
                ax.imshow(hm, cmap='jet', alpha=0.6, vmin=0,
                          vmax=max(float(hm.max()), 1e-6),
                          extent=(0, iw, ih, 0))
                ax.set_title(title, fontsize=9)
            for ax in axes:
                ax.axis('off')
            fig.suptitle(f'{name}: max over {num_k} keypoint heatmaps')
            fig.tight_layout()
            path = osp.join(out_dir, f'heatmaps_{name}.png')
            fig.savefig(path, dpi=80)
            plt.close(fig)
            written.append(path)

            # 3. the tag maps of the tagged levels (a few joints), shown
            # where the joint's heatmap is confident
            kpt_names = [dataset.metainfo['keypoint_id2name'][k]
                         for k in range(num_k)]
            show_k = [0, 5, 6, 9, 10, 15] if num_k == 17 else list(
                range(min(6, num_k)))
            tag_levels = [(i, lv) for i, lv in enumerate(levels)
                          if lv.shape[1] > num_k]
            fig, axes = plt.subplots(
                max(1, len(tag_levels)), len(show_k) + 1,
                figsize=(2.6 * (len(show_k) + 1),
                         2.8 * max(1, len(tag_levels))), squeeze=False)
            for row, (i, lv) in enumerate(tag_levels):
                hms = lv[0, :num_k].cpu().numpy()
                tags = lv[0, num_k:].cpu().numpy()
                ax = axes[row, 0]
                ax.imshow(net_in)
                ax.set_title(f'level {i} tags', fontsize=9)
                for col, k in enumerate(show_k, start=1):
                    t = tags[k if tags.shape[0] > 1 else 0]
                    conf = np.clip(hms[k] / max(float(hms[k].max()), 1e-6),
                                   0, 1)
                    lim = max(float(np.abs(t).max()), 1e-6)
                    ax = axes[row, col]
                    im = ax.imshow(t, cmap='coolwarm', vmin=-lim, vmax=lim,
                                   alpha=0.25 + 0.75 * conf)
                    ax.set_title(kpt_names[k], fontsize=9)
                    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
            for ax in axes.flat:
                ax.axis('off')
            fig.suptitle(f'{name}: tag maps (opaque where the heatmap is '
                         'confident)')
            fig.tight_layout()
            path = osp.join(out_dir, f'tags_{name}.png')
            fig.savefig(path, dpi=80)
            plt.close(fig)
            written.append(path)
    finally:
        model.test_cfg = old_test_cfg
    return written


def main(argv=None):
    args = parse_args(argv)
    if args.epochs is None and not args.time_budget > 0:
        sys.exit(f'demo: --time-budget must be positive minutes, got '
                 f'{args.time_budget:g}')
    t_start = time.time()
    ensure_data(args.data_root, args.num_train, args.num_val, args.seed)

    import higherhrnet_plugin  # noqa: F401  (registers the modules)
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmpose')

    cfg = build_cfg(args)
    if args.epochs is None:
        set_epochs(cfg, fit_epochs(cfg, args.time_budget))
        set_val_interval(cfg, args.val_interval)
    os.makedirs(cfg.work_dir, exist_ok=True)
    kind = 'HRNet + AE baseline' if args.baseline else 'HigherHRNet'
    print(f'demo: training {kind} for {cfg.train_cfg.max_epochs} epoch(s) '
          f'on CPU, work dir {cfg.work_dir}', flush=True)
    runner = Runner.from_cfg(cfg)
    runner.train()
    t_train = time.time() - t_start
    metrics = runner.test()
    metrics = {k: float(v) for k, v in (metrics or {}).items()}
    out_path = osp.join(cfg.work_dir, 'metrics.json')
    with open(out_path, 'w') as fh:
        json.dump(dict(metrics, model=kind, epochs=cfg.train_cfg.max_epochs,
                       train_seconds=round(t_train, 1)), fh, indent=2)
    print('demo: test metrics: ' + ', '.join(
        f'{k}={v:.4f}' for k, v in metrics.items()), flush=True)

    pngs = visualise(runner, osp.join(cfg.work_dir, 'vis'), args.num_vis)
    print(f'demo: wrote {out_path} and {len(pngs)} PNGs in '
          f'{osp.join(cfg.work_dir, "vis")} (total '
          f'{time.time() - t_start:.0f}s)', flush=True)
    return metrics


if __name__ == '__main__':
    main()
