# HigherHRNet-W32 (Cheng et al., CVPR 2020): MMPose's HRNet-W32 and a
# HigherHRNetHead with one deconv level, predicting at 1/4 and 1/2 of the
# input. The head's decoder is the codec of the input size
# (configs/_base_/pipelines/), set by each config.
model = dict(
    # MMPose's BottomupPoseEstimator, its flip test one forward of 2N images
    type='FlipBatchBottomupPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                        num_blocks=(4, ), num_channels=(64, )),
            stage2=dict(num_modules=1, num_branches=2, block='BASIC',
                        num_blocks=(4, 4), num_channels=(32, 64)),
            stage3=dict(num_modules=4, num_branches=3, block='BASIC',
                        num_blocks=(4, 4, 4), num_channels=(32, 64, 128)),
            stage4=dict(num_modules=3, num_branches=4, block='BASIC',
                        num_blocks=(4, 4, 4, 4),
                        num_channels=(32, 64, 128, 256))),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'pretrain_models/hrnet_w32-36af842e.pth'),
    ),
    head=dict(
        type='HigherHRNetHead',
        in_channels=32,
        num_keypoints=17,
        tag_per_keypoint=True,
        num_deconv_layers=1,
        deconv_channels=(32, ),
        cat_output=(True, ),
        num_basic_blocks=4,
        # tags on level 0 (1/4) only
        with_ae_loss=(True, False),
        loss=dict(
            type='MultiResolutionHeatmapLoss',
            heatmap_weights=(1.0, 1.0),
            push_loss_weights=(1e-3, 1e-3),
            pull_loss_weights=(1e-3, 1e-3))),
    test_cfg=dict(flip_test=True))
