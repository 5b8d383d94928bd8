"""Data randomness that is a function of (seed, epoch, rank) only.

MMEngine checkpoints hold the model, optimizer, schedulers and the seed, but
not the random number generators' states. After ``--resume`` the data
augmentation therefore differs from the uninterrupted run:

* with ``num_workers=0`` the transforms draw from the main process's
  ``numpy``/``random`` state, which restarts from the seed on resume;
* with persistent workers each worker's state advances over all epochs, and
  after a resume the workers start over from their initial seeds;
* with non-persistent workers MMEngine's ``worker_init_fn`` reseeds every
  worker with the same seed at every epoch (so all epochs reuse one random
  stream per worker), and when the config has no fixed seed the dataloader
  keeps the fresh run's random seed rather than the checkpoint's.

This hook reseeds ``random``, ``numpy`` and ``torch`` in the main process at
the start of every training epoch from ``(runner.seed, epoch, rank)``, makes
each dataloader worker seed ``numpy`` from the per-epoch seed PyTorch gives
it (``torch.initial_seed()``: drawn from the main process's reseeded torch
generator, plus the worker id), and starts the workers afresh every epoch
when ``persistent_workers=True`` (their streams would otherwise carry over).
A resumed run then sees exactly the augmentations of the uninterrupted one,
and every epoch gets new ones.
"""
import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpose.registry import HOOKS


def _derive_seed(*keys: int) -> int:
    """A well-mixed 32-bit seed from non-negative integer keys."""
    return int(np.random.SeedSequence([int(k) % 2**64 for k in keys])
               .generate_state(1)[0])


def _seed_worker_from_torch(worker_id: int) -> None:
    """``worker_init_fn``: seed ``numpy`` (and ``random``) from the seed
    PyTorch set for this worker (base seed of the epoch's iterator plus the
    worker id); PyTorch itself seeds only ``torch`` and ``random``."""
    seed = torch.initial_seed()
    np.random.seed(_derive_seed(seed))
    random.seed(seed)


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Reseed all generators at each training epoch, for exact resumes.

    Args:
        restart_persistent_workers (bool): start the train dataloader's
            persistent workers afresh each epoch (their random streams would
            otherwise run on across epochs and differ after a resume).
            Defaults to True.
    """
    # last in ``before_train_epoch``: nothing after it draws before the
    # epoch's first batch
    priority = 'LOWEST'

    def __init__(self, restart_persistent_workers: bool = True):
        self.restart_persistent_workers = restart_persistent_workers

    def before_train(self, runner) -> None:
        loader = runner.train_loop.dataloader
        if getattr(loader, 'num_workers', 0) > 0:
            # replaces MMEngine's worker_init_fn, which seeds every worker
            # with the same seed at every epoch
            loader.worker_init_fn = _seed_worker_from_torch
            if loader.persistent_workers and self.restart_persistent_workers:
                print_log(
                    'EpochSeedHook: the train dataloader workers are started '
                    'afresh each epoch (persistent_workers=True would carry '
                    'their random streams across epochs)', logger='current')

    def before_train_epoch(self, runner) -> None:
        loader = runner.train_loop.dataloader
        if (self.restart_persistent_workers
                and getattr(loader, 'persistent_workers', False)
                and getattr(loader, '_iterator', None) is not None):
            loader._iterator._shutdown_workers()
            loader._iterator = None
        seed = _derive_seed(runner.seed, runner.epoch, get_rank())
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
