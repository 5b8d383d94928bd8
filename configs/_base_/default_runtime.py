# HigherHRNet's schedule (300 epochs, Adam) on MMPose's default runtime.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['higherhrnet_plugin'], allow_failed_imports=False)

train_cfg = dict(max_epochs=300, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=300, milestones=[200, 260],
         gamma=0.1, by_epoch=True)
]
# lr 1e-3 was set for the original's batch: 8 GPUs x 12 images
auto_scale_lr = dict(base_batch_size=96)
# 'auto': the evaluator's first metric, AP (coco/AP or crowdpose/AP).
# Checkpoints are saved atomically and a NaN/inf loss stops training
# (higherhrnet_plugin/engine/hooks).
default_hooks = dict(
    checkpoint=dict(type='AtomicCheckpointHook', save_best='auto',
                    rule='greater', interval=50),
    non_finite_loss=dict(type='NonFiniteLossHook'))
# MMPose's PoseLocalVisualizer, fixed for NumPy 2 (test.py --show-dir)
visualizer = dict(type='NumPy2PoseLocalVisualizer')

# multi-scale (2, 1, 0.5) + flip test of the paper: `tools/test.py ... --tta`
# (tta_pipeline comes with the input size: configs/_base_/pipelines/)
tta_model = dict(
    type='HeatmapAggregationTTA', scales=(2, 1, 0.5), flip_test=True)
