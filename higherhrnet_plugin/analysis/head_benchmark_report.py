"""The head benchmark's report: a markdown table and a bar chart of the
results of :mod:`higherhrnet_plugin.analysis.head_benchmark`."""
import json
import math
import os.path as osp
from typing import List, Optional

from .head_measurement import AP_KEYS


def _fmt(v: Optional[float], scale: float = 1.0, digits: int = 1) -> str:
    if v is None:
        return '–'
    return f'{v / scale:.{digits}f}'


def _write_markdown(path: str, results: List[dict], meta: dict) -> None:
    """The settings in a sentence, then one table row per head."""
    has_ap = any(r.get('AP') is not None for r in results)
    has_train = any('train_status' in r for r in results)
    cols = ['head', 'params (M)', 'GFLOPs', 'forward ms', 'decode ms',
            'people', 'end-to-end ms', 'peak MB']
    if has_ap:
        cols += ['AP', 'AP (M)', 'AP (L)']
    if has_train:
        cols += ['train iters', 'AP (budget)', 'AP (M) (budget)',
                 'AP (L) (budget)']
    cols.append('status')
    lines = ['| ' + ' | '.join(cols) + ' |',
             '|' + '|'.join('---' for _ in cols) + '|']
    for r in results:
        row = [r['name'], _fmt(r.get('params'), 1e6, 2),
               _fmt(r.get('flops'), 1e9, 1), _fmt(r.get('forward_ms'), 1, 0),
               _fmt(r.get('decode_ms'), 1, 0),
               str(r['people']) if r.get('people') is not None else '–',
               _fmt(r.get('e2e_ms'), 1, 0), _fmt(r.get('peak_mb'), 1, 0)]
        if has_ap:
            row += [_fmt(r.get(k), 1, 3) for k, _ in AP_KEYS]
        if has_train:
            row += [str(r.get('train_iters', '–'))]
            row += [_fmt(r.get('train_' + k), 1, 3) for k, _ in AP_KEYS]
        status = r.get('status', 'ok')
        if r.get('reason'):
            status += f': {r["reason"]}'
        if r.get('train_status', 'ok') != 'ok':
            status += f'; training {r["train_status"]}: ' \
                      f'{r.get("train_reason", "")}'
        row.append(status.replace('|', '/'))
        lines.append('| ' + ' | '.join(row) + ' |')
    m = meta
    head = [f'Machine: {m["machine"]["cpu"]}, {m["machine"]["cores"]} cores '
            f'visible, torch {m["machine"]["torch"]} on CPU, '
            f'{m["threads"]} thread(s).',
            f'Input {m["shape"]}x{m["shape"]} (FLOPs, forward); '
            f'image `{osp.basename(m["image"])}` for decode and end-to-end; '
            f'flip test {"on" if m["flip_test"] else "off"}, single scale; '
            f'medians of {m["repeats"]} runs after {m["warmup"]} warm-up.']
    if has_train:
        head.append(f'Budget training: {m["train_budget_min"]} min per '
                    f'head on {m["num_train"]}+{m["num_val"]} synthetic '
                    'images (256x256, small variants), AP on the synthetic '
                    'val split.')
    with open(path, 'w') as fh:
        fh.write('\n'.join(head) + '\n\n' + '\n'.join(lines) + '\n')


def _write_chart(path: str, results: List[dict]) -> None:
    """One bar panel per measured quantity, a bar per head ('n/a' where a
    head has no value)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = [('params (M)', 'params', 1e6), ('GFLOPs', 'flops', 1e9),
              ('forward ms', 'forward_ms', 1), ('decode ms', 'decode_ms', 1),
              ('end-to-end ms', 'e2e_ms', 1), ('peak MB', 'peak_mb', 1)]
    if any(r.get('AP') is not None for r in results):
        panels.append(('AP (checkpoint)', 'AP', 1))
    if any(r.get('train_AP') is not None for r in results):
        panels.append(('AP (train budget)', 'train_AP', 1))
    names = [r['name'] for r in results]
    cols = 4
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.2 * rows),
                             squeeze=False)
    for ax, (title, key, scale) in zip(axes.flat, panels):
        vals = [r.get(key) for r in results]
        heights = [v / scale if v is not None else 0 for v in vals]
        bars = ax.bar(range(len(names)), heights,
                      color=['C0' if v is not None else 'lightgrey'
                             for v in vals])
        for b, v in zip(bars, vals):
            if v is None:
                ax.text(b.get_x() + b.get_width() / 2, 0, 'n/a',
                        ha='center', va='bottom', fontsize=8)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha='right', fontsize=8)
        ax.set_title(title, fontsize=10)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_report(out: str, results: List[dict]) -> List[str]:
    """``out/results.json`` (one object per head), ``results.md`` (a table)
    and ``results.png`` (a bar chart); returns their paths."""
    paths = [osp.join(out, f'results.{ext}') for ext in ('json', 'md', 'png')]
    with open(paths[0], 'w') as fh:
        json.dump(results, fh, indent=2)
    _write_markdown(paths[1], results, results[0]['settings'])
    _write_chart(paths[2], results)
    return paths
