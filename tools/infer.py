"""Bottom-up pose estimation on your own images, with a trained checkpoint.

    python tools/infer.py IMAGE_OR_DIR --config CONFIG --checkpoint CKPT
        [--out-dir work_dirs/infer] [--tta] [--device cpu] [--kpt-thr 0.1]

IMAGE_OR_DIR is one image or a folder (every image file in it, sorted by
name; not recursive). Writes, without deleting anything already in OUT_DIR:

- ``OUT_DIR/results.json``: COCO keypoint results, one entry per person:
  ``image_id`` (the file stem when it is an integer, as COCO's
  ``000000000785.jpg``, else a running index over the folder's other
  files in name order, skipping the integer stems' ids), ``category_id`` 1,
  ``keypoints`` ``[x, y, score] * K`` in image pixels, ``score`` (the
  person's score) and ``file_name`` (the image's file name);
- ``OUT_DIR/vis/<stem>.png``: each image with its people drawn by the
  config's ``visualizer`` (joints scoring ``>= --kpt-thr``).

``--tta`` runs the config's ``tta_model`` on its ``tta_pipeline`` (for our
configs: scales 2, 1, 0.5 plus flips, heatmaps aggregated before grouping),
as ``tools/test.py --tta`` does.

Bad input stops with one line on stderr and a nonzero exit code; an image in
a folder that cannot be read is reported (one line) and skipped, the others
are processed and written, and the exit code is 1.
"""
import argparse
import json
import os
import os.path as osp
import sys
import warnings

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if osp.isdir(osp.join(ROOT, 'higherhrnet_plugin')) and ROOT not in sys.path:
    sys.path.insert(0, ROOT)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Bottom-up pose estimation on an image or a folder')
    parser.add_argument('input', help='an image file or a folder of images')
    parser.add_argument('--config', required=True, help='model config file')
    parser.add_argument('--checkpoint', required=True,
                        help='checkpoint file (trained with --config)')
    parser.add_argument('--out-dir', default='work_dirs/infer',
                        help='where results.json and vis/ go '
                        '(default: work_dirs/infer)')
    parser.add_argument('--tta', action='store_true',
                        help='multi-scale + flip test with the config\'s '
                        'tta_model/tta_pipeline')
    parser.add_argument('--device', default='cpu',
                        help='torch device, e.g. cpu or cuda:0 '
                        '(default: cpu)')
    parser.add_argument('--kpt-thr', type=float, default=0.1,
                        help='joints scoring below this are not drawn '
                        '(results.json has them all; default: 0.1)')
    return parser.parse_args(argv)


def _first_line(exc):
    """``Type: message`` of an exception, on one line."""
    msg = str(exc).strip().splitlines()
    return f'{type(exc).__name__}: {msg[0]}' if msg else type(exc).__name__


def list_images(path):
    """The image files to process: ``[path]`` or the folder's images."""
    if not osp.exists(path):
        raise SystemExit(f'input: no such file or folder {path!r}')
    if osp.isdir(path):
        try:
            names = sorted(os.listdir(path))
        except OSError as e:
            raise SystemExit(f'input: cannot list the folder {path!r}: '
                             f'{_first_line(e)}')
        files = [osp.join(path, n) for n in names
                 if n.lower().endswith(IMAGE_EXTENSIONS)
                 and osp.isfile(osp.join(path, n))]
        if not files:
            exts = ', '.join(IMAGE_EXTENSIONS)
            raise SystemExit(f'input: no image files ({exts}) in the '
                             f'folder {path!r}')
        return files
    if not os.access(path, os.R_OK):
        raise SystemExit(f'input: cannot read {path!r} (permission denied)')
    return [path]


def read_image(path):
    """The image as a BGR uint8 array, or an error message."""
    import cv2
    import numpy as np
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        return None, _first_line(e)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        return None, 'not a readable image (empty, corrupt or unsupported)'
    return img, None


def image_ids(files):
    """COCO image ids: the integer stems, else a running index (skipping
    the ids of the integer stems)."""
    stems = [osp.splitext(osp.basename(f))[0] for f in files]
    is_int = [s.isascii() and s.isdigit() for s in stems]
    used = {int(s) for s, ok in zip(stems, is_int) if ok}
    ids, nxt = [], 0
    for s, ok in zip(stems, is_int):
        if ok:
            ids.append(int(s))
            continue
        while nxt in used:
            nxt += 1
        ids.append(nxt)
        used.add(nxt)
    return ids


