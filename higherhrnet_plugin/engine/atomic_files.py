"""Files that hold either their old or their new content, never a mix.

A checkpoint written in place is truncated first: a kill or a full disk
half-way leaves a broken file under the name ``--resume`` looks for. Here the
bytes go to a temporary file in the same directory, are flushed to disk
(``fsync``), and only then replace the target in one ``os.replace`` (atomic
on POSIX and Windows within one filesystem); the directory is synced so the
rename itself survives a power cut.

:class:`_AtomicLocalBackend` is MMEngine's ``LocalBackend`` with atomic
``put``/``put_text``, registered as the file backend ``'atomic_local'``
(``backend_args=dict(backend='atomic_local')``); ``AtomicCheckpointHook``
saves through it.
"""
import contextlib
import glob
import os
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend


def _temp_name(path: str) -> str:
    return osp.join(osp.dirname(path), f'.{osp.basename(path)}.'
                    f'{os.getpid()}.tmp')


def write_atomic(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring).

    A temporary file left by an earlier, killed write of the same ``path`` is
    removed first. On any error (``ENOSPC``...) the temporary file is removed
    and ``path`` is untouched.
    """
    path = osp.abspath(os.fspath(path))
    directory = osp.dirname(path)
    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(glob.escape(
            osp.join(directory, f'.{osp.basename(path)}.')) + '*.tmp'):
        with contextlib.suppress(FileNotFoundError):
            os.remove(stale)
    temp = _temp_name(path)
    try:
        # O_EXCL: never write through a link planted under the temp name;
        # mode 0o666 & umask, as open() would give the file
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temp)
        raise
    if hasattr(os, 'O_DIRECTORY'):  # POSIX: make the rename durable
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@register_backend('atomic_local')
class _AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic."""

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        write_atomic(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        write_atomic(filepath, obj.encode(encoding))
