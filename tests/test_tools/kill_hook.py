"""A hook that kills its own training process (SIGKILL: no cleanup, no final
checkpoint), to test resuming after a real interruption. Imported by the
configs that tests/test_tools/test_resume_training.py writes."""
import os
import signal

from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL the process once ``kill_at`` training iterations are done."""

    def __init__(self, kill_at: int):
        self.kill_at = kill_at

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
