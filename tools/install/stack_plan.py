"""Decide what the installer does about torch, torchvision and mmcv's ops.

    python tools/install/stack_plan.py torch CONSTRAINTS
    python tools/install/stack_plan.py constraints CONSTRAINTS
    python tools/install/stack_plan.py ops
    python tools/install/stack_plan.py check CONSTRAINTS

``install_stack.sh`` runs each with the target interpreter. ``torch`` and
``ops`` print their decision on stdout and the reason, one line, on stderr;
a refusal is one line on stderr and exit status 1.

- ``torch`` (``fresh``, ``keep`` or a torchvision requirement): an
  environment without torch gets the pinned torch and torchvision
  (``fresh``); an importable torch in :data:`SUPPORTED_TORCH` is kept and
  never replaced. MMPose imports torchvision (its visualizer), so a missing
  one is added, of the series built for that torch (printed as the
  requirement to install); an installed one must import beside the torch.
- ``constraints``: the pins of this environment: CONSTRAINTS with torch and
  torchvision pinned to the installed releases, so no later ``pip install``
  can replace them.
- ``ops`` (``cpu`` or ``cuda``): mmcv's CUDA kernels are built when torch
  is a CUDA build (``torch.version.cuda``), the nvcc torch's extension
  builder would use has the same CUDA major version (torch refuses to build
  across majors), and a GPU is visible or ``FORCE_CUDA=1`` is set (without
  a GPU, torch needs ``TORCH_CUDA_ARCH_LIST`` to know what to compile for).
  Otherwise the ops are CPU-only and the line says why.
- ``check``: the installed stack: torch and torchvision as kept, everything
  else against its pin, and the stack imports.

It runs before the plugin is installed, so it is a script, not a module of
the package.
"""
import argparse
import logging
import os
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Dict, List, NamedTuple, Optional, Tuple

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

# Every torch the stack runs on: the plugin needs
# torch.serialization.safe_globals and torch.onnx.export(dynamo=...) (2.5),
# and no torch newer than the pinned one is known to build mmcv 2.1.0 yet.
# docs/install.md names the releases tested.
SUPPORTED_TORCH = SpecifierSet('>=2.5,<2.15')
TORCH_PACKAGES = ('torch', 'torchvision')


class Decision(NamedTuple):
    """What to do (``None`` to refuse) and the one line saying why."""
    action: Optional[str]
    reason: str


class Probe(NamedTuple):
    """An installed distribution: its version (``None`` if absent) and the
    error of importing it (``None`` if it imports)."""
    version: Optional[str]
    error: Optional[str] = None


def matching_torchvision(torch_version: str) -> str:
    """The torchvision series built for a torch release: 2.13.x -> 0.28."""
    release = Version(torch_version).release
    return f'0.{release[1] + 15}'


def decide_torch(torch: Probe, torchvision: Probe, pins: Dict[str, str],
                 supported: SpecifierSet = SUPPORTED_TORCH) -> Decision:
    """Install the pinned torch (``fresh``), keep the installed one
    (``keep``), add a torchvision for it (a requirement such as
    ``torchvision==0.28.*``), or refuse."""
    if torch.version is None:
        return Decision('fresh', (
            f'no torch here: installing the pinned torch {pins["torch"]} '
            f'and torchvision {pins["torchvision"]}'))
    if torch.error is not None:
        return Decision(None, (
            f'torch {torch.version} is installed but does not import '
            f'({torch.error}); repair it or start from an environment '
            'without torch'))
    if not supported.contains(Version(torch.version).public,
                              prereleases=True):
        return Decision(None, (
            f'torch {torch.version} is outside the supported range '
            f'{supported} (docs/install.md); the installer never replaces '
            'an installed torch: install one in that range, or start from '
            f'an environment without torch to get the pinned '
            f'{pins["torch"]}'))
    series = matching_torchvision(torch.version)
    if torchvision.version is None:
        return Decision(f'torchvision=={series}.*', (
            f'keeping torch {torch.version}; adding torchvision {series}.* '
            'for it (MMPose imports torchvision)'))
    if torchvision.error is not None or not torchvision.version.startswith(
            series + '.'):
        why = torchvision.error or f'torch {torch.version} needs {series}.*'
        return Decision(None, (
            f'torchvision {torchvision.version} does not fit torch '
            f'{torch.version} ({why}); MMPose imports torchvision: install '
            f'the torchvision {series}.* built for this torch (from the '
            'index your torch came from) and run the installer again'))
    return Decision('keep', (
        f'keeping torch {torch.version} and torchvision '
        f'{torchvision.version}'))


