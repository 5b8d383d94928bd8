"""The install machinery: pins in one place, the mmcv wheel cache key and
what the installer decides about torch, torchvision and mmcv's ops."""
import runpy
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

import pytest
from packaging.requirements import Requirement

from repo_paths import REPO

PINS = REPO / 'requirements' / 'constraints.txt'
PLAN_SCRIPT = REPO / 'tools' / 'install' / 'stack_plan.py'
# the installer's helper scripts run before the plugin is installed, so they
# are scripts, not modules of the package
cache_key = runpy.run_path(
    str(REPO / 'tools' / 'install' / 'mmcv_cache_key.py'))['cache_key']
plan = runpy.run_path(str(PLAN_SCRIPT))
Probe, decide_torch, decide_ops = (plan['Probe'], plan['decide_torch'],
                                   plan['decide_ops'])
SPEC = plan['SpecifierSet']('>=2.5,<2.15')
FRESH_PINS = {'torch': '2.14.1', 'torchvision': '0.29.1'}


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
        [sys.executable, str(REPO / 'tools/install/mmcv_cache_key.py'),
         '2.1.0'], check=True, capture_output=True, text=True).stdout
    assert f'torch-{torch.__version__}_' in out


def installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def test_installed_stack_is_what_the_installer_checks():
    """torch and torchvision as kept (in the supported range, a matching
    torchvision or none), everything else on its pin."""
    pins = plan['read_pins'](str(PINS))
    names = {req.name for req in pins} | {'torch', 'torchvision'}
    have = {name: installed(name) for name in names}
    assert plan['stack_problems'](pins, have) == []
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


def one_line(decision):
    assert '\n' not in decision.reason
    return decision


def test_a_torch_in_range_is_kept():
    decision = one_line(decide_torch(Probe('2.13.0+cpu'), Probe('0.28.0'),
                                     FRESH_PINS, SPEC))
    assert decision.action == 'keep' and '2.13.0+cpu' in decision.reason


def test_a_kept_torch_without_torchvision_gets_the_matching_series():
    decision = one_line(decide_torch(Probe('2.13.0+cpu'), Probe(None),
                                     FRESH_PINS, SPEC))
    assert decision.action == 'torchvision==0.28.*'


def test_no_torch_gets_the_pins():
    decision = one_line(decide_torch(Probe(None), Probe(None), FRESH_PINS,
                                     SPEC))
    assert decision.action == 'fresh'
    assert '2.14.1' in decision.reason and '0.29.1' in decision.reason


@pytest.mark.parametrize('torch', ['2.4.1', '2.15.0', '2.16.0+cu131'])
def test_a_torch_out_of_range_is_refused_never_replaced(torch):
    decision = one_line(decide_torch(Probe(torch), Probe(None), FRESH_PINS,
                                     SPEC))
    assert decision.action is None
    assert torch in decision.reason and str(SPEC) in decision.reason


@pytest.mark.parametrize('torch, torchvision', [
    (Probe('2.13.0', 'ImportError: libcudart.so.13'), Probe(None)),
    (Probe('2.13.0'), Probe('0.28.0', 'RuntimeError: operator '
                            'torchvision::nms does not exist')),
    (Probe('2.13.0'), Probe('0.29.1')),
])
def test_a_broken_or_mismatched_install_is_refused(torch, torchvision):
    decision = one_line(decide_torch(torch, torchvision, FRESH_PINS, SPEC))
    assert decision.action is None
    assert (torchvision.version or torch.version) in decision.reason


def ops(torch_cuda='13.0', nvcc='13.0', gpu=True, force=False, arch=None):
    return one_line(decide_ops(
        f'2.14.1+cu{torch_cuda}' if torch_cuda else '2.13.0+cpu', torch_cuda,
        nvcc, '/usr/local/cuda', gpu, force, arch))


def test_cuda_ops_need_a_cuda_torch_and_nvcc_of_its_major_version():
    assert ops().action == 'cuda'
    # torch builds across minor versions (with a warning), as here
    assert ops(torch_cuda='12.8', nvcc='12.4').action == 'cuda'


def test_a_cpu_torch_builds_cpu_ops():
    decision = ops(torch_cuda=None, nvcc='13.0')
    assert decision.action == 'cpu' and 'CPU build' in decision.reason


def test_a_cuda_torch_without_nvcc_builds_cpu_ops():
    decision = ops(nvcc=None)
    assert decision.action == 'cpu' and 'no nvcc' in decision.reason


def test_a_mismatched_nvcc_builds_cpu_ops_naming_both_versions():
    decision = ops(torch_cuda='13.0', nvcc='12.4')
    assert decision.action == 'cpu'
    assert 'CUDA 13.0' in decision.reason and 'CUDA 12.4' in decision.reason


def test_without_a_gpu_cuda_ops_need_force_cuda_and_an_arch_list():
    decision = ops(gpu=False)
    assert decision.action == 'cpu' and 'no GPU' in decision.reason
    assert ops(gpu=False, force=True).action is None
    assert ops(gpu=False, force=True, arch='9.0').action == 'cuda'


def test_later_installs_are_pinned_to_the_kept_torch():
    pins = [Requirement(line) for line in
            ('torch==2.14.1', 'torchvision==0.29.1', 'mmcv==2.1.0')]
    kept = plan['environment_pins'](pins, {'torch': '2.13.0+cpu',
                                           'torchvision': None})
    assert kept == ['torch==2.13.0+cpu', 'mmcv==2.1.0']


def test_the_final_check_takes_the_kept_torch_and_the_other_pins():
    problems = plan['stack_problems']
    pins = [Requirement(line) for line in
            ('torch==2.14.1', 'torchvision==0.29.1', 'mmcv==2.1.0')]
    kept = {'torch': '2.13.0+cpu', 'torchvision': '0.28.0', 'mmcv': '2.1.0'}
    assert problems(pins, kept, SPEC) == []
    for wrong in ({'torch': '2.15.0', 'torchvision': '0.30.0'},
                  {'torchvision': '0.29.1'},
                  {'torchvision': None}, {'mmcv': '2.2.0'}):
        assert len(problems(pins, {**kept, **wrong}, SPEC)) == 1, wrong


def test_plan_commands_on_this_environment():
    """``torch`` keeps the installed torch; ``ops`` names what it builds."""
    def run(*args):
        return subprocess.run([sys.executable, str(PLAN_SCRIPT), *args],
                              capture_output=True, text=True, timeout=120)
    torch = run('torch', str(PINS))
    assert torch.stdout == 'keep\n', torch.stderr
    result = run('ops')
    assert result.stdout in ('cpu\n', 'cuda\n'), result.stderr
    assert result.stderr.startswith('[install] mmcv ops: ')
    assert result.stderr.count('\n') == 1
