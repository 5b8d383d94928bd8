"""Benchmark bottom-up heads on equal terms: HigherHRNet against MMPose's
other bottom-up heads, measured the same way on the same machine.

Every head runs in its own fresh Python process (``python -m
higherhrnet_plugin.analysis.head_benchmark KIND SPEC_JSON``): failures are
isolated and memory is measured per head. ``measure`` workers run
:func:`~higherhrnet_plugin.analysis.head_measurement.measure`, ``train``
workers :func:`~higherhrnet_plugin.analysis.budget_training.train_budget`.
Heads that fail to build or run (e.g. a CUDA-only op) are kept with
``status`` and a one-line ``reason``.
"""
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from typing import List, Optional, Sequence

from .head_measurement import classify

# a worker's own frames, to say where it was when it timed out
_ANALYSIS_DIR = osp.dirname(osp.abspath(__file__))
_MEASURED_KEYS = ('params', 'flops', 'forward_ms', 'decode_ms', 'people',
                 'e2e_ms', 'peak_mb', 'reason')
_TRAINED_KEYS = ('train_iters', 'train_AP', 'train_AP (M)', 'train_AP (L)',
                'train_reason')


def _run_worker(kind: str, spec: dict, timeout: int) -> dict:
    """Run ``kind`` ('measure' or 'train') on ``spec`` in a fresh process;
    its result dict, or one with the failure's status and reason."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='',
               OMP_NUM_THREADS=str(spec['threads']),
               MKL_NUM_THREADS=str(spec['threads']))
    out_file = osp.join(spec['out'], f'.{kind}_{spec["name"]}.json')
    if osp.exists(out_file):
        os.remove(out_file)
    spec = dict(spec, result_file=out_file, timeout=timeout)
    cmd = [sys.executable, '-m', __name__, kind, json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=timeout)
        err = proc.stderr.strip().splitlines()
    except subprocess.TimeoutExpired as exc:
        # the worker's stack (faulthandler) says where it was
        stack = [ln.strip() for ln in (exc.stderr or b'').decode(
            errors='replace').splitlines() if ln.strip().startswith('File')]
        ours = [ln for ln in stack if _ANALYSIS_DIR in ln]
        where = f' ({stack[0]}; {ours[0]})' if stack and ours else ''
        proc, err = None, [f'timed out after {timeout} s{where}']
    if osp.exists(out_file):
        with open(out_file) as fh:
            res = json.load(fh)
        os.remove(out_file)
        return res
    reason = (err[-1] if err else f'exit code {proc.returncode}')[:300]
    key = 'train_' if kind == 'train' else ''
    return {'name': spec['name'], key + 'status': classify(reason),
            key + 'reason': f'worker: {reason}'}


def machine() -> dict:
    """CPU model, visible cores, torch and Python versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as fh:
            for line in fh:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    import torch
    return dict(cpu=cpu, cores=os.cpu_count(), torch=torch.__version__,
                python=platform.python_version())


def synthetic_image(out: str) -> str:
    """A synthetic image (generated once under ``out/image``) for heads
    measured without a real one."""
    from higherhrnet_plugin.synthetic_coco import \
        ensure_synthetic_coco
    root = osp.join(out, 'image')
    # the hard scene: the crowded image the figures in docs/ were timed on
    ensure_synthetic_coco(root, num_train=1, num_val=1, seed=0,
                          scene='hard')
    return osp.abspath(osp.join(root, 'images', 'train', '000001.jpg'))


def _summary(res: dict, keys: Sequence[str]) -> str:
    return ', '.join(f'{k}={res[k]}' for k in keys
                     if res.get(k) not in (None, ''))


