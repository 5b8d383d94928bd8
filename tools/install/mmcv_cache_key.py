"""Print the cache key of an mmcv wheel built against the current torch.

    python tools/install/mmcv_cache_key.py MMCV_VERSION [--torch-version V]

The compiled ops depend on mmcv's version, torch's version (including its
CUDA flavour, e.g. ``2.14.1+cu130``), the Python ABI and whether CUDA kernels
were built (a GPU or ``FORCE_CUDA=1`` at build time), so the key names all four.
"""
import argparse
import os
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
    args = parser.parse_args()
    import torch
    cuda_ops = (torch.cuda.is_available()
                or os.getenv('FORCE_CUDA', '0') == '1')
    print(cache_key(args.mmcv_version, args.torch_version or torch.__version__,
                    cuda_ops))


if __name__ == '__main__':
    main()
