# HigherHRNet-W40 on COCO at 640x640 (the paper's Table 6, backbones).
_base_ = [
    '../../_base_/default_runtime.py',
    '../../_base_/models/higherhrnet_hrnet-w40.py',
    '../../_base_/data/coco_bottomup.py',
    '../../_base_/pipelines/bottomup_640x640.py',
]

model = dict(head=dict(decoder=_base_.codec))
# the original has no W40: its W32-640 recipe (experiments/coco/higher_hrnet/
# w32_640_adam_lr1e-3.yaml), 8 GPUs x 12 images, Adam lr 1e-3, fp16 mixed
# precision with a dynamic loss scale (on CPU: --cfg-options
# optim_wrapper.type=OptimWrapper). 12 W40 images need the memory of 10 W48
# ones, the original's W48-640 batch (docs/training.md, "GPU memory per
# config")
train_dataloader = dict(
    batch_size=12, dataset=dict(pipeline=_base_.train_pipeline))
optim_wrapper = dict(type='AmpOptimWrapper', optimizer=dict(lr=1e-3))
auto_scale_lr = dict(base_batch_size=96)
val_dataloader = dict(dataset=dict(pipeline=_base_.val_pipeline))
test_dataloader = val_dataloader
