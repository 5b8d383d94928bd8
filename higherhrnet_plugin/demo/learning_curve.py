"""The demo's picture of learning: validation AP, AP (M) and AP (L) and the
training losses against epochs, read from the scalars MMEngine logs in
``<work_dir>/<timestamp>/vis_data/scalars.json``, with a second run (the
``--baseline`` one) drawn dashed on the same axes."""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

# COCOeval's keypoint metrics as MMPose's CocoMetric names them
AP_KEYS = ('coco/AP', 'coco/AP (M)', 'coco/AP (L)')
_Curve = List[Tuple[int, float]]


def latest_scalars(work_dir: str) -> Optional[str]:
    """The ``scalars.json`` of the newest run in ``work_dir`` (run folders
    are ``%Y%m%d_%H%M%S`` timestamps, so they sort by name), or ``None``."""
    found = sorted(glob.glob(osp.join(glob.escape(work_dir), '*', 'vis_data',
                                      'scalars.json')))
    return found[-1] if found else None


def read_scalars(
        path: str) -> Tuple[Dict[str, _Curve], Dict[str, _Curve]]:
    """The validation metrics and the training losses of one run.

    Returns:
        tuple: ``(val, losses)``: ``val`` maps each of :data:`AP_KEYS` that
        was logged to its ``(epoch, value)`` points (COCOeval's -1, an area
        range without people, left out); ``losses`` maps every logged
        ``loss*`` key to its mean over each epoch's logged iterations.
    """
    val: Dict[str, _Curve] = defaultdict(list)
    sums: Dict[str, Dict[int, List[float]]] = defaultdict(
        lambda: defaultdict(list))
    with open(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ValueError(f'{path}:{n}: not a JSON line') from None
            if any(k in row for k in AP_KEYS):
                # validation rows are logged with step = epoch
                for k in AP_KEYS:
                    if k in row and row[k] >= 0:
                        val[k].append((int(row['step']), float(row[k])))
            elif 'epoch' in row:
                for k, v in row.items():
                    if k.startswith('loss'):
                        sums[k][int(row['epoch'])].append(float(v))
    losses = {k: [(e, sum(vs) / len(vs)) for e, vs in sorted(per.items())]
              for k, per in sums.items()}
    return dict(val), losses


def _plot_run(ax_ap, ax_loss, name: str, style: str, scalars: str,
              colors: List[str], loss_colors: Dict[str, str]) -> None:
    """One run's AP (one colour per AP key) and losses (one colour per
    loss, shared with the other run through ``loss_colors``), drawn in
    ``style``, and its run folder in the legend."""
    val, losses = read_scalars(scalars)
    run = osp.basename(osp.dirname(osp.dirname(scalars)))
    for k, c in zip(AP_KEYS, colors):
        if val.get(k):
            e, v = zip(*val[k])
            ax_ap.plot(e, v, style, color=c, marker='o', markersize=3,
                       label=f'{name} {k[5:]}')
    for k, pts in sorted(losses.items()):
        c = loss_colors.setdefault(k, colors[len(loss_colors) % len(colors)])
        e, v = zip(*pts)
        ax_loss.plot(e, v, style, color=c, label=f'{name} {k}')
    ax_loss.plot([], [], style, color='gray', label=f'{name}: {run}')


def draw_learning_curve(work_dir: str,
                        baseline_dir: Optional[str] = None,
                        out_file: Optional[str] = None,
                        label: str = 'HigherHRNet',
                        baseline_label: str = 'HRNet + AE baseline') -> str:
    """Draw the newest run in ``work_dir`` (solid) and, when
    ``baseline_dir`` holds a run, the newest one there (dashed): AP against
    epochs on the left, the losses (log scale) on the right.

    Args:
        work_dir (str): the run's work dir.
        baseline_dir (str, optional): another run's work dir; skipped when
            it holds no ``scalars.json``.
        out_file (str, optional): defaults to
            ``<work_dir>/learning_curve.png``.
        label / baseline_label (str): the runs' names in the legend.

    Returns:
        str: the PNG written.

    Raises:
        ValueError: ``work_dir`` holds no ``*/vis_data/scalars.json``, or
            a line of one is not JSON.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    path = latest_scalars(work_dir)
    if path is None:
        raise ValueError(f'draw_learning_curve: no */vis_data/scalars.json '
                         f'in {work_dir}')
    runs = [(label, '-', path)]
    base = latest_scalars(baseline_dir) if baseline_dir else None
    if base is not None:
        runs.append((baseline_label, '--', base))

    fig, (ax_ap, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2))
    colors = plt.rcParams['axes.prop_cycle'].by_key()['color']
    loss_colors: Dict[str, str] = {}
    for name, style, scalars in runs:
        _plot_run(ax_ap, ax_loss, name, style, scalars, colors, loss_colors)
    ax_ap.set(xlabel='epoch', ylabel='validation (COCO keypoints)',
              title='validation AP')
    ax_ap.set_ylim(bottom=0)
    ax_loss.set(xlabel='epoch', ylabel='mean over the epoch',
                title='training losses', yscale='log')
    for ax in (ax_ap, ax_loss):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    fig.tight_layout()
    out_file = out_file or osp.join(work_dir, 'learning_curve.png')
    fig.savefig(out_file, dpi=90)
    plt.close(fig)
    return out_file
