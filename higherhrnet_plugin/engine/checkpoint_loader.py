"""Load checkpoints weights-only, with an explicit allow-list.

A checkpoint is a pickle, and unpickling runs whatever code the file names.
``torch.load(weights_only=True)`` refuses every global outside an
allow-list; this module is the one place where checkpoints are read, with
the allow-list :func:`_weights_only_globals`:

* MMEngine's own (``get_torch_safe_globals``: numpy arrays and scalars, the
  ``uint32``/``float64``/``int64`` dtype classes, ``HistoryBuffer``);
* the numpy dtype classes of MMPose's dataset meta, which every MMPose
  checkpoint carries (``uint8`` colours, ``float32`` OKS sigmas);
* the same numpy functions under the names numpy 1.x pickled them
  (``numpy.core.multiarray.*``), which MMPose 0.x checkpoints and any
  checkpoint written before numpy 2 use. The original HigherHRNet's files
  (bare state dicts, or ``epoch``/``state_dict``/``optimizer`` dicts, zip or
  legacy torch format) need nothing beyond torch's own list.

A file that needs anything else raises :class:`UntrustedCheckpointError`, one
line naming the first refused global and the ``--trust-checkpoint`` flag.
Nothing is added to torch's allow-list globally: the list applies inside
``torch.serialization.safe_globals`` around each load.

Why MMEngine's loader is replaced: ``mmengine.runner.checkpoint``'s local
loader calls ``_safe_torch_load`` with ``weights_only=None``, which retries
any refused file with ``weights_only=False`` (a warning, then the file's code
runs), and its HTTP loader goes through ``torch.hub.load_state_dict_from_url``
whose default is ``weights_only=False``. Neither has a switch. Importing this
module (``higherhrnet_plugin`` does, and so do our configs'
``custom_imports``) therefore registers :func:`load_from_local_weights_only`
and :func:`_load_from_http_weights_only` in MMEngine's ``CheckpointLoader`` for
local paths and ``http(s)://``, so ``load_from``, ``--resume``,
``init_cfg=dict(type='Pretrained')``, ``mmpose.apis.init_model`` and
``MMPoseInferencer`` all load through :func:`load_checkpoint_file`. MMEngine's
other schemes (``open-mmlab://``, ``torchvision://``, ``s3://`` ...) are left
as they are; our configs use none of them.

The API for tools (``tools/train.py``, ``tools/test.py``,
``tools/convert_checkpoint.py``, ``tools/infer.py``, the ONNX exporter)::

    add_trust_argument(parser)          # adds --trust-checkpoint
    ...
    try:
        with trusted_checkpoints(args.trust_checkpoint):
            ...                         # anything that loads checkpoints
    except CheckpointLoadError as e:    # refused or unreadable: one line
        raise SystemExit(str(e))
"""
import argparse
import os
import os.path as osp
import pickle
import re
from contextlib import contextmanager
from typing import Any, Iterator, List
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader, get_torch_safe_globals

_TRUST_FLAG = '--trust-checkpoint'

# where torch's weights-only unpickler names what it refused
_REFUSED = (re.compile(r'GLOBAL (\S+) was not an allowed global'),
            re.compile(r'unsupported GLOBAL (\S+) whose module'),
            re.compile(r'unrecognized function (.+?)(?: which belongs|$)',
                       re.M),
            re.compile(r'allowlisted via `add_safe_globals` but got (.+)$',
                       re.M))
_trusted = False


class CheckpointLoadError(RuntimeError):
    """A checkpoint could not be loaded; the message is one line."""


class UntrustedCheckpointError(CheckpointLoadError):
    """A checkpoint needs a global outside :func:`_weights_only_globals`."""


