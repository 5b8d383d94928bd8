# HigherHRNet-W40 on COCO at 640x640 (the paper's Table 6, backbones): the
# W32-640 config with HRNet-W40's branch widths. MMPose hosts no W40 ImageNet
# weights; these are the HRNetV2-W40 ones MMDetection's HRNet configs load
# (same backbone keys).
# Batch, lr and precision: the original has no W40, so its W32-640 recipe
# (experiments/coco/higher_hrnet/w32_640_adam_lr1e-3.yaml), the W32-640
# config's: 8 GPUs x 12 images, Adam lr 1e-3, fp16 mixed precision. 12 W40
# images need the memory of 10 W48 ones, the original's W48-640 batch
# (docs/training.md, "GPU memory per config").
_base_ = ['./higherhrnet_hrnet-w32_8xb12-300e_coco-640x640.py']

model = dict(
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(40, 80)),
            stage3=dict(num_channels=(40, 80, 160)),
            stage4=dict(num_channels=(40, 80, 160, 320))),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w40')),
    head=dict(in_channels=40, deconv_channels=(40, )))
