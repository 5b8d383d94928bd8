# HigherHRNet's schedule (300 epochs, Adam) on MMPose's default runtime.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['higherhrnet_plugin'], allow_failed_imports=False)

train_cfg = dict(max_epochs=300, val_interval=10)
# Adam at the original's lr 1e-3 (TRAIN.LR of every experiments/*/
# higher_hrnet yaml), in fp32 (default_runtime_amp.py: fp16). Each config
# sets its batch and auto_scale_lr.base_batch_size, the total batch its lr
# is for (docs/training.md, "Batch, learning rate and precision")
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
auto_scale_lr = dict(base_batch_size=96)  # 8 GPUs x 12, restated by each
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=300, milestones=[200, 260],
         gamma=0.1, by_epoch=True)
]
# training inputs have one fixed shape: let cuDNN pick the fastest kernels
# (tools/test.py turns it off: test shapes vary)
env_cfg = dict(cudnn_benchmark=True)
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
