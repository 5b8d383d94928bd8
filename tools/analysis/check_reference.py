"""Compare the plugin with reference numbers of the original implementation.

    python tools/analysis/check_reference.py PATH [PATH ...]

PATH is a reference file or a folder of them (``../shared/reference``):
``*.pth`` model references (outputs within 1e-5), ``train_targets_losses*.npz``
(targets 1e-6, tag indices exact, losses 1e-5), ``flip_*.npz``/``ms_*.npz``
decode vectors (keypoints 0.01 px, scores 1e-4), decoded by the codec of their
``dataset``'s config (COCO without the key; ``crowdpose``: the CrowdPose
W32 config, with the file's flip indices). Prints one line per file and
``N/M match``; exits non-zero unless every file matches.
"""
import argparse
import sys

from higherhrnet_plugin.reference import check_reference_file, reference_files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('paths', nargs='+', metavar='PATH')
    args = parser.parse_args()
    try:
        files = reference_files(args.paths)
    except FileNotFoundError as e:
        sys.exit(f'PATH: {e}')
    matched = 0
    for path in files:
        try:
            ok, detail = check_reference_file(path)
        except Exception as e:  # noqa: BLE001 (report, go on with the rest)
            ok, detail = False, f'error: {type(e).__name__}: {e}'
        matched += ok
        print(f'{"match   " if ok else "MISMATCH"} {path.name}: {detail}',
              flush=True)
    print(f'{matched}/{len(files)} match')
    sys.exit(0 if files and matched == len(files) else 1)


if __name__ == '__main__':
    main()
