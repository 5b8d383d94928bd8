# HigherHRNet-W32 on COCO at 512x512 (Cheng et al., CVPR 2020; paper: 67.1 AP
# val single-scale, MMPose 0.x: 0.677 AP with flip).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/higherhrnet_hrnet-w32.py',
    '../../_base_/data/coco_bottomup.py',
    '../../_base_/pipelines/bottomup_512x512.py',
]

model = dict(head=dict(decoder=_base_.codec))
# the original's recipe (experiments/coco/higher_hrnet/
# w32_512_adam_lr1e-3.yaml): 8 GPUs x 12 images, Adam lr 1e-3, fp32
train_dataloader = dict(
    batch_size=12, dataset=dict(pipeline=_base_.train_pipeline))
auto_scale_lr = dict(base_batch_size=96)
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
