"""The configs of the head benchmark: which heads, where their files are,
and the settings every head is measured with."""
import os.path as osp
from typing import List, Optional, Sequence

# shipped with the package (linked from the repository in an editable
# install): configs/... resolves from any working directory
_PACKAGE_FILES = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                         '.mim')

DEFAULT_HEADS = [
    ('higherhrnet-w32', 'configs/higherhrnet/coco/'
     'higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py'),
    ('ae-w32', 'configs/ae/coco/ae_hrnet-w32_8xb12-300e_coco-512x512.py'),
    ('dekr-w32', 'mmpose::body_2d_keypoint/dekr/coco/'
     'dekr_hrnet-w32_8xb10-140e_coco-512x512.py'),
    ('cid-w32', 'mmpose::body_2d_keypoint/cid/coco/'
     'cid_hrnet-w32_8xb20-140e_coco-512x512.py'),
    ('rtmo-s', 'mmpose::body_2d_keypoint/rtmo/coco/'
     'rtmo-s_8xb32-600e_coco-640x640.py'),
]


def resolve_config(config: str) -> str:
    """A path, ``configs/...`` of this package, or ``mmpose::REL`` inside
    MMPose's shipped configs."""
    if config.startswith('mmpose::'):
        import mmpose
        base = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs')
        path = osp.join(base, config[len('mmpose::'):])
    else:
        path = config if osp.isabs(config) or osp.exists(config) else \
            osp.join(_PACKAGE_FILES, config)
    return osp.abspath(path)


def parse_entries(specs: Sequence[str]) -> List[dict]:
    """``[NAME=]CONFIG`` strings to ``dict(name, config, path)``; the name
    defaults to the config's file name. Raises FileNotFoundError naming a
    config that does not exist."""
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


def strip_pretrained(node) -> None:
    """Remove every ``Pretrained`` init_cfg and ``pretrained=`` (in place):
    nothing is downloaded, every model starts from its own init."""
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


def set_test_settings(cfg, size: int, flip_test: bool) -> Optional[bool]:
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
