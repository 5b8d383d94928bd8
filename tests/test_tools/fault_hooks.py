"""Faults injected into a training run, for tests/test_tools/
test_training_faults.py and test_checkpoint_safety.py. Imported by the
configs those tests write (PYTHONPATH holds this folder).

- ``KillDuringSaveHook``: SIGKILL the process at one point of a checkpoint
  save (inside :func:`higherhrnet_plugin.engine.atomic_files.write_atomic`
  and the hook's deletion of the outdated checkpoint);
- ``FullDiskDuringSaveHook``: a checkpoint write fails with ``ENOSPC``;
- ``PoisonWeightsHook``: make the weights NaN, so the loss is NaN.
"""
import errno
import os
import signal

import torch
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

# the points of a save, in the order they happen
KILL_POINTS = ('write', 'fsync', 'replace', 'pointer', 'remove')


def _kill():
    os.kill(os.getpid(), signal.SIGKILL)


def _fd_path(fd):
    return os.readlink(f'/proc/self/fd/{fd}')


@HOOKS.register_module()
class KillDuringSaveHook(Hook):
    """At the checkpoint save of epoch ``epoch`` (1-based), SIGKILL the
    process at ``point`` (one of :data:`KILL_POINTS`):

    - ``write``: half-way through writing the checkpoint's temporary file;
    - ``fsync``: the temporary file written, before it is flushed to disk;
    - ``replace``: before the temporary file replaces the checkpoint name;
    - ``pointer``: the checkpoint in place, before ``last_checkpoint`` is
      replaced;
    - ``remove``: both in place, before the outdated checkpoint is deleted.
    """

    def __init__(self, point: str, epoch: int):
        assert point in KILL_POINTS, point
        self.point, self.epoch = point, epoch

    def before_train_epoch(self, runner) -> None:
        if runner.epoch + 1 != self.epoch:
            return
        checkpoint = f'.epoch_{self.epoch}.pth.'
        write, fsync, replace, remove = (os.write, os.fsync, os.replace,
                                         os.remove)

        def killing_write(fd, data):
            if self.point == 'write' and checkpoint in _fd_path(fd):
                write(fd, bytes(data[:len(data) // 2]))
                _kill()
            return write(fd, data)

        def killing_fsync(fd):
            if self.point == 'fsync' and checkpoint in _fd_path(fd):
                _kill()
            return fsync(fd)

        def killing_replace(src, dst):
            name = os.path.basename(str(dst))
            if (self.point == 'replace' and checkpoint in str(src)) or (
                    self.point == 'pointer' and name == 'last_checkpoint'):
                _kill()
            return replace(src, dst)

        def killing_remove(path):
            if self.point == 'remove' and str(path).endswith('.pth'):
                _kill()
            return remove(path)

        os.write, os.fsync = killing_write, killing_fsync
        os.replace, os.remove = killing_replace, killing_remove


@HOOKS.register_module()
class FullDiskDuringSaveHook(Hook):
    """The disk fills up half-way through writing the checkpoint of epoch
    ``epoch`` (1-based): that ``os.write`` raises ``ENOSPC``."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def before_train_epoch(self, runner) -> None:
        if runner.epoch + 1 != self.epoch:
            return
        checkpoint = f'.epoch_{self.epoch}.pth.'
        write = os.write

        def full_disk_write(fd, data):
            if checkpoint in _fd_path(fd):
                write(fd, bytes(data[:len(data) // 2]))
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return write(fd, data)

        os.write = full_disk_write


@HOOKS.register_module()
class PoisonWeightsHook(Hook):
    """Fill the first weight with NaN after iteration ``after_iter``
    (1-based) has stepped, before that iteration's checkpoint is saved: the
    loss of the next iteration is NaN."""
    priority = 'HIGHEST'

    def __init__(self, after_iter: int):
        self.after_iter = after_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.after_iter:
            with torch.no_grad():
                next(runner.model.parameters()).fill_(float('nan'))
