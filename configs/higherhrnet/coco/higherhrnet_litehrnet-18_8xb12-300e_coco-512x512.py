# HigherHRNetHead on MMPose's LiteHRNet-18 (Yu et al., CVPR 2021), COCO at
# 512x512. Any MMPose backbone fits whose first output is a 1/4-stride
# feature map: the head reads feats[0] and predicts at 1/4 and 1/2 of the
# input. LiteHRNet's fused 1/4 branch has 40 channels. MMPose trains
# LiteHRNet from scratch (no ImageNet weights).
# Batch, lr and precision: the W32-512 config's, the original's recipe
# (experiments/coco/higher_hrnet/w32_512_adam_lr1e-3.yaml): 8 GPUs x 12
# images, Adam lr 1e-3, fp32.
_base_ = ['./higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py']

model = dict(
    # as mmpose::body_2d_keypoint/topdown_heatmap/coco/
    # td-hm_litehrnet-18_8xb64-210e_coco-256x192.py
    backbone=dict(
        _delete_=True,
        type='LiteHRNet',
        in_channels=3,
        extra=dict(
            stem=dict(stem_channels=32, out_channels=32, expand_ratio=1),
            num_stages=3,
            stages_spec=dict(
                num_modules=(2, 4, 2),
                num_branches=(2, 3, 4),
                num_blocks=(2, 2, 2),
                module_type=('LITE', 'LITE', 'LITE'),
                with_fuse=(True, True, True),
                reduce_ratios=(8, 8, 8),
                num_channels=((40, 80), (40, 80, 160), (40, 80, 160, 320))),
            with_head=True)),
    head=dict(in_channels=40))
