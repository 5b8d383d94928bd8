# The codec and pipelines of a 640x640 input: those of bottomup_512x512.py
# (where each step is explained) at 640.
codec = dict(
    type='AssociativeEmbeddingCodec',
    input_size=(640, 640),
    heatmap_sizes=[(160, 160), (320, 320)],
    sigma=2,
    max_encoded_people=30)

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
val_pipeline = [
    dict(type='LoadImage', color_type='color_ignore_orientation'),
    dict(type='BottomupOriginalResize', input_size=640),
    dict(
        type='PackPoseInputs',
        meta_keys=('id', 'img_id', 'img_path', 'crowd_index', 'ori_shape',
                   'img_shape', 'input_size', 'input_center', 'input_scale',
                   'flip', 'flip_direction', 'flip_indices', 'raw_ann_info',
                   'skeleton_links'))
]
tta_pipeline = [
    dict(type='LoadImage', color_type='color_ignore_orientation'),
    dict(
        type='TestTimeAug',
        transforms=[
            [
                dict(type='BottomupOriginalResize', input_size=640,
                     scale=s, min_scale=0.5) for s in (2, 1, 0.5)
            ],
            [dict(type='PackPoseInputs', meta_keys=val_pipeline[-1]['meta_keys'])],
        ])
]
