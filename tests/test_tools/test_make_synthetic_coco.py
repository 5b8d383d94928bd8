"""tools/make_synthetic_coco.py: runs where neither torch nor the OpenMMLab
stack can be imported, and bad arguments are one-line errors that write
nothing."""
import json
import subprocess
import sys

import pytest

# the tool run with these imports made to fail, as on a machine with only
# numpy and OpenCV
NO_STACK = ("import runpy, sys\n"
            "for name in ('torch', 'mmpose', 'mmengine', 'mmcv'):\n"
            "    sys.modules[name] = None\n"
            "sys.argv = sys.argv[1:]\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')\n")


def _run(repo_root, tmp_path, *args):
    tool = str(repo_root / 'tools' / 'make_synthetic_coco.py')
    return subprocess.run([sys.executable, '-c', NO_STACK, tool, *args],
                          cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)


def test_generates_without_torch_or_mmpose(repo_root, tmp_path):
    proc = _run(repo_root, tmp_path, 'out', '--num-train', '2', '--num-val',
                '1', '--image-size', '128', '96')
    assert proc.returncode == 0, proc.stderr[-2000:]
    ann = json.loads(
        (tmp_path / 'out/annotations/person_keypoints_train.json')
        .read_text())
    assert [(i['width'], i['height']) for i in ann['images']] == [(128, 96)
                                                                  ] * 2
    assert len(list((tmp_path / 'out/images/val').glob('*.jpg'))) == 1


def test_scene_option_is_recorded(repo_root, tmp_path):
    proc = _run(repo_root, tmp_path, 'out', '--num-train', '1', '--num-val',
                '1', '--scene', 'hard')
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(
        (tmp_path / 'out/annotations/synthetic_coco.json').read_text())
    assert record['scene_name'] == 'hard'
    assert record['scene']['image_size'] == [320, 320]


@pytest.mark.parametrize('args,word', [
    (('--num-train', '-1'), 'num_train'),
    (('--image-size', '320', '64'), 'image_size'),
])
def test_bad_arguments_are_one_line_errors(repo_root, tmp_path, args, word):
    proc = _run(repo_root, tmp_path, 'out', *args)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], proc.stderr
    assert not (tmp_path / 'out').exists()
