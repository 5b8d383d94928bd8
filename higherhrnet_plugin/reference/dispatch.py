"""Which check applies to which reference file."""
import os.path as osp
from pathlib import Path
from typing import Iterable, List, Tuple


def _kind(path: Path) -> str:
    name = path.name
    if name.endswith('.pth'):
        return 'model'
    if name.endswith('.npz') and name.startswith('train_targets_losses'):
        return 'training'
    if name.endswith('.npz') and name.startswith(('flip_', 'ms_')):
        return 'inference'
    return ''


def reference_files(paths: Iterable[str]) -> List[Path]:
    """Reference files named by ``paths`` (files, or folders to scan)."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.iterdir() if _kind(f))
        elif p.is_file():
            found.append(p)
        else:
            raise FileNotFoundError(f'no such file or folder: {p}')
    return found


def check_reference_file(path: Path) -> Tuple[bool, str]:
    """Run the check that fits ``path``; returns (matches, one-line detail)."""
    kind = _kind(Path(path))
    if kind == 'model':
        from .model_outputs import check_model_reference
        return check_model_reference(str(path))
    if kind == 'training':
        from .training_targets import check_training_reference
        return check_training_reference(str(path))
    if kind == 'inference':
        from .inference_vectors import check_inference_vector
        return check_inference_vector(str(path))
    return False, (f'unknown reference file {osp.basename(path)} (expected '
                   '*.pth, train_targets_losses*.npz, flip_*.npz or ms_*.npz)')
