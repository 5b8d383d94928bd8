"""Batched testing changes no number: batch 1 vs batch 8 through MMEngine's
Runner (InputShapeBatchSampler, FlipBatchBottomupPoseEstimator), with flip
test and with the multi-scale TTA, on the synthetic val split (tiny model)
and on the shared COCO images (random-weight W32 at a test size of 128, to
keep the runtime small). The decoder keeps its top 8 candidates per joint
(configs: 30): up to 8 people an image to compare, at a fraction of the
grouping and refine time."""
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import higherhrnet_plugin  # noqa: F401
from higherhrnet_plugin.synthetic_coco import make_synthetic_coco
from higherhrnet_plugin.engine.test_speed import set_test_batch_size
from mmpose.registry import MODELS

from repo_paths import DEMO_CONFIG, SHARED_COCO, W32_CONFIG


def _random_checkpoint(cfg, path, seed=0):
    """Seeded random weights whose heatmaps have peaks: the head's final
    convs drawn with std 0.3 (its init, std 0.001, finds nobody), so every
    image holds many people to group."""
    init_default_scope('mmpose')  # module fixtures run before conftest's
    torch.manual_seed(seed)
    model_cfg = cfg.model.copy()
    model_cfg.backbone.init_cfg = None
    model = MODELS.build(model_cfg)
    for layer in model.head.final_layers:
        torch.nn.init.normal_(layer.weight, std=0.3)
        torch.nn.init.zeros_(layer.bias)
    torch.save({'state_dict': model.state_dict()}, str(path))
    return str(path)


def _set_test_size(pipeline, input_size):
    """Set the input size of every BottomupOriginalResize of a pipeline."""
    for t in pipeline:
        if t['type'] == 'BottomupOriginalResize':
            t['input_size'] = input_size
        for sub in t.get('transforms', []):
            _set_test_size(sub, input_size)


TOPK = 8


def _run(cfg_path, data, ckpt, work_dir, batch_size, tta=False,
         input_size=None):
    # the config text the Runner logs and dumps stays unformatted (yapf
    # takes seconds a Runner here; fromfile drops format_python_code)
    cfg = Config.fromfile(str(cfg_path))
    cfg = Config(cfg.to_dict(), filename=cfg.filename,
                 format_python_code=False)
    cfg.model.head.decoder.decode_topk = TOPK
    cfg.work_dir = str(work_dir)
    cfg.load_from = ckpt
    cfg.default_hooks.pop('checkpoint', None)
    loader = cfg.test_dataloader
    loader.num_workers = 0
    loader.persistent_workers = False
    loader.dataset.update(data)
    if tta:
        loader.dataset.pipeline = cfg.tta_pipeline
        cfg.model = dict(**cfg.tta_model, module=cfg.model)
    if input_size is not None:
        _set_test_size(loader.dataset.pipeline, input_size)
    set_test_batch_size(cfg, batch_size)
    dump = str(Path(work_dir) / 'preds.pkl')
    cfg.test_evaluator = [
        dict(cfg.test_evaluator,
             ann_file=str(Path(data['data_root']) / data['ann_file'])),
        dict(type='DumpResults', out_file_path=dump)
    ]
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    with open(dump, 'rb') as fh:
        preds = {p['img_id']: p['pred_instances'] for p in pickle.load(fh)}
    return metrics, preds, runner


def _assert_identical(a, b):
    metrics_a, preds_a = a[:2]
    metrics_b, preds_b = b[:2]
    assert metrics_a == metrics_b
    assert sorted(preds_a) == sorted(preds_b)
    num_people = 0
    for img_id, pa in preds_a.items():
        pb = preds_b[img_id]
        for key in ('keypoints', 'keypoint_scores', 'bbox_scores'):
            np.testing.assert_array_equal(pa[key], pb[key], err_msg=key)
        num_people += len(pa['keypoints'])
    assert num_people > 0  # the comparison is not between empty results


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp('batched_syn')
    make_synthetic_coco(str(root), num_train=1, num_val=10, seed=3)
    cfg = Config.fromfile(str(DEMO_CONFIG))
    ckpt = _random_checkpoint(cfg, root / 'tiny.pth')
    data = dict(data_root=str(root),
                ann_file='annotations/person_keypoints_val.json',
                data_prefix=dict(img='images/val/'))
    return data, ckpt


def _coco():
    if not (SHARED_COCO / 'test_coco.json').is_file():
        pytest.skip(f'COCO sample data absent ({SHARED_COCO})')
    return dict(data_root=str(SHARED_COCO), ann_file='test_coco.json',
                data_prefix=dict(img=''))


@pytest.fixture(scope='module')
def coco_w32(tmp_path_factory):
    data = _coco()
    root = tmp_path_factory.mktemp('batched_coco')
    ckpt = _random_checkpoint(Config.fromfile(str(W32_CONFIG)),
                              root / 'w32.pth')
    return data, ckpt


def test_configs_batch_by_input_shape_with_one_flip_forward():
    cfg = Config.fromfile(str(W32_CONFIG))
    assert cfg.test_dataloader.batch_size > 1
    assert cfg.test_dataloader.batch_sampler.type == 'InputShapeBatchSampler'
    assert cfg.model.type == 'FlipBatchBottomupPoseEstimator'


@pytest.mark.parametrize('tta', [False, True], ids=['flip', 'tta'])
def test_synthetic_batch_8_equals_batch_1(synthetic, tmp_path, tta):
    data, ckpt = synthetic
    one = _run(DEMO_CONFIG, data, ckpt, tmp_path / 'b1', 1, tta=tta)
    eight = _run(DEMO_CONFIG, data, ckpt, tmp_path / 'b8', 8, tta=tta)
    # all synthetic images are 320x320: one full batch of 8, then 2
    assert len(eight[2].test_dataloader) == 2
    _assert_identical(one, eight)


@pytest.mark.parametrize('tta', [False, True], ids=['flip', 'tta'])
def test_coco_w32_batch_8_equals_batch_1(coco_w32, tmp_path, tta):
    data, ckpt = coco_w32
    one = _run(W32_CONFIG, data, ckpt, tmp_path / 'b1', 1, tta=tta,
               input_size=128)
    eight = _run(W32_CONFIG, data, ckpt, tmp_path / 'b8', 8, tta=tta,
                 input_size=128)
    # 4 images of 4 shapes; at input size 128: 256x128 three times and
    # 192x128 (with TTA, min_scale 0.5: all four share their view sizes)
    assert len(eight[2].test_dataloader) == (1 if tta else 2)
    _assert_identical(one, eight)
