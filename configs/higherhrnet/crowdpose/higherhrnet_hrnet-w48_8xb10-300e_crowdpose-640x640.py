# HigherHRNet-W48 on CrowdPose at 640x640 (paper: 67.6 AP on CrowdPose test,
# with multi-scale test).
_base_ = [
    '../../_base_/default_runtime_amp.py',
    '../../_base_/models/higherhrnet_hrnet-w48.py',
    '../../_base_/data/crowdpose_bottomup.py',
    '../../_base_/pipelines/bottomup_640x640.py',
]

model = dict(head=dict(num_keypoints=14, decoder=_base_.codec))
# the original's recipe (experiments/crowd_pose/higher_hrnet/
# w48_640_adam_lr1e-3.yaml): 8 GPUs x 10 images, Adam lr 1e-3, fp16 mixed
# precision (default_runtime_amp.py)
train_dataloader = dict(
    batch_size=10, dataset=dict(pipeline=_base_.train_pipeline))
auto_scale_lr = dict(base_batch_size=80)
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
