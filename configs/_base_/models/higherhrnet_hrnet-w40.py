# HigherHRNet-W40 (the paper's Table 6): the W32 model with HRNet-W40's
# branch widths. MMPose hosts no W40 ImageNet weights; these are the
# HRNetV2-W40 ones MMDetection's HRNet configs load (same backbone keys).
_base_ = ['./higherhrnet_hrnet-w32.py']

model = dict(
    backbone=dict(
        extra=dict(
            stage2=dict(num_channels=(40, 80)),
            stage3=dict(num_channels=(40, 80, 160)),
            stage4=dict(num_channels=(40, 80, 160, 320))),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://msra/hrnetv2_w40')),
    head=dict(in_channels=40, deconv_channels=(40, )))
