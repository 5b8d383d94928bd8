"""Benchmark the HigherHRNet decoder against the restated original parser.

Per stage (aggregation, NMS, top-k, matching, adjust, refine, mapping back)
on synthetic inputs at the paper's test settings (flip test, maps projected
to a 512x800 input), checking that both give the same poses (see
:mod:`higherhrnet_plugin.analysis.decode_benchmark`). Exits 1 if any pose
differs.

Usage: python tools/analysis/benchmark_decode.py [--json PATH]
       [--people 1 10 30] [--repeats 3] [--threads 1] [--clock wall|cpu]
       [--noise 0.02]
"""
import argparse
import json
import sys
from pathlib import Path

import torch

from higherhrnet_plugin.analysis.decode_benchmark import (benchmark_decode,
                                                          format_table)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', default=None,
                        help='also write the results to this JSON file')
    parser.add_argument('--people', type=int, nargs='+', default=[1, 10, 30])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (default 1)')
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                        help="'cpu': this process's CPU time, for a busy "
                        'machine (default: wall time)')
    parser.add_argument('--noise', type=float, default=0.0,
                        help='background noise on the maps, as real network '
                        'outputs have (e.g. 0.02; default 0: exact zeros '
                        'away from the peaks)')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.repeats < 1 or min(args.people) < 1 or args.threads < 1:
        sys.exit('benchmark_decode: --repeats, --people and --threads must '
                 'be >= 1')
    if not args.noise >= 0:
        sys.exit(f'benchmark_decode: --noise must be >= 0, got {args.noise}')
    if args.json and not Path(args.json).resolve().parent.is_dir():
        sys.exit(f'benchmark_decode: --json: no such folder: '
                 f'{Path(args.json).parent}')
    torch.set_num_threads(args.threads)
    result = benchmark_decode(
        args.people, args.repeats, clock=args.clock, noise=args.noise,
        progress=lambda msg: print(f'[benchmark_decode] {msg}', flush=True))
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if all(r['identical'] for r in result['rows']) else 1


if __name__ == '__main__':
    sys.exit(main())
