"""The demo's Runner config: ``configs/demo/`` on a given synthetic set,
for a small CPU machine, optionally as the HRNet + AE baseline."""
import copy
import os.path as osp
from typing import Optional

from mmengine.config import Config

# shipped with the package (linked from configs/ in an editable install)
DEMO_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs',
    'demo', 'higherhrnet_hrnet-w16-tiny_1xb4-30e_synthetic-256x256.py')
VAL_ANN = 'annotations/person_keypoints_val.json'


def build_demo_cfg(data_root: str,
                   work_dir: str,
                   seed: int = 0,
                   num_workers: int = 1,
                   batch_size: Optional[int] = None,
                   epochs: Optional[int] = None,
                   val_interval: Optional[int] = None,
                   baseline: bool = False,
                   config: str = DEMO_CONFIG) -> Config:
    """The demo config trained on ``data_root`` (COCO layout of
    :func:`~higherhrnet_plugin.synthetic_coco.make_synthetic_coco`).

    Args:
        data_root (str): the synthetic set.
        work_dir (str): the Runner's work dir (checkpoints, logs).
        seed (int): the Runner's seed. Defaults to 0.
        num_workers (int): train dataloader workers; val and test use none.
            Defaults to 1.
        batch_size (int, optional): train batch size. Defaults to the
            config's.
        epochs (int, optional): see :func:`set_epochs`. Defaults to the
            config's.
        val_interval (int, optional): see :func:`set_val_interval`.
        baseline (bool): the HRNet + AE baseline (:func:`to_baseline`).
        config (str): the config file. Defaults to the demo's.
    """
    cfg = Config.fromfile(config)
    data_root = osp.abspath(data_root) + '/'
    cfg.data_root = data_root
    cfg.work_dir = osp.abspath(work_dir)
    cfg.randomness = dict(seed=seed)
    cfg.launcher = 'none'

    tr = cfg.train_dataloader
    tr.dataset.data_root = data_root
    tr.num_workers = num_workers
    tr.persistent_workers = num_workers > 0
    if batch_size:
        tr.batch_size = batch_size
    for name in ('val_dataloader', 'test_dataloader'):
        dl = cfg[name]
        dl.dataset.data_root = data_root
        dl.num_workers = 0
        dl.persistent_workers = False
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = data_root + VAL_ANN

    if epochs is not None:
        set_epochs(cfg, epochs)
    set_val_interval(cfg, val_interval)
    if baseline:
        to_baseline(cfg)
    return cfg


def to_baseline(cfg: Config) -> None:
    """No deconv level: heatmaps and tags at 1/4 only (as
    configs/ae/coco/ae_hrnet-w32_8xb12-300e_coco-512x512.py), in place."""
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
    head.loss.push_loss_weights = head.loss.push_loss_weights[:1]
    head.loss.pull_loss_weights = head.loss.pull_loss_weights[:1]
    head.decoder = copy.deepcopy(codec)
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'GenerateTarget':
            t['encoder'] = copy.deepcopy(codec)


def set_epochs(cfg: Config, epochs: int) -> None:
    """Stretch the config's epoch-based schedulers to ``epochs`` (at least
    one), validating and checkpointing about every third of them."""
    n = max(1, int(epochs))
    cfg.train_cfg.max_epochs = n
    cfg.train_cfg.val_interval = max(1, n // 3) if n >= 3 else n
    for s in cfg.param_scheduler or ():  # None: a budget hook sets the lr
        if s.get('by_epoch', True):
            s['end'] = n
            if 'T_max' in s:
                s['T_max'] = n
    cfg.default_hooks.checkpoint.interval = cfg.train_cfg.val_interval


def set_val_interval(cfg: Config, val_interval: Optional[int]) -> None:
    """Validate (and checkpoint) every ``val_interval`` epochs; 0: only
    checkpoint the last epoch and leave evaluation to the final test;
    None: leave the config's."""
    if val_interval is None:
        return
    if val_interval <= 0:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint.save_best = None
        cfg.default_hooks.checkpoint.interval = cfg.train_cfg.max_epochs
    else:
        cfg.train_cfg.val_interval = val_interval
        cfg.default_hooks.checkpoint.interval = val_interval
