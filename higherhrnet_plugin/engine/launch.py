"""What ``tools/train.py`` and ``tools/test.py`` need beyond MMPose's scripts."""
import os
import os.path as osp

import mmengine.device
import torch
import torch.distributed as dist
from mmengine.config import Config

_CPU_RECIPE = ('to run CPU processes on purpose, set CUDA_VISIBLE_DEVICES= '
               '(empty) with tools/dist_train.sh')


def resolve_work_dir(cfg: Config, work_dir: str, config_path: str) -> None:
    """Set ``cfg.work_dir``: the CLI value, else the config's, else
    ``./work_dirs/<config name>`` (MMPose's rule)."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config_path))[0])


def _cpu_requested() -> bool:
    """Whether the user hid every GPU on purpose: ``CUDA_VISIBLE_DEVICES``
    set and empty (the README's CPU recipe)."""
    return os.environ.get('CUDA_VISIBLE_DEVICES') == ''


def no_cuda_reason() -> str:
    """Why torch sees no CUDA device, in one line: torch's version and CUDA
    build, and the driver's error (``torch.cuda.init()``'s message) or
    "no CUDA device"."""
    build = (f'CUDA {torch.version.cuda} build'
             if torch.version.cuda else 'CPU-only build')
    try:
        torch.cuda.init()
    except (AssertionError, RuntimeError) as e:
        # e.g. "Found no NVIDIA driver on your system. Please check ..."
        lines = str(e).strip().splitlines()
        cause = lines[0] if lines else type(e).__name__
    else:
        cause = 'no CUDA device'
    return f'torch {torch.__version__} ({build}) sees no GPU: {cause}'


def distributed_device(launcher: str) -> str:
    """The device a run with ``launcher`` trains on: ``'cuda'``, or
    ``'cpu'`` for no launcher or for ``pytorch`` when the user hid every
    GPU (:func:`_cpu_requested`).

    Raises:
        SystemExit: one line, when a distributed launcher finds no GPU that
            the user did not hide on purpose (a driver that does not fit the
            torch build would otherwise train CPU processes without a word),
            or when ``slurm``/``mpi`` is asked for CPU processes.
    """
    if launcher == 'none':
        return 'cuda' if torch.cuda.is_available() else 'cpu'
    if torch.cuda.is_available():
        return 'cuda'
    if not _cpu_requested():
        raise SystemExit(f'--launcher {launcher}: {no_cuda_reason()}; '
                         f'{_CPU_RECIPE}')
    if launcher == 'pytorch':
        return 'cpu'
    raise SystemExit(f'--launcher {launcher} needs a GPU (MMEngine\'s '
                     f'launcher calls torch.cuda.set_device) and '
                     f'CUDA_VISIBLE_DEVICES is empty; CPU processes run '
                     f'with CUDA_VISIBLE_DEVICES= bash tools/dist_train.sh')


def check_amp_device(cfg: Config, source: str) -> None:
    """Stop with one line when ``cfg`` trains with ``AmpOptimWrapper`` and
    there is no GPU: MMEngine's wrapper asserts CUDA (or NPU/MLU) and would
    end in a traceback.

    Args:
        source (str): what asked for AMP, named in the message (``--amp`` or
            the config's path).
    """
    if cfg.get('optim_wrapper', {}).get('type') != 'AmpOptimWrapper':
        return
    if (mmengine.device.is_cuda_available()
            or mmengine.device.is_npu_available()
            or mmengine.device.is_mlu_available()):
        return
    override = ('drop --amp' if source == '--amp' else
                'to train in fp32 on CPU, add --cfg-options '
                'optim_wrapper.type=OptimWrapper')
    raise SystemExit(f'{source}: mixed-precision training '
                     f'(AmpOptimWrapper) needs a GPU, and '
                     f'{no_cuda_reason()}; {override}')


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Set ``cfg.launcher``; stop (one line) on a distributed launcher
    without a GPU unless CPU processes were asked for
    (:func:`distributed_device`), and make ``--launcher pytorch`` work on
    those.

    MMEngine's pytorch launcher calls ``torch.cuda.set_device`` before
    creating the process group, and wraps the model in DDP with
    ``device_ids=[LOCAL_RANK]``; both fail on CPU. For CPU processes we
    create the gloo process group ourselves (the Runner then skips its own
    initialisation) and ask for a device-less DDP wrapper. With CUDA nothing
    changes.
    """
    cfg.launcher = launcher
    if launcher == 'none' or distributed_device(launcher) == 'cuda':
        return
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'


def close_distributed() -> None:
    """Destroy the default process group, if any, on every rank, after a
    run that ended normally or with one of the plugin's one-line errors,
    which every rank raises at the same point.

    A process that exits with its gloo group alive can abort at interpreter
    exit ("terminate called without an active exception", SIGABRT): gloo's
    threads still hold work that needs the GIL while Python is finalizing
    (pytorch/pytorch#190489). MMEngine's Runner leaves the group alive.
    Not for other exceptions: the teardown can block on ranks that stopped
    elsewhere.
    """
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
