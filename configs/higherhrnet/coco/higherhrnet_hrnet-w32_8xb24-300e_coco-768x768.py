# HigherHRNet-W32 on COCO at 768x768 (the paper's Table 5, training sizes).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/higherhrnet_hrnet-w32.py',
    '../../_base_/data/coco_bottomup.py',
    '../../_base_/pipelines/bottomup_768x768.py',
]

model = dict(head=dict(decoder=_base_.codec))
train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
