"""``tools/infer.py`` run as a user runs it, for the tests of its options."""
import os
import subprocess
import sys

from repo_paths import REPO

INFER = REPO / 'tools' / 'infer.py'


def run_infer(*args, cwd) -> subprocess.CompletedProcess:
    """``python tools/infer.py ARGS`` in ``cwd``, on the CPU (no GPU
    visible), its output captured."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable, str(INFER), *map(str, args)],
                          cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=300)
