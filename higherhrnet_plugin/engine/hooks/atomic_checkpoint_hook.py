"""MMEngine's ``CheckpointHook`` with saves that a kill or a full disk
cannot break.

MMEngine's hook, saving a checkpoint, (1) deletes the oldest kept one when
``max_keep_ckpts`` is reached, (2) writes the new file in place and
(3) rewrites ``last_checkpoint`` in place. A kill or ``ENOSPC`` during (2)
leaves a truncated checkpoint, during (3) an empty ``last_checkpoint``
(``--resume`` then fails), and with ``max_keep_ckpts=1`` after (1) no
checkpoint at all. This hook writes the checkpoint and ``last_checkpoint``
atomically (:mod:`..atomic_files`), in that order, and deletes the outdated
checkpoint last, so at every instant ``last_checkpoint`` names a complete
file. A failed save raises :class:`CheckpointSaveError`, one line naming the
file, the reason and the checkpoint that is kept, on every rank: rank 0
writes, and the ranks share its outcome, so that none trains on into a
collective that rank 0 never joins.

Best checkpoints (``save_best``) are written atomically too, but MMEngine
deletes the previous best before saving the new one; a failure there leaves
no best file while the regular checkpoints stay intact.
"""
import os.path as osp

from mmengine.dist import all_gather_object, is_main_process
from mmengine.fileio.io import _parse_uri_prefix
from mmengine.hooks import CheckpointHook
from mmpose.registry import HOOKS

from ..atomic_files import write_atomic


class CheckpointSaveError(RuntimeError):
    """A checkpoint could not be written; the message is one line."""


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` (same arguments) whose saves are atomic.

    Local checkpoint directories are written through the ``'atomic_local'``
    file backend unless ``backend_args`` names another backend.
    """

    def before_train(self, runner) -> None:
        out_dir = self.out_dir or runner.work_dir
        if (self.backend_args is None and self.file_client_args is None
                and _parse_uri_prefix(out_dir) == ''):
            self.backend_args = dict(backend='atomic_local')
        super().before_train(runner)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # MMEngine's bookkeeping (kept ids, message hub), reordered: save,
        # point `last_checkpoint` at it, then delete the outdated one
        outdated = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        previous = self.last_ckpt or runner.message_hub.get_info('last_ckpt')
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        pointer = osp.join(runner.work_dir, 'last_checkpoint')
        error = None
        try:
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
            # model-parallel ranks save shards; only the main one bookkeeps
            if is_main_process():
                write_atomic(pointer, self.last_ckpt.encode())
        except OSError as e:
            kept = (f'{previous} is kept and {pointer} still names it'
                    if previous else 'no earlier checkpoint exists')
            error = (f'cannot save checkpoint {self.last_ckpt}: '
                     f'{e.strerror or e}; {kept}')
        # every rank stops at the same save (one small gather a checkpoint)
        errors = [e for e in all_gather_object(error) if e is not None]
        if errors:
            raise CheckpointSaveError(errors[0])
        if not is_main_process():
            return
        if outdated is not None:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(outdated))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # deepspeed's are folders
                self.file_backend.rmtree(path)
