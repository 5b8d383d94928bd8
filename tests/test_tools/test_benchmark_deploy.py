"""tools/analysis/benchmark_deploy.py: one-line errors for bad options
(the timing itself is not tested: it is a measurement)."""
import os
import subprocess
import sys

import pytest

from repo_paths import REPO

TOOL = REPO / 'tools' / 'analysis' / 'benchmark_deploy.py'


@pytest.mark.parametrize('args, culprit', [
    (['--repeats', '0'], '--repeats'),
    (['--threads', '-1'], '--threads'),
    (['--image', 'no_such.jpg'], "--image: cannot read 'no_such.jpg'"),
    (['--methods', 'pytorch', 'tensorrt'], "--methods: 'tensorrt'"),
    (['--config', 'no_such.py'], "config: no such file 'no_such.py'"),
    (['--checkpoint', 'no_such.pth'],
     "--checkpoint: no such file 'no_such.pth'"),
    (['--calib-num', '0'], '--calib-num: must be >= 1'),
    (['--rendered-maps', 'no_such.npz'],
     "--rendered-maps: no such file 'no_such.npz'"),
])
def test_bad_option_is_one_line(args, culprit):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run([sys.executable, str(TOOL), *args], cwd=str(REPO),
                          env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines()
             if ln.strip() and not ln.startswith('usage')
             and not ln.startswith(' ')]
    assert len(lines) == 1 and culprit in lines[0], proc.stderr
    assert 'Traceback' not in proc.stderr and not proc.stdout
