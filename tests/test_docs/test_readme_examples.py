"""Every ``python`` block of README.md runs, from a folder that has the
repository's ``configs/``, with ``../shared`` beside it, as the README's
examples expect."""
import os
import re
import subprocess
import sys

from repo_paths import REPO

BLOCK = re.compile(r'^```python\n(.*?)^```', re.S | re.M)


def test_readme_python_blocks_run(tmp_path):
    blocks = BLOCK.findall((REPO / 'README.md').read_text())
    assert blocks, 'README.md has no python block'
    (tmp_path / 'shared').symlink_to(REPO.parent / 'shared')
    tmp_path = tmp_path / 'repo'
    tmp_path.mkdir()
    (tmp_path / 'configs').symlink_to(REPO / 'configs')
    scripts = []
    for i, block in enumerate(blocks):
        scripts.append(tmp_path / f'readme_block_{i}.py')
        scripts[-1].write_text(block)
    runner = ('import runpy, sys\n'
              'for path in sys.argv[1:]:\n'
              '    print(f"running {path}", flush=True)\n'
              '    runpy.run_path(path, run_name="__main__")\n')
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    result = subprocess.run(
        [sys.executable, '-c', runner, *map(str, scripts)], cwd=tmp_path,
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # the visualizer block draws a file
    assert (tmp_path / 'pose.png').is_file()