def _weights_only_globals() -> List[Any]:
    """The allow-list used for every checkpoint (see the module docstring):
    objects, or ``(object, 'pickled.name')`` pairs for the numpy 1.x
    names."""
    np_core = getattr(np, '_core', None) or np.core
    aliases = [(np_core.multiarray._reconstruct,
                f'numpy.{core}.multiarray._reconstruct')
               for core in ('core', '_core')]
    aliases += [(np_core.multiarray.scalar, f'numpy.{core}.multiarray.scalar')
                for core in ('core', '_core')]
    mmpose_meta = [type(np.dtype(np.uint8)), type(np.dtype(np.float32))]
    return [*get_torch_safe_globals(), *mmpose_meta, *aliases]


def add_trust_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--trust-checkpoint`` (``args.trust_checkpoint``) to a tool."""
    parser.add_argument(
        _TRUST_FLAG, action='store_true',
        help='unpickle checkpoints fully, running any code they contain; '
        'only for files from a source you trust (default: weights only, '
        'with an allow-list of tensor, numpy and MMEngine types)')


@contextmanager
def trusted_checkpoints(enabled: bool = True) -> Iterator[None]:
    """Within the block, load checkpoints with full unpickling if
    ``enabled`` (the user passed ``--trust-checkpoint``)."""
    global _trusted
    previous, _trusted = _trusted, enabled
    try:
        yield
    finally:
        _trusted = previous


def _refused_global(error: Exception) -> str:
    message = str(error)
    for pattern in _REFUSED:
        found = pattern.search(message)
        if found:
            return f'it needs `{found.group(1).strip()}`'
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    detail = f' ({lines[-1]})' if lines else ''
    return f'the weights-only unpickler refused it{detail}'


def load_checkpoint_file(filename, map_location=None) -> Any:
    """``torch.load`` a checkpoint file weights-only with
    :func:`_weights_only_globals` (fully, inside :func:`trusted_checkpoints`).

    Args:
        filename (str | file-like): the checkpoint.
        map_location: as for :func:`torch.load`.

    Raises:
        UntrustedCheckpointError: the file needs a global outside the list.
        CheckpointLoadError: the file is not a readable torch checkpoint.
    """
    if _trusted:
        print_log(f'{_TRUST_FLAG}: unpickling {filename} fully',
                  logger='current')
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        with torch.serialization.safe_globals(_weights_only_globals()):
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
    except pickle.UnpicklingError as e:
        raise UntrustedCheckpointError(
            f'checkpoint {filename}: not loaded, {_refused_global(e)}, which '
            f'weights-only loading does not allow; pass {_TRUST_FLAG} if you '
            'trust this file') from None
    except Exception as e:  # noqa: BLE001 (any reading failure)
        detail = str(e).strip().splitlines()[0] if str(e).strip() else ''
        raise CheckpointLoadError(
            f'checkpoint {filename}: not a readable torch checkpoint '
            f'({type(e).__name__}: {detail})') from None


def load_from_local_weights_only(filename: str, map_location=None) -> Any:
    """MMEngine's ``CheckpointLoader`` scheme for local paths."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_checkpoint_file(filename, map_location)


def _download(url: str) -> str:
    # torch.hub's cache, as MMEngine's loader (torch's load_url) uses
    model_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.exists(cached):
        # writes a temporary file and moves it into place when complete
        torch.hub.download_url_to_file(url, cached, progress=True)
    return cached


def _load_from_http_weights_only(url: str, map_location=None) -> Any:
    """MMEngine's ``CheckpointLoader`` scheme for ``http(s)://``: download
    into torch.hub's cache (rank 0 first, as MMEngine does), then load with
    :func:`load_checkpoint_file`."""
    rank, world_size = get_dist_info()
    if rank == 0:
        _download(url)
    if world_size > 1:
        torch.distributed.barrier()
    return load_checkpoint_file(_download(url), map_location)


CheckpointLoader.register_scheme(
    prefixes='', loader=load_from_local_weights_only, force=True)
CheckpointLoader.register_scheme(
    prefixes=('http://', 'https://'), loader=_load_from_http_weights_only,
    force=True)