def decide_ops(torch_version: str, torch_cuda: Optional[str],
               nvcc_cuda: Optional[str], cuda_home: Optional[str],
               gpu_visible: bool, force_cuda: bool,
               arch_list: Optional[str]) -> Decision:
    """Build mmcv's CUDA kernels (``cuda``), its CPU ops only (``cpu``), or
    refuse (``FORCE_CUDA=1`` with nothing to compile the kernels for).

    ``torch_cuda`` is ``torch.version.cuda`` (``None`` for a CPU build),
    ``nvcc_cuda`` the release of ``CUDA_HOME/bin/nvcc`` (``None`` if there
    is none).
    """
    if torch_cuda is None:
        return Decision('cpu', f'mmcv ops: CPU only (torch {torch_version} '
                        'is a CPU build)')
    if nvcc_cuda is None:
        return Decision('cpu', (
            f'mmcv ops: CPU only (torch {torch_version} is built for CUDA '
            f'{torch_cuda} but there is no nvcc at CUDA_HOME={cuda_home}; '
            f'install CUDA {torch_cuda} and set CUDA_HOME for CUDA ops)'))
    if Version(nvcc_cuda).major != Version(torch_cuda).major:
        return Decision('cpu', (
            f'mmcv ops: CPU only (torch {torch_version} is built for CUDA '
            f'{torch_cuda} but nvcc in {cuda_home} is CUDA {nvcc_cuda}; '
            f'point CUDA_HOME at a CUDA {Version(torch_cuda).major}.x '
            'toolkit for CUDA ops)'))
    found = (f'torch {torch_version} is built for CUDA {torch_cuda}, nvcc in '
             f'{cuda_home} is CUDA {nvcc_cuda}')
    if gpu_visible:
        return Decision('cuda', f'mmcv ops: CPU and CUDA ({found})')
    if not force_cuda:
        return Decision('cpu', (
            f'mmcv ops: CPU only ({found}, but no GPU is visible; '
            'FORCE_CUDA=1 with TORCH_CUDA_ARCH_LIST builds the CUDA ops '
            'anyway)'))
    if not arch_list:
        return Decision(None, (
            'FORCE_CUDA=1 without a visible GPU needs TORCH_CUDA_ARCH_LIST '
            "(e.g. '8.0;9.0'): torch compiles CUDA kernels for the visible "
            'GPUs otherwise'))
    return Decision('cuda', (
        f'mmcv ops: CPU and CUDA for {arch_list} ({found}; FORCE_CUDA=1)'))


def read_pins(constraints_file: str) -> List[Requirement]:
    """The requirements of a constraints file, in order."""
    with open(constraints_file) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [Requirement(line) for line in lines if line]


def environment_pins(pins: List[Requirement],
                     installed: Dict[str, Optional[str]]) -> List[str]:
    """``pins`` with torch and torchvision pinned to the installed releases
    (a missing torchvision is left unpinned)."""
    out = []
    for req in pins:
        if req.name not in TORCH_PACKAGES:
            out.append(str(req))
        elif installed.get(req.name) is not None:
            out.append(f'{req.name}=={installed[req.name]}')
    return out


def stack_problems(pins: List[Requirement],
                   installed: Dict[str, Optional[str]],
                   supported: SpecifierSet = SUPPORTED_TORCH) -> List[str]:
    """What the installed stack gets wrong: torch out of ``supported``, no
    torchvision of the series built for that torch, any other package off
    its pin."""
    problems = []
    torch = installed.get('torch')
    if torch is None or not supported.contains(Version(torch).public,
                                               prereleases=True):
        problems.append(f'torch {torch} is not in {supported}')
    torchvision = installed.get('torchvision')
    if torch is not None and (
            torchvision is None
            or not torchvision.startswith(matching_torchvision(torch) + '.')):
        problems.append(f'torchvision {torchvision} is not the '
                        f'{matching_torchvision(torch)} series built for '
                        f'torch {torch}')
    for req in pins:
        if req.name in TORCH_PACKAGES:
            continue
        have = installed.get(req.name)
        if have is None or have not in req.specifier:
            problems.append(f'{req.name} {have} does not satisfy {req}')
    return problems