def check_state_dict(model, state_dict, checkpoint, config):
    """One-line error unless ``state_dict`` fits ``model`` exactly."""
    expected = model.state_dict()
    problems = []
    for key, value in expected.items():
        if key not in state_dict:
            # BatchNorm fills a missing counter itself (as torch does)
            if not key.endswith('num_batches_tracked'):
                problems.append(f'{key!r} is missing from the checkpoint')
        elif tuple(state_dict[key].shape) != tuple(value.shape):
            problems.append(
                f'{key!r} has shape {tuple(state_dict[key].shape)} in the '
                f'checkpoint, {tuple(value.shape)} in the model')
    problems += [f'{key!r} is in the checkpoint but not in the model'
                 for key in state_dict if key not in expected]
    if problems:
        more = f' (and {len(problems) - 1} more)' if len(problems) > 1 \
            else ''
        raise SystemExit(f'checkpoint: {checkpoint!r} does not fit the '
                         f'config {config!r}: {problems[0]}{more}')


def load_model(args, cfg):
    """MMPose's ``init_model`` without weights, then the checkpoint loaded
    strictly (``init_model`` only warns about keys that do not fit)."""
    import torch
    from mmengine.runner.checkpoint import _load_checkpoint
    from mmpose.apis import init_model

    try:
        ckpt = _load_checkpoint(args.checkpoint, map_location='cpu')
    except Exception as e:  # any unreadable file: torch/pickle errors vary
        raise SystemExit(f'checkpoint: cannot load {args.checkpoint!r}: '
                         f'{_first_line(e)}')
    state_dict = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) \
        else None
    if not isinstance(state_dict, dict) or not all(
            torch.is_tensor(v) for v in state_dict.values()):
        raise SystemExit(f'checkpoint: {args.checkpoint!r} holds no state '
                         'dict of tensors')
    # as MMEngine's load_checkpoint: drop a (Distributed)DataParallel prefix
    state_dict = {k[len('module.'):] if k.startswith('module.') else k: v
                  for k, v in state_dict.items()}

    try:
        with warnings.catch_warnings():
            # MMPose looks for COCO's metainfo file relative to the working
            # directory first, then finds its own copy and warns
            warnings.filterwarnings(
                'ignore', message='The metainfo config file')
            model = init_model(cfg, None, device='cpu')
    except Exception as e:
        raise SystemExit(f'config: cannot build the model of '
                         f'{args.config!r}: {_first_line(e)}')
    check_state_dict(model, state_dict, args.checkpoint, args.config)
    model.load_state_dict(state_dict, strict=True)
    meta = ckpt.get('meta') or {}
    if isinstance(meta, dict) and meta.get('dataset_meta'):
        model.dataset_meta = meta['dataset_meta']  # as init_model does
    model.to(args.device)
    return model


def person_entries(pred_instances, image_id, file_name):
    """COCO results entries of one image's people."""
    import numpy as np

    def as_np(x):
        return x.cpu().numpy() if hasattr(x, 'cpu') else np.asarray(x)

    kpts = as_np(pred_instances.keypoints).astype(np.float64)
    scores = as_np(pred_instances.keypoint_scores).astype(np.float64)
    scores = scores.reshape(kpts.shape[:2])
    if 'bbox_scores' in pred_instances:
        inst = as_np(pred_instances.bbox_scores).astype(np.float64)
    else:
        inst = scores.mean(-1)
    entries = []
    for pts, sc, isc in zip(kpts, scores, inst.reshape(-1)):
        kp = np.concatenate([pts, sc[:, None]], axis=1).reshape(-1)
        entries.append(dict(image_id=int(image_id), category_id=1,
                            keypoints=[float(v) for v in kp],
                            score=float(isc), file_name=file_name))
    return entries


