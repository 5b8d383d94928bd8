"""Whether each rank of a multi-process test exits with its process group
destroyed: ``exit_probe/sitecustomize.py``, put on the ranks' PYTHONPATH,
records it at exit."""
import os
from pathlib import Path
from typing import Dict

PROBE_SITE = Path(__file__).with_name('exit_probe')


def probed(env: Dict[str, str], probe_dir: Path) -> Dict[str, str]:
    """``env`` for ranks that record their group's state at exit in
    ``probe_dir`` (made here), one file per rank."""
    probe_dir.mkdir()
    return dict(env, EXIT_PROBE_DIR=str(probe_dir),
                PYTHONPATH=os.pathsep.join(
                    [str(PROBE_SITE), env.get('PYTHONPATH', '')]))


def groups_at_exit(probe_dir: Path) -> Dict[str, str]:
    """``{'rank0': 'destroyed' or 'alive', ...}`` as the ranks recorded."""
    return {p.name: p.read_text() for p in probe_dir.iterdir()}