def run_benchmark(entries: List[dict],
                  out: str,
                  image: str,
                  shape: int = 512,
                  threads: int = 2,
                  warmup: int = 2,
                  repeats: int = 10,
                  flip_test: bool = False,
                  checkpoints: Optional[Sequence[Optional[str]]] = None,
                  dataset: Optional[Sequence[str]] = None,
                  timeout: int = 600,
                  skip_measure: bool = False,
                  train_budget_min: Optional[float] = None,
                  data_root: Optional[str] = None,
                  num_train: Optional[int] = None,
                  num_val: Optional[int] = None,
                  num_workers: int = 1) -> List[dict]:
    """Measure (and with ``train_budget_min``, budget-train) every entry of
    :func:`~higherhrnet_plugin.analysis.head_configs.parse_entries`; writes
    nothing but the workers' files under ``out`` and returns one result
    dict per head, each with the run's ``settings``.

    ``checkpoints``: one per entry (None for none), tested with
    ``CocoMetric`` on ``dataset`` (annotation file, image dir). The budget
    training uses the synthetic set at ``data_root`` (generated with
    ``num_train`` + ``num_val`` images if absent; default
    ``out/synthetic_coco``).
    """
    common = dict(shape=shape, threads=threads, warmup=warmup,
                  repeats=repeats, image=image, flip_test=flip_test, out=out,
                  dataset=dataset)
    t_all = time.time()
    results = _measure_entries(entries, common, checkpoints, timeout,
                               skip_measure)
    meta = dict(machine=machine(), shape=shape, threads=threads,
                warmup=warmup, repeats=repeats, image=image,
                flip_test=flip_test)
    if train_budget_min is not None:
        from higherhrnet_plugin.synthetic_coco import (
            DEFAULT_NUM_TRAIN, DEFAULT_NUM_VAL, ensure_synthetic_coco)
        num_val = num_val or DEFAULT_NUM_VAL
        data_root = osp.abspath(data_root or osp.join(out, 'synthetic_coco'))
        ensure_synthetic_coco(data_root,
                              num_train=num_train or DEFAULT_NUM_TRAIN,
                              num_val=num_val, seed=0, scene='hard')
        with open(osp.join(data_root, 'annotations',
                           'person_keypoints_train.json')) as fh:
            num_train = len(json.load(fh)['images'])
        meta.update(train_budget_min=train_budget_min, num_train=num_train,
                    num_val=num_val, data_root=data_root)
        _budget_train_entries(
            entries, results,
            dict(common, budget_s=train_budget_min * 60,
                 data_root=data_root, num_train=num_train,
                 num_workers=num_workers), timeout)
    meta['seconds'] = round(time.time() - t_all, 1)
    for res in results:  # one self-describing object per head
        res['settings'] = meta
    return results


def _measure_entries(entries: List[dict], common: dict,
                     checkpoints: Optional[Sequence[Optional[str]]],
                     timeout: int, skip_measure: bool) -> List[dict]:
    """One ``measure`` worker an entry (or a bare ``ok`` result each with
    ``skip_measure``), its line printed as it ends."""
    results = []
    for i, e in enumerate(entries):
        ckpt = checkpoints[i] if checkpoints else None
        spec = dict(common, name=e['name'], config=e['config'],
                    path=e['path'], checkpoint=ckpt)
        if skip_measure:
            res = dict(name=e['name'], config=e['config'], status='ok',
                       reason='')
        else:
            t0 = time.time()
            res = _run_worker('measure', spec, timeout)
            res.setdefault('config', e['config'])
            print(f'benchmark_heads: {e["name"]}: {res.get("status")} '
                  f'({time.time() - t0:.0f}s) '
                  + _summary(res, _MEASURED_KEYS), flush=True)
        results.append(res)
    return results


def _budget_train_entries(entries: List[dict], results: List[dict],
                          common: dict, timeout: int) -> None:
    """One ``train`` worker an entry (``common`` holds ``budget_s`` and
    the data), its result merged into the entry's (in place)."""
    out = common['out']
    for e, res in zip(entries, results):
        spec = dict(common, name=e['name'], config=e['config'],
                    path=e['path'],
                    work_dir=osp.join(out, 'train', e['name']))
        t0 = time.time()
        tr = _run_worker('train', spec, int(common['budget_s'] + timeout))
        tr.pop('name', None)
        res.update(tr)
        print(f'benchmark_heads: {e["name"]}: training '
              f'{tr.get("train_status")} ({time.time() - t0:.0f}s) '
              + _summary(tr, _TRAINED_KEYS), flush=True)


def _worker_main(kind: str, spec_json: str) -> None:
    import faulthandler
    spec = json.loads(spec_json)
    if spec.get('timeout', 0) > 10:  # where it is, should it time out
        faulthandler.dump_traceback_later(spec['timeout'] - 5, exit=True)
    if kind == 'measure':
        from .head_measurement import measure
        res = measure(spec)
    else:
        from .budget_training import train_budget
        res = train_budget(spec)
    with open(spec['result_file'], 'w') as fh:
        json.dump(res, fh)


if __name__ == '__main__':
    _worker_main(*sys.argv[1:3])