def main(argv=None):
    args = parse_args(argv)
    files = list_images(args.input)
    for name, path in (('config', args.config),
                       ('checkpoint', args.checkpoint)):
        if not osp.isfile(path):
            raise SystemExit(f'{name}: no such file {path!r}')
    if len(files) == 1 and not osp.isdir(args.input):
        _, err = read_image(files[0])
        if err:
            raise SystemExit(f'input: {files[0]!r}: {err}')
    vis_dir = osp.join(args.out_dir, 'vis')
    try:
        os.makedirs(vis_dir, exist_ok=True)
    except OSError as e:
        raise SystemExit(f'--out-dir: cannot create {vis_dir!r}: '
                         f'{_first_line(e)}')

    from mmengine.config import Config
    try:
        cfg = Config.fromfile(args.config)
    except Exception as e:
        raise SystemExit(f'config: cannot read {args.config!r}: '
                         f'{_first_line(e)}')
    if args.tta:
        for key in ('tta_model', 'tta_pipeline'):
            if key not in cfg:
                raise SystemExit(f'--tta: the config {args.config} has no '
                                 f'`{key}`')

    import torch
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit(f'--device: {args.device!r} requested but CUDA is '
                         'not available')
    try:
        torch.device(args.device)
    except RuntimeError as e:
        raise SystemExit(f'--device: {_first_line(e)}')

    import higherhrnet_plugin  # noqa: F401  (registers the modules)
    from mmengine.dataset import Compose, pseudo_collate
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS, VISUALIZERS

    init_default_scope(cfg.get('default_scope', 'mmpose') or 'mmpose')
    model = load_model(args, cfg)
    if args.tta:
        # as tools/test.py: the tta_model wraps the pose model, and the
        # tta_pipeline replaces the test pipeline
        model = MODELS.build(dict(**cfg.tta_model, module=model))
        pipeline = Compose(cfg.tta_pipeline)
    else:
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    model.eval()
    dataset_meta = (model.module if args.tta else model).dataset_meta
    # the config's visualizer (ours: NumPy2PoseLocalVisualizer), drawing
    # only to the PNGs written here
    vis_cfg = cfg.get('visualizer') or dict(type='NumPy2PoseLocalVisualizer')
    visualizer = VISUALIZERS.build(
        dict(vis_cfg, name='infer', vis_backends=None, save_dir=None))
    visualizer.set_dataset_meta(dataset_meta)

    results, failed, vis_names = [], [], set()
    for path, image_id in zip(files, image_ids(files)):
        file_name = osp.basename(path)
        img, err = read_image(path)
        if err is None:
            try:
                data = dict(img=img, img_path=path)
                data.update(dataset_meta)
                with torch.no_grad():
                    sample = model.test_step(pseudo_collate([pipeline(data)]))
                sample = sample[0]
            except Exception as e:  # report the image, go on with the rest
                err = f'inference failed: {_first_line(e)}'
        if err is not None:
            print(f'infer: {path!r}: {err}; skipped', file=sys.stderr,
                  flush=True)
            failed.append(path)
            continue
        results += person_entries(sample.pred_instances, image_id, file_name)
        stem, ext = osp.splitext(file_name)
        vis_name = stem if stem not in vis_names else f'{stem}_{ext[1:]}'
        vis_names.add(vis_name)
        try:
            visualizer.add_datasample(
                vis_name, img[..., ::-1], sample, draw_gt=False,
                kpt_thr=args.kpt_thr,
                out_file=osp.join(vis_dir, f'{vis_name}.png'))
        except Exception as e:
            print(f'infer: {path!r}: cannot write its overlay in '
                  f'{vis_dir!r}: {_first_line(e)}', file=sys.stderr,
                  flush=True)
            failed.append(path)

    out_file = osp.join(args.out_dir, 'results.json')
    tmp_file = out_file + '.tmp'
    with open(tmp_file, 'w') as f:
        json.dump(results, f)
    os.replace(tmp_file, out_file)
    done = len(files) - len(failed)
    print(f'infer: {done} of {len(files)} image(s), {len(results)} '
          f'people: wrote {out_file} and {vis_dir}/', flush=True)
    if failed:
        raise SystemExit(f'infer: {len(failed)} of {len(files)} image(s) '
                         f'failed (see above)')


if __name__ == '__main__':
    main()
