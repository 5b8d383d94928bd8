"""``tools/infer.py`` run as a user runs it, for the tests of its options."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
INFER = ROOT / 'tools' / 'infer.py'
DEMO_CONFIG = ROOT / ('configs/demo/higherhrnet_hrnet-w16-tiny_1xb4-30e_'
                      'synthetic-256x256.py')
SHARED_COCO = ROOT.parent / 'shared' / 'data' / 'coco'


def run_infer(*args, cwd) -> subprocess.CompletedProcess:
    """``python tools/infer.py ARGS`` in ``cwd``, on the CPU (no GPU
    visible), its output captured."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable, str(INFER), *map(str, args)],
                          cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=300)
