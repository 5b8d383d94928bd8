"""EpochPosesHook: the demo model's poses on the same val image after each
validation, and the strip of the epochs, with a stand-in runner."""
from types import SimpleNamespace

import cv2
import pytest

from higherhrnet_plugin.engine.hooks.epoch_poses_hook import EpochPosesHook


@pytest.fixture(scope='module')
def runner(demo_config, synthetic_coco, tmp_path_factory):
    from mmengine.config import Config
    from mmpose.apis import init_model
    from mmpose.registry import DATASETS

    from higherhrnet_plugin.visualization import NumPy2PoseLocalVisualizer
    cfg = Config.fromfile(str(demo_config))
    ds_cfg = cfg.val_dataloader.dataset
    ds_cfg.data_root = str(synthetic_coco(1, 2)) + '/'
    return SimpleNamespace(
        model=init_model(str(demo_config), None, device='cpu'),
        visualizer=NumPy2PoseLocalVisualizer(name='test_epoch_poses'),
        val_dataloader=SimpleNamespace(dataset=DATASETS.build(ds_cfg)),
        work_dir=str(tmp_path_factory.mktemp('work')),
        epoch=0, _train_loop=object())


def test_registered():
    from mmpose.registry import HOOKS
    hook = HOOKS.build(dict(type='EpochPosesHook', num_images=2))
    assert isinstance(hook, EpochPosesHook) and hook.num_images == 2
    with pytest.raises(ValueError, match='num_images'):
        EpochPosesHook(num_images=0)


def test_poses_per_epoch_and_strip(runner, tmp_path):
    runner.work_dir = str(tmp_path)
    hook = EpochPosesHook(num_images=2, max_strip=3)
    runner.model.train()
    for epoch in (1, 2, 3, 4):
        runner.epoch = epoch
        hook.after_val_epoch(runner, {})
        assert runner.model.training  # left as validation found it
    out = tmp_path / 'vis' / 'epochs'
    names = sorted(p.name for p in out.glob('epoch_*.png'))
    assert names == sorted(f'epoch_{e}_{i:06d}.png' for e in (1, 2, 3, 4)
                           for i in (2, 3))  # val ids follow 1 train image
    pose = cv2.imread(str(out / 'epoch_1_000002.png'))
    strip = cv2.imread(str(out / 'strip_000002.png'))
    assert pose.shape == (320 + 28, 320, 3)  # under a title
    # epochs 1, 3 and 4 (evenly spaced, first and last) and the labels,
    # each under a title
    assert cv2.imread(str(out / 'gt_000002.png')).shape == pose.shape
    assert strip.shape[1] == 4 * (pose.shape[1] + 4)
    assert strip.shape[0] > pose.shape[0]
    assert (out / 'strip_000003.png').is_file()
    # the poses are kept with their scores and drawn again at a threshold
    # known later
    assert sorted(hook.poses['000002']) == [1, 2, 3, 4]
    before = (out / 'epoch_2_000002.png').stat().st_mtime_ns
    hook.redraw(runner, 0.5)
    assert hook.kpt_thr == 0.5
    assert (out / 'epoch_2_000002.png').stat().st_mtime_ns > before


def test_validation_outside_training_is_epoch_0(runner, tmp_path):
    runner.work_dir = str(tmp_path)
    runner._train_loop = dict(type='EpochBasedTrainLoop')  # not built
    EpochPosesHook(out_dir='poses').after_val_epoch(runner, {})
    assert (tmp_path / 'poses' / 'epoch_0_000002.png').is_file()
    assert (tmp_path / 'poses' / 'strip_000002.png').is_file()


def test_only_rank_0_draws(runner, tmp_path, monkeypatch):
    from higherhrnet_plugin.engine.hooks import epoch_poses_hook
    runner.work_dir = str(tmp_path)
    monkeypatch.setattr(epoch_poses_hook, 'is_main_process', lambda: False)
    EpochPosesHook().after_val_epoch(runner, {})
    assert not (tmp_path / 'vis').exists()


def test_a_ddp_wrapped_model_draws_with_its_module(runner, tmp_path,
                                                   monkeypatch):
    from higherhrnet_plugin.engine.hooks import epoch_poses_hook
    runner.work_dir = str(tmp_path)
    model = runner.model
    # what the hook may use of MMDistributedDataParallel: its module
    monkeypatch.setattr(epoch_poses_hook, 'is_model_wrapper',
                        lambda m: m is not model)
    runner.model = SimpleNamespace(module=model)
    try:
        EpochPosesHook().after_val_epoch(runner, {})
    finally:
        runner.model = model
    assert len(list((tmp_path / 'vis' / 'epochs').glob('epoch_*.png'))) == 1
