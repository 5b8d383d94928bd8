"""Print the cache key of an mmcv wheel built against the current torch.

    python tools/install/mmcv_cache_key.py MMCV_VERSION [--torch-version V]
        [--cuda-ops]

The compiled ops depend on mmcv's version, torch's version (including its
CUDA flavour, e.g. ``2.14.1+cu130``), the Python ABI and whether CUDA kernels
were built (``stack_plan.py ops`` decides), so the key names all four.
"""
import argparse
import sys
import sysconfig


def cache_key(mmcv_version: str, torch_version: str, cuda_ops: bool) -> str:
    abi = sysconfig.get_config_var('SOABI') or 'py%d%d' % sys.version_info[:2]
    flavour = 'cudaops' if cuda_ops else 'cpuops'
    return f'mmcv-{mmcv_version}_torch-{torch_version}_{abi}_{flavour}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('mmcv_version')
    parser.add_argument('--torch-version',
                        help='default: the installed torch')
    parser.add_argument('--cuda-ops', action='store_true',
                        help='the wheel holds CUDA kernels')
    args = parser.parse_args()
    if args.torch_version is None:
        import torch
        args.torch_version = torch.__version__
    print(cache_key(args.mmcv_version, args.torch_version, args.cuda_ops))


if __name__ == '__main__':
    main()
