# The codec and pipelines of a 512x512 input. A config that uses them sets
# model.head.decoder=codec and the dataloaders' pipelines (see
# configs/higherhrnet/coco/higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py).

# sigma 2 at every level (1/4 and 1/2 of the input), not scaled
codec = dict(
    type='AssociativeEmbeddingCodec',
    input_size=(512, 512),
    heatmap_sizes=[(128, 128), (256, 256)],
    sigma=2,
    max_encoded_people=30)

# the paper's augmentation: rotation +-30 deg, scale 0.75-1.5, shift 40 px at
# 512, horizontal flip 0.5; uniform sampling as the original
# LoadImage ignores EXIF orientation, as the original reads with OpenCV and
# the annotations are on the stored pixels
train_pipeline = [
    dict(type='LoadImage', color_type='color_ignore_orientation'),
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
# the original's test resize: short side 512 (rounded up to 64), the long
# side keeping the aspect ratio, centred as the original
val_pipeline = [
    dict(type='LoadImage', color_type='color_ignore_orientation'),
    dict(type='BottomupOriginalResize', input_size=512),
    dict(
        type='PackPoseInputs',
        meta_keys=('id', 'img_id', 'img_path', 'crowd_index', 'ori_shape',
                   'img_shape', 'input_size', 'input_center', 'input_scale',
                   'flip', 'flip_direction', 'flip_indices', 'raw_ann_info',
                   'skeleton_links'))
]
# scales 2, 1, 0.5 of the test resize, for tta_model (tools/test.py --tta)
tta_pipeline = [
    dict(type='LoadImage', color_type='color_ignore_orientation'),
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
