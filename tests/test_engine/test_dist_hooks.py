"""The hooks decide alike on every rank, in two gloo CPU processes (bounded
by a timeout: a rank that stops alone leaves the other waiting): clocks
that disagree end training at the same epoch with the same lr, and a NaN
loss on one rank stops both at the same iteration."""
import os
import subprocess
import sys
from pathlib import Path

from free_port import free_port
from repo_paths import REPO

WORKER = Path(__file__).with_name('dist_budget_worker.py')


def test_budget_and_nan_stop_both_ranks_together(tmp_path):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1',
               PYTHONPATH=f'{REPO}:{os.environ.get("PYTHONPATH", "")}')
    run = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
         '2', '--master_addr', '127.0.0.1', '--master_port',
         str(free_port()), str(WORKER), str(tmp_path)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    found = [(tmp_path / f'rank{r}.txt').read_text() for r in (0, 1)]
    assert found[0] == found[1]
    # the slower clock decides: 2 iterations of 3 s an epoch; the 10th ends
    # at 60 s, and an 11th would end past the 60 s budget (rank 0's own
    # clock, 2 s an epoch, would train 30)
    assert found[0].startswith('epochs 10 stopped_at 10 '), found[0]
    assert found[0].endswith(', 0.0]')  # the cosine ends in the 10th
    nan = [(tmp_path / f'rank{r}_nan.txt').read_text() for r in (0, 1)]
    # rank 1's loss is NaN from iteration 3 (rank 0's from 4, through the
    # averaged gradients); both stop at the check after iteration 4
    assert nan[1].startswith('loss=nan at iteration 3; training stopped')
    assert nan[0].startswith(
        'loss (on another rank) at iteration 3; training stopped')