def installed_version(name: str) -> Optional[str]:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def probe(name: str) -> Probe:
    """Import ``name`` in a child interpreter: a broken build (e.g. a
    torchvision whose ops do not load) may raise anything, even crash."""
    have = installed_version(name)
    if have is None:
        return Probe(None)
    result = subprocess.run([sys.executable, '-c', f'import {name}'],
                            capture_output=True, text=True)
    if result.returncode == 0:
        return Probe(have)
    lines = result.stderr.strip().splitlines() or [
        f'exit status {result.returncode}']
    return Probe(have, lines[-1])


def probe_ops() -> Tuple[str, Optional[str], Optional[str], Optional[str],
                         bool]:
    """torch's version and CUDA, the nvcc its extension builder would use
    (its CUDA_HOME) and whether a GPU is visible."""
    # cpp_extension warns at import when CUDA_HOME has no runtime (no GPU)
    logging.getLogger('torch.utils.cpp_extension').setLevel(logging.ERROR)
    import torch
    from torch.utils.cpp_extension import CUDA_HOME
    nvcc_cuda = None
    nvcc = os.path.join(CUDA_HOME or '', 'bin', 'nvcc')
    if CUDA_HOME and os.path.exists(nvcc):
        out = subprocess.run([nvcc, '--version'], capture_output=True,
                             text=True).stdout
        found = re.search(r'release (\d+\.\d+)', out)
        nvcc_cuda = found.group(1) if found else None
    return (torch.__version__, torch.version.cuda, nvcc_cuda, CUDA_HOME,
            torch.cuda.is_available())


def check(constraints_file: str) -> None:
    pins = read_pins(constraints_file)
    names = {req.name for req in pins} | set(TORCH_PACKAGES)
    installed = {name: installed_version(name) for name in names}
    problems = stack_problems(pins, installed)
    if problems:
        sys.exit(f'[install] {"; ".join(problems)} ({constraints_file})')
    import mmcv
    import mmcv.ops
    import mmdet
    import mmengine
    import mmpose

    import higherhrnet_plugin  # noqa: F401
    cuda = mmcv.ops.get_compiling_cuda_version()
    ops = 'CPU only' if cuda == 'not available' else f'CPU and CUDA {cuda}'
    print(f'[install] ok: torch {installed["torch"]}, torchvision '
          f'{installed["torchvision"]}, mmcv {mmcv.__version__} '
          f'(ops: {ops}), mmengine {mmengine.__version__}, mmdet '
          f'{mmdet.__version__}, mmpose {mmpose.__version__}')


def report(decision: Decision) -> None:
    """The reason on stderr; the action on stdout, or exit 1 to refuse."""
    print(f'[install] {decision.reason}', file=sys.stderr)
    if decision.action is None:
        sys.exit(1)
    print(decision.action)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    torch_cmd = commands.add_parser('torch',
                                    help='fresh | keep | torchvision==X.*')
    torch_cmd.add_argument('constraints')
    commands.add_parser('ops', help='cpu | cuda')
    for name in ('constraints', 'check'):
        commands.add_parser(name).add_argument('constraints')
    args = parser.parse_args()
    if args.command == 'torch':
        pins = {req.name: str(req.specifier).lstrip('=')
                for req in read_pins(args.constraints)}
        report(decide_torch(probe('torch'), probe('torchvision'), pins))
    elif args.command == 'constraints':
        installed = {name: installed_version(name) for name in TORCH_PACKAGES}
        print('\n'.join(
            environment_pins(read_pins(args.constraints), installed)))
    elif args.command == 'ops':
        report(decide_ops(*probe_ops(),
                          force_cuda=os.getenv('FORCE_CUDA', '0') == '1',
                          arch_list=os.getenv('TORCH_CUDA_ARCH_LIST')))
    else:
        check(args.constraints)


if __name__ == '__main__':
    main()
