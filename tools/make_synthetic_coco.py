#!/usr/bin/env python
"""Generate a seeded synthetic COCO-format person keypoint dataset.

Usage::

    python tools/make_synthetic_coco.py OUT_DIR [--num-train 400]
        [--num-val 50] [--seed 0] [--image-size 320 320]

Thin wrapper around
:func:`higherhrnet_plugin.datasets.synthetic_coco.make_synthetic_coco`.
The module is loaded from its file so the tool does not import torch/mmpose.
"""
import importlib.util
import os.path as osp
import sys


def _load():
    path = osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), 'higherhrnet_plugin',
        'datasets', 'synthetic_coco.py')
    spec = importlib.util.spec_from_file_location('_synthetic_coco', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


if __name__ == '__main__':
    _load().main(sys.argv[1:])
