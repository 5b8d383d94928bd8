# HigherHRNet-W48 on CrowdPose at 640x640 (paper: 67.6 AP on CrowdPose test,
# with multi-scale test).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/higherhrnet_hrnet-w48.py',
    '../../_base_/data/crowdpose_bottomup.py',
    '../../_base_/pipelines/bottomup_640x640.py',
]

model = dict(head=dict(num_keypoints=14, decoder=_base_.codec))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
