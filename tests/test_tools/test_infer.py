"""tools/infer.py on a folder of images, its one-line errors, ``--tta``,
and the OpenCV pose drawer it uses.

The model is a randomly initialised tiny model of the demo config, its
heatmap biases raised so that it predicts people: the predictions are
meaningless but must be well formed."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from infer_cli import INFER
from infer_cli import run_infer as _run
from random_models import NUM_KEYPOINTS, random_demo_model, save_checkpoint
from repo_paths import DEMO_CONFIG, SHARED_COCO, W32_CONFIG

COCO_IMAGE = SHARED_COCO / '000000000785.jpg'


def _error_lines(stderr):
    """stderr without Python warnings (the warning line and its source
    line)."""
    lines = stderr.splitlines()
    out, skip = [], False
    for line in lines:
        if skip:
            skip = False
            continue
        if 'Warning:' in line:
            skip = True
            continue
        out.append(line)
    return [line for line in out if line.strip()]


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    """A random-init checkpoint of the demo config and an image folder:
    a synthetic JPEG, a synthetic image as PNG with a non-integer name,
    a corrupt .jpg, a text file, and the shared COCO image if present."""
    from higherhrnet_plugin.synthetic_coco import \
        make_synthetic_coco
    root = tmp_path_factory.mktemp('infer')
    model = random_demo_model()
    ckpt = save_checkpoint(model, root / 'tiny_higherhrnet.pth')

    make_synthetic_coco(str(root / 'syn'), num_train=2, num_val=1)
    images = root / 'images'
    images.mkdir()
    train = sorted((root / 'syn' / 'images' / 'train').glob('*.jpg'))[0]
    shutil.copy(train, images / train.name)
    val = sorted((root / 'syn' / 'images' / 'val').glob('*.jpg'))[0]
    cv2.imwrite(str(images / 'person_a.png'), cv2.imread(str(val)))
    (images / 'broken.jpg').write_bytes(b'this is not a JPEG\n' * 10)
    (images / 'notes.txt').write_text('not an image, ignored\n')
    if COCO_IMAGE.is_file():
        shutil.copy(COCO_IMAGE, images / COCO_IMAGE.name)
    return dict(root=root, ckpt=ckpt, images=images, val=val,
                dataset_meta=model.dataset_meta)


@pytest.fixture(scope='module')
def folder_run(work):
    """One run on the folder, into an out dir that already holds a file."""
    out = work['root'] / 'out'
    (out / 'vis').mkdir(parents=True)
    (out / 'keep.txt').write_text('written before\n')
    (out / 'vis' / 'old.png').write_bytes(b'old')
    proc = _run(work['images'], '--config', DEMO_CONFIG, '--checkpoint',
                work['ckpt'], '--out-dir', out, cwd=work['root'])
    return proc, out


def test_folder_results_json(work, folder_run):
    proc, out = folder_run
    assert proc.returncode == 1, proc.stderr  # the corrupt image failed
    results = json.loads((out / 'results.json').read_text())
    assert isinstance(results, list)
    good = sorted(p.name for p in work['images'].iterdir()
                  if p.suffix in ('.jpg', '.png') and p.name != 'broken.jpg')
    # the random model finds "people" on these images; each entry is COCO
    assert {r['file_name'] for r in results} <= set(good)
    assert results, 'no person predicted at all'
    expected_ids = {n: int(Path(n).stem) for n in good if n != 'person_a.png'}
    # running index over the non-integer stems in name order, skipping the
    # stem ids (1): broken.jpg (failed, still counted) 0, person_a.png 2
    expected_ids['person_a.png'] = 2
    for r in results:
        assert set(r) == {'image_id', 'category_id', 'keypoints', 'score',
                          'file_name'}
        assert r['category_id'] == 1
        assert r['image_id'] == expected_ids[r['file_name']]
        assert isinstance(r['image_id'], int)
        kpts = np.asarray(r['keypoints'], dtype=np.float64)
        assert kpts.shape == (NUM_KEYPOINTS * 3, )
        assert np.isfinite(kpts).all()
        assert np.isfinite(r['score'])
        scores = kpts[2::3]
        assert ((scores >= 0) & (scores <= 1)).all()


def test_folder_overlays_and_nothing_deleted(work, folder_run):
    proc, out = folder_run
    good = [p for p in work['images'].iterdir()
            if p.suffix in ('.jpg', '.png') and p.name != 'broken.jpg']
    for src in good:
        png = out / 'vis' / f'{src.stem}.png'
        assert png.is_file(), (png, proc.stderr)
        drawn = cv2.imread(str(png))
        assert drawn is not None
        assert drawn.shape == cv2.imread(str(src)).shape
    assert not (out / 'vis' / 'broken.png').exists()
    assert (out / 'keep.txt').read_text() == 'written before\n'
    assert (out / 'vis' / 'old.png').read_bytes() == b'old'
    assert 'Traceback' not in proc.stderr


def test_folder_corrupt_image_is_one_line(work, folder_run):
    proc, _ = folder_run
    lines = _error_lines(proc.stderr)
    broken = [line for line in lines if 'broken.jpg' in line]
    assert len(broken) == 1, proc.stderr
    assert 'skipped' in broken[0]
    # the other line is the final count; nothing names the good images
    assert len(lines) == 2, proc.stderr
    assert '1 of ' in lines[1] and 'failed' in lines[1]


def test_missing_input_and_checkpoint(work, tmp_path):
    proc = _run(tmp_path / 'nowhere', '--config', DEMO_CONFIG, '--checkpoint',
                work['ckpt'], '--out-dir', tmp_path / 'out', cwd=tmp_path)
    assert proc.returncode != 0
    assert _error_lines(proc.stderr) == [
        f"input: no such file or folder '{tmp_path / 'nowhere'}'"]

    missing = tmp_path / 'missing.pth'
    proc = _run(work['val'], '--config', DEMO_CONFIG, '--checkpoint', missing,
                '--out-dir', tmp_path / 'out', cwd=tmp_path)
    assert proc.returncode != 0
    assert _error_lines(proc.stderr) == [
        f"checkpoint: no such file '{missing}'"]
    assert not (tmp_path / 'out' / 'results.json').exists()


def test_checkpoint_config_mismatch(work, tmp_path):
    proc = _run(work['val'], '--config', W32_CONFIG, '--checkpoint',
                work['ckpt'], '--out-dir', tmp_path / 'out', cwd=tmp_path)
    assert proc.returncode != 0
    lines = _error_lines(proc.stderr)
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert str(work['ckpt']) in line and str(W32_CONFIG) in line, line
    assert 'does not fit' in line
    # the parameters that differ (checkpoint_conversion.check_against_model)
    assert 'shape mismatch' in line and 'backbone.' in line, line
    assert not (tmp_path / 'out' / 'results.json').exists()


def test_tta_without_tta_model_is_one_line(work, tmp_path):
    config = tmp_path / 'no_tta.py'
    config.write_text("default_scope = 'mmpose'\nmodel = dict()\n")
    proc = _run(work['val'], '--config', config, '--checkpoint',
                work['ckpt'], '--tta', '--out-dir', tmp_path / 'out',
                cwd=tmp_path)
    assert proc.returncode != 0
    assert _error_lines(proc.stderr) == [
        f'--tta: the config {config} has no `tta_model`']


def test_tta_on_one_image(work, tmp_path, capsys, monkeypatch):
    """In-process (the module is imported already): saves a start-up."""
    monkeypatch.syspath_prepend(str(INFER.parent))
    import infer
    out = tmp_path / 'out'
    infer.main([str(work['val']), '--config', str(DEMO_CONFIG), '--checkpoint',
                str(work['ckpt']), '--out-dir', str(out), '--tta'])
    results = json.loads((out / 'results.json').read_text())
    assert isinstance(results, list) and results
    for r in results:
        assert r['image_id'] == int(work['val'].stem)
        assert r['file_name'] == work['val'].name
        assert len(r['keypoints']) == NUM_KEYPOINTS * 3
    assert (out / 'vis' / f'{work["val"].stem}.png').is_file()
    assert '1 of 1 image(s)' in capsys.readouterr().out


@pytest.fixture(scope='module')
def odd_run(work):
    """One run on a folder of odd images (tiny, 1:20, constant, noise,
    grayscale, RGBA, 16-bit, CMYK, EXIF-rotated) and two 10000x10000 ones
    with ``--max-pixels`` 4 Mpx (JPEG: decoded 8x reduced; PNG: over the
    limit, skipped)."""
    from odd_images import write_huge_images, write_odd_images
    folder = work['root'] / 'odd'
    paths = write_odd_images(folder)
    paths.update(write_huge_images(folder))
    out = work['root'] / 'odd_out'
    proc = _run(folder, '--config', DEMO_CONFIG, '--checkpoint', work['ckpt'],
                '--out-dir', out, '--max-pixels', 4_000_000,
                cwd=work['root'])
    return proc, out, paths


def test_odd_images_give_poses_or_one_line(odd_run):
    from odd_images import SIZES
    proc, out, paths = odd_run
    assert 'Traceback' not in proc.stderr
    lines = _error_lines(proc.stderr)
    # the only image skipped is the huge PNG, with the limit named
    assert len(lines) == 2, proc.stderr
    assert str(paths['png']) in lines[0] and 'skipped' in lines[0]
    assert ('10000x10000 is 100.0 Mpx, over the limit of 4 Mpx '
            '(--max-pixels); only a JPEG is decoded reduced') in lines[0]
    assert proc.returncode == 1
    results = json.loads((out / 'results.json').read_text())
    names = {r['file_name'] for r in results}
    for name, (h, w) in SIZES.items():
        drawn = cv2.imread(str(out / 'vis' / f'{Path(name).stem}.png'))
        assert drawn is not None, name
        assert drawn.shape[:2] in ((h, w), (w, h)), (name, drawn.shape)
    for r in results:
        kpts = np.asarray(r['keypoints']).reshape(-1, 3)
        assert kpts.shape == (NUM_KEYPOINTS, 3) and np.isfinite(kpts).all()
    # the random model finds "people" on most of them (not on constants)
    assert len(names & set(SIZES)) >= 6, names


def test_huge_jpeg_is_decoded_reduced_and_mapped_back(odd_run):
    proc, out, paths = odd_run
    results = [r for r in json.loads((out / 'results.json').read_text())
               if r['file_name'] == paths['jpeg'].name]
    assert results, proc.stderr
    xy = np.concatenate([np.asarray(r['keypoints']).reshape(-1, 3)[:, :2]
                         for r in results])
    # keypoints in the file's pixels: spread over the 10000 px image
    assert xy.max() > 2500 and (xy >= -100).all() and (xy <= 10100).all()
    drawn = cv2.imread(str(out / 'vis' / f'{paths["jpeg"].stem}.png'))
    assert drawn.shape[:2] == (1250, 1250)  # drawn at the decoded size


def test_read_image_never_allocates_a_huge_image_full_size(tmp_path):
    """Peak memory while reading a 10000x10000 JPEG (300 MB decoded full
    size) grows by less than half of that: it is decoded 2x reduced to the
    25 Mpx limit (75 MB)."""
    from odd_images import write_huge_images
    paths = write_huge_images(tmp_path)
    code = (
        'import re, sys\n'
        'from higherhrnet_plugin.core.image_files import read_image\n'
        'def kb(key):\n'
        '    s = open("/proc/self/status").read()\n'
        '    return int(re.search(key + r":\\s+(\\d+)", s).group(1))\n'
        'before = kb("VmRSS")\n'
        'img, scale = read_image(sys.argv[1])\n'
        'print(img.shape, scale, (kb("VmHWM") - before) // 1024)\n')
    proc = subprocess.run([sys.executable, '-c', code, str(paths['jpeg'])],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '(5000, 5000, 3) (2.0, 2.0)' in proc.stdout, proc.stdout
    assert int(proc.stdout.split()[-1]) < 150, proc.stdout


def test_single_odd_image_inputs(work, tmp_path):
    """One image given directly: a huge PNG is a one-line error before the
    model loads; a 1x1 image gives results."""
    from odd_images import write_huge_images
    huge = write_huge_images(tmp_path / 'huge')['png']
    proc = _run(huge, '--config', DEMO_CONFIG, '--checkpoint', work['ckpt'],
                '--out-dir', tmp_path / 'out', cwd=tmp_path)
    assert proc.returncode != 0
    lines = _error_lines(proc.stderr)
    assert len(lines) == 1 and lines[0].startswith(f'input: {str(huge)!r}: '
                                                   '10000x10000 is'), lines
    assert not (tmp_path / 'out').exists()
