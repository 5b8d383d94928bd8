# HigherHRNet-W48 on COCO at 640x640 (paper: 69.9 AP val single-scale).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/higherhrnet_hrnet-w48.py',
    '../../_base_/data/coco_bottomup.py',
    '../../_base_/pipelines/bottomup_640x640.py',
]

model = dict(head=dict(decoder=_base_.codec))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
