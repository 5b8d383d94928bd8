"""The install machinery: pins in one place and the mmcv wheel cache key."""
import runpy
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).parents[2]
# the installer's helper script runs before the plugin is installed, so it
# is a script, not a module of the package
cache_key = runpy.run_path(
    str(ROOT / 'tools' / 'install' / 'mmcv_cache_key.py'))['cache_key']


def test_cache_key_changes_with_torch_version():
    a = cache_key('2.1.0', '2.14.1+cu130', cuda_ops=False)
    b = cache_key('2.1.0', '2.13.0+cpu', cuda_ops=False)
    assert a != b and '2.14.1+cu130' in a and '2.13.0+cpu' in b


def test_cache_key_changes_with_mmcv_version_and_cuda_ops():
    base = cache_key('2.1.0', '2.14.1', cuda_ops=False)
    assert cache_key('2.2.0', '2.14.1', cuda_ops=False) != base
    assert cache_key('2.1.0', '2.14.1', cuda_ops=True) != base


def test_cache_key_command_names_the_installed_torch():
    import torch
    out = subprocess.run(
        [sys.executable, str(ROOT / 'tools/install/mmcv_cache_key.py'),
         '2.1.0'], check=True, capture_output=True, text=True).stdout
    assert f'torch-{torch.__version__}_' in out


def test_installed_stack_matches_the_pins():
    for line in (ROOT / 'requirements/constraints.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if line:
            req = Requirement(line)
            assert version(req.name) in req.specifier, req
    import mmcv.ops  # noqa: F401  (the compiled ops are there)


def test_xtcocotools_masks_work_under_numpy_2():
    """MMPose decodes crowd masks with xtcocotools; the installer builds it
    against the installed numpy with numpy 2's flag name."""
    import numpy as np
    import xtcocotools.mask as cocomask
    rles = cocomask.frPyObjects([[10, 10, 50, 10, 50, 50, 10, 50]], 100, 100)
    mask = cocomask.decode(cocomask.merge(rles))
    assert mask.shape == (100, 100) and mask.dtype == np.uint8
    assert int(mask.sum()) == int(cocomask.area(rles)[0]) == 1600
