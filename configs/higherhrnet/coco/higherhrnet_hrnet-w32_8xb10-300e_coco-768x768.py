# HigherHRNet-W32 on COCO at 768x768 (the paper's Table 5, training sizes).
_base_ = [
    '../../_base_/default_runtime_amp.py',
    '../../_base_/models/higherhrnet_hrnet-w32.py',
    '../../_base_/data/coco_bottomup.py',
    '../../_base_/pipelines/bottomup_768x768.py',
]

model = dict(head=dict(decoder=_base_.codec))
# the original has no 768 model: its W48-640 recipe (experiments/coco/
# higher_hrnet/w48_640_adam_lr1e-3.yaml), 8 GPUs x 10 images, Adam lr 1e-3,
# fp16 mixed precision (default_runtime_amp.py). 10 W32 images at 768 need
# the memory of 10 W48 ones at 640 (docs/training.md, "GPU memory per
# config")
train_dataloader = dict(
    batch_size=10, dataset=dict(pipeline=_base_.train_pipeline))
auto_scale_lr = dict(base_batch_size=80)
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
