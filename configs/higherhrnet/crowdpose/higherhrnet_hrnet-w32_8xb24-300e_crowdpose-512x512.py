# HigherHRNet-W32 on CrowdPose at 512x512 (14 keypoints; flip pairs and
# sigmas from MMPose's CrowdPose meta, matching order by the original's rule:
# see docs/custom_keypoints.md).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/higherhrnet_hrnet-w32.py',
    '../../_base_/data/crowdpose_bottomup.py',
    '../../_base_/pipelines/bottomup_512x512.py',
]

model = dict(head=dict(num_keypoints=14, decoder=_base_.codec))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
