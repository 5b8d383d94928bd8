"""A 5-keypoint set trains and decodes from its dataset meta alone
(configs/custom/), and HigherHRNetHead trains on another MMPose backbone
(configs/higherhrnet/coco/higherhrnet_litehrnet-18_*)."""
import copy
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from higherhrnet_plugin.datasets.keypoint_subset import (
    select_keypoints, write_keypoint_subset)

from repo_paths import CONFIGS, REPO

CUSTOM = CONFIGS / ('custom/higherhrnet_hrnet-w16-tiny_1xb8-30e_'
                    'synthetic5-256x256.py')
LITEHRNET = CONFIGS / ('higherhrnet/coco/higherhrnet_litehrnet-18_8xb12-'
                       '300e_coco-512x512.py')
# nose, left/right shoulder, left/right hip of COCO's 17
KEEP = (0, 5, 6, 11, 12)


@pytest.fixture(scope='module')
def synthetic5(synthetic_coco, tmp_path_factory):
    """A 4+2-image synthetic set cut down to KEEP (COCO layout)."""
    src = synthetic_coco(4, 2)
    root = tmp_path_factory.mktemp('synthetic5')
    (root / 'annotations').mkdir()
    (root / 'images').symlink_to(src / 'images')
    for split in ('train', 'val'):
        name = f'annotations/person_keypoints_{split}.json'
        write_keypoint_subset(str(src / name), str(root / name), KEEP)
    return root


def _few_iterations(cfg: Config, data_root: Path, work_dir: Path,
                    batch_size: int = 2) -> Runner:
    """``cfg`` trained for two iterations (one epoch on ``2 * batch_size``
    training images), not validated; returns the Runner."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    cfg.randomness = dict(seed=0)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=2)
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.model.backbone.pop('init_cfg', None)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[name]
        dl.batch_size = batch_size if name == 'train_dataloader' else 1
        dl.num_workers = 0
        dl.persistent_workers = False
        split = 'train' if name == 'train_dataloader' else 'val'
        dl.dataset.data_root = str(data_root)
        dl.dataset.ann_file = f'annotations/person_keypoints_{split}.json'
        dl.dataset.data_prefix = dict(img=f'images/{split}/')
    cfg.train_dataloader.dataset.indices = 2 * batch_size
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = str(data_root /
                                 'annotations/person_keypoints_val.json')
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def test_select_keypoints_errors_and_skeleton():
    coco = dict(
        images=[], categories=[dict(id=1, keypoints=['a', 'b', 'c'],
                                    skeleton=[[1, 2], [2, 3]])],
        annotations=[dict(id=7, keypoints=[1, 1, 2, 2, 2, 0, 3, 3, 2])])
    out = select_keypoints(coco, (2, 1))
    assert out['categories'][0]['keypoints'] == ['c', 'b']
    assert out['categories'][0]['skeleton'] == [[2, 1]]
    assert out['annotations'][0]['keypoints'] == [3, 3, 2, 2, 2, 0]
    assert out['annotations'][0]['num_keypoints'] == 1
    with pytest.raises(ValueError, match=r'\[3\] outside the 3 keypoints'):
        select_keypoints(coco, (0, 3))
    with pytest.raises(ValueError, match='repeated'):
        select_keypoints(coco, (1, 1))
    coco['annotations'][0]['keypoints'] = [1, 1, 2]
    with pytest.raises(ValueError, match='annotation 7'):
        select_keypoints(coco, (0, 2))


def test_five_keypoints_train_and_decode_from_the_meta(synthetic5, tmp_path):
    from mmpose.apis import inference_bottomup
    cfg = Config.fromfile(str(CUSTOM))
    runner = _few_iterations(cfg, synthetic5, tmp_path)
    meta = runner.train_dataloader.dataset.metainfo
    assert meta['num_keypoints'] == 5
    assert meta['flip_indices'] == [0, 2, 1, 4, 3]
    # decoded and scored by CocoMetric with the meta's 5 sigmas
    metrics = runner.val_loop.run()
    assert 0 <= metrics['coco/AP'] <= 1
    model = runner.model.eval()
    model.cfg = cfg
    model.dataset_meta = meta
    image = next((synthetic5 / 'images' / 'val').iterdir())
    pred = inference_bottomup(model, str(image))[0].pred_instances
    assert pred.keypoints.shape[1:] == (5, 2)
    assert pred.keypoint_scores.shape[1:] == (5, )
    assert np.isfinite(pred.keypoints).all()


def test_head_on_litehrnet_trains(synthetic_coco, demo_config, tmp_path):
    cfg = Config.fromfile(str(LITEHRNET))
    assert cfg.model.backbone.type == 'LiteHRNet'
    # the demo's 256x256 codec and pipeline: a CPU-sized step
    demo = Config.fromfile(str(demo_config))
    cfg.model.head.decoder = demo.model.head.decoder
    cfg.train_dataloader.dataset.pipeline = \
        demo.train_dataloader.dataset.pipeline
    runner = _few_iterations(cfg, synthetic_coco(4, 2), tmp_path,
                             batch_size=1)
    assert runner.iter == 2
    assert (tmp_path / 'epoch_1.pth').is_file()


def test_select_keypoints_tool(tmp_path):
    import subprocess
    import sys
    tool = REPO / 'tools/dataset_converters/' \
        'select_keypoints.py'
    out = tmp_path / 'out.json'
    proc = subprocess.run(
        [sys.executable, str(tool), str(tmp_path / 'no.json'), str(out),
         '--keep', '0'], capture_output=True, text=True)
    assert proc.returncode != 0 and not out.exists()
    assert proc.stderr.strip().splitlines() == [
        f"IN.json: no such file '{tmp_path / 'no.json'}'"]
    (tmp_path / 'in.json').write_text('{"images": []}')
    proc = subprocess.run(
        [sys.executable, str(tool), str(tmp_path / 'in.json'), str(out),
         '--keep', '0'], capture_output=True, text=True)
    assert proc.stderr.strip() == \
        f"{tmp_path / 'in.json'}: no 'categories' field"
    assert not out.exists()
