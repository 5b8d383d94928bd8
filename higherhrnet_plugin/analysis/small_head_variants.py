"""Small variants of the benchmarked heads, for training on CPU on equal
terms: each shares everything with ``configs/demo/`` (read through
:func:`~higherhrnet_plugin.demo.config.build_demo_cfg`): the narrow W16-tiny
HRNet backbone for the HRNet-based heads (RTMO: its own smallest backbone,
RTMO-s's CSPDarknet at widen factor 0.25), the 256x256 input, the
augmentation and the optimizer, at batch 8."""
import copy

from mmengine.config import Config

from ..demo.config import build_demo_cfg, to_baseline
from .head_configs import strip_pretrained

# RTMO-s's CSPDarknet narrowed to this widen factor
_RTMO_WIDEN = 0.25
# the demo's batch (4) was tuned for HigherHRNet alone (docs/cpu_demo.md);
# a comparison of heads takes no one head's tuned recipe
_BATCH_SIZE = 8
# YOLOX's mixing augmentations: the demo's augmentation replaces them
_DROPPED_TRANSFORMS = ('Mosaic', 'YOLOXMixUp', 'YOLOXHSVRandomAug')


def small_variant(config_file: str, work_dir: str, data_root: str,
                  num_workers: int) -> Config:
    """The small variant of ``config_file``'s head: the demo config (data,
    augmentation, optimizer, runtime) at batch 8 with that head's model, codec
    and pipelines at the demo's input size. Raises ValueError for a head
    with no small variant."""
    # configs/demo/ as the demo trains it, validated only at the end
    cfg = build_demo_cfg(data_root, work_dir, seed=0, num_workers=num_workers,
                         val_interval=0, batch_size=_BATCH_SIZE)
    src = Config.fromfile(config_file)
    strip_pretrained(src.model)
    head = src.model.head
    size = tuple(cfg.codec['input_size'])
    if head.type == 'HigherHRNetHead':
        if head.get('num_deconv_layers', 1) == 0:
            to_baseline(cfg)
        return cfg
    if head.type in ('DEKRHead', 'CIDHead'):
        model = _on_demo_backbone(src.model, cfg.model.backbone)
    elif head.type == 'RTMOHead':
        model = _narrow_rtmo(src.model, size)
    else:
        raise ValueError(f'no small variant for head type {head.type}')
    codec = copy.deepcopy(src.codec)
    codec['input_size'] = size
    if head.type != 'RTMOHead':
        codec['heatmap_size'] = (size[0] // 4, size[1] // 4)
    model.test_cfg = dict(model.get('test_cfg') or {})
    model.head.decoder = codec if 'decoder' in model.head else None
    if model.head.decoder is None:
        model.head.pop('decoder')
    demo_affine = next(copy.deepcopy(t)
                       for t in cfg.train_dataloader.dataset.pipeline
                       if t['type'] == 'BottomupRandomAffine')
    cfg.model = model
    cfg.codec = codec
    cfg.train_dataloader.dataset.pipeline = _train_pipeline(
        src, codec, demo_affine, rtmo=head.type == 'RTMOHead')
    val = copy.deepcopy(src.test_dataloader.dataset.pipeline)
    for t in val:
        if 'Resize' in t['type'] and 'input_size' in t:
            t['input_size'] = size
    for name in ('val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            cfg[name].dataset.pipeline = copy.deepcopy(val)
    # the head's own evaluation options, on the synthetic annotations
    ev = copy.deepcopy(src.test_evaluator)
    ev['ann_file'] = cfg.test_evaluator['ann_file']
    cfg.test_evaluator = ev
    cfg.custom_hooks = []
    return cfg


def _on_demo_backbone(src_model: dict, demo_backbone: dict) -> dict:
    """A DEKR or CID model on the demo's backbone (type, stem and widths),
    with all four outputs."""
    model = copy.deepcopy(src_model)
    model.backbone = copy.deepcopy(demo_backbone)
    extra = model.backbone.extra
    extra['stage4']['multiscale_output'] = True
    chans = extra['stage4']['num_channels']
    model.head.in_channels = sum(chans)  # FeatureMapProcessor concat
    if model.head.type == 'DEKRHead':
        model.head.pop('rescore_cfg', None)  # needs COCO-trained weights
    return model


def _narrow_rtmo(src_model: dict, size: tuple) -> dict:
    """An RTMO model narrowed to :data:`_RTMO_WIDEN`, testing at ``size``."""
    model = copy.deepcopy(src_model)
    ratio = _RTMO_WIDEN / model.backbone.widen_factor
    model.backbone.widen_factor = _RTMO_WIDEN
    model.neck.widen_factor = _RTMO_WIDEN
    model.neck.in_channels = [int(c * ratio) for c in model.neck.in_channels]
    # the head splits its input into equal cls and pose halves of
    # int(in_channels * widen) channels each: the projector feeds both
    model.neck.projector.out_channels = int(
        model.neck.projector.out_channels * ratio)
    model.head.head_module_cfg.widen_factor = _RTMO_WIDEN
    model.data_preprocessor.pop('batch_augments', None)
    model.test_cfg.input_size = size
    return model


def _train_pipeline(src: Config, codec: dict, demo_affine: dict,
                    rtmo: bool) -> list:
    """The head's own train pipeline, with the demo's augmentation and
    size."""
    train = []
    for t in src.train_dataloader.dataset.pipeline:
        t = copy.deepcopy(t)
        if t['type'] in _DROPPED_TRANSFORMS:
            continue
        if t['type'] == 'BottomupRandomAffine':
            t = copy.deepcopy(demo_affine)
            if rtmo:
                t.update(bbox_keep_corner=False, clip_border=True)
        if t['type'] == 'GenerateTarget':
            t['encoder'] = copy.deepcopy(codec)
        if t['type'] == 'LoadImage':
            t.pop('backend_args', None)
        train.append(t)
    return train
