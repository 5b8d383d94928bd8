# HigherHRNet-W32 on COCO at 512x512 (Cheng et al., CVPR 2020; paper: 67.1 AP
# val single-scale, MMPose 0.x: 0.677 AP with flip).
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['higherhrnet_plugin'], allow_failed_imports=False)

# runtime: the paper's schedule
train_cfg = dict(max_epochs=300, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=300, milestones=[200, 260],
         gamma=0.1, by_epoch=True)
]
# lr 1e-3 was set for the original's batch: 8 GPUs x 12 images
auto_scale_lr = dict(base_batch_size=96)
default_hooks = dict(
    checkpoint=dict(save_best='coco/AP', rule='greater', interval=50))
# MMPose's PoseLocalVisualizer, fixed for NumPy 2 (test.py --show-dir)
visualizer = dict(type='NumPy2PoseLocalVisualizer')

# codec: sigma 2 at every level (1/4 and 1/2 of the input), not scaled
codec = dict(
    type='AssociativeEmbeddingCodec',
    input_size=(512, 512),
    heatmap_sizes=[(128, 128), (256, 256)],
    sigma=2,
    max_num_people=30)

model = dict(
    type='BottomupPoseEstimator',
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
        with_ae_loss=(True, False),
        loss=dict(
            type='MultiResolutionHeatmapLoss',
            heatmap_weights=(1.0, 1.0),
            with_ae_loss=(True, False),
            push_loss_weights=(1e-3, 1e-3),
            pull_loss_weights=(1e-3, 1e-3)),
        decoder=codec),
    test_cfg=dict(flip_test=True))

dataset_type = 'CocoDataset'
data_mode = 'bottomup'
data_root = 'data/coco/'

# the paper's augmentation: rotation +-30 deg, scale 0.75-1.5, shift 40 px at
# 512, horizontal flip 0.5; uniform sampling as the original
train_pipeline = [
    dict(type='LoadImage'),
    dict(
        type='BottomupRandomAffine',
        input_size=codec['input_size'],
        shift_factor=40 / 512,
        scale_factor=(0.75, 1.5),
        scale_type='short',
        rotate_factor=30,
        shear_prob=0,
        distribution='uniform'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='BottomupGetMultiLevelHeatmapMask'),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    # the original's test resize: short side 512 (rounded up to 64), the
    # long side keeping the aspect ratio, centred as the original
    dict(type='BottomupOriginalResize', input_size=512),
    dict(
        type='PackPoseInputs',
        meta_keys=('id', 'img_id', 'img_path', 'crowd_index', 'ori_shape',
                   'img_shape', 'input_size', 'input_center', 'input_scale',
                   'flip', 'flip_direction', 'flip_indices', 'raw_ann_info',
                   'skeleton_links'))
]

train_dataloader = dict(
    batch_size=24,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline,
    ))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=val_pipeline,
    ))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json',
    nms_mode='none',
    score_mode='bbox',  # the pose score alone, as the original reports
)
test_evaluator = val_evaluator

# multi-scale (2, 1, 0.5) + flip test of the paper: `tools/test.py ... --tta`
tta_model = dict(
    type='HeatmapAggregationTTA', scales=(2, 1, 0.5), flip_test=True)
tta_pipeline = [
    dict(type='LoadImage'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='BottomupOriginalResize', input_size=512,
                     scale=s, min_scale=0.5) for s in (2, 1, 0.5)
            ],
            [dict(type='PackPoseInputs', meta_keys=val_pipeline[-1]['meta_keys'])],
        ])
]
