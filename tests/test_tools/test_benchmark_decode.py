"""tools/analysis/benchmark_decode.py: per-stage breakdown, identical poses,
JSON output, one-line errors for bad options."""
import json
import os
import subprocess
import sys

import pytest

from higherhrnet_plugin.analysis.decode_benchmark import (ALL_STAGES,
                                                          benchmark_decode,
                                                          format_table)

from repo_paths import REPO

TOOL = REPO / 'tools' / 'analysis' / 'benchmark_decode.py'


def test_small_benchmark_is_identical_with_every_stage():
    pytest.importorskip('munkres')
    messages = []
    result = benchmark_decode(people=(3, ), repeats=1, size_wh=(160, 128),
                              clock='cpu', noise=0.02,
                              progress=messages.append)
    assert messages and result['stages'] == list(ALL_STAGES)
    (row, ) = result['rows']
    assert row['identical'] and row['found'] >= 1
    assert set(row['ours_ms']) == set(ALL_STAGES)
    assert row['speedup'] > 0
    table = format_table(result)
    assert table.count('\n') == 3 and '| 3 | ours |' in table
    with pytest.raises(ValueError, match='clock must be one of'):
        benchmark_decode(people=(1, ), clock='gpu')


def _tool(*args):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable, str(TOOL), *args], cwd=str(REPO),
                          env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize('args, message', [
    (('--repeats', '0'), 'must be >= 1'),
    (('--json', '/nonexistent/dir/out.json'), '--json: no such folder'),
    (('--noise', '-1'), '--noise must be >= 0'),
])
def test_bad_options_are_one_line_errors(args, message):
    proc = _tool(*args)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert message in last and 'Traceback' not in proc.stderr


def test_tool_writes_json(tmp_path):
    pytest.importorskip('munkres')
    out = tmp_path / 'decode.json'
    proc = _tool('--people', '1', '--repeats', '1', '--json', str(out))
    assert proc.returncode == 0, proc.stderr
    assert '[benchmark_decode]' in proc.stdout
    data = json.loads(out.read_text())
    assert data['rows'][0]['identical'] is True
    assert data['clock'] == 'wall'
