# The HRNet associative-embedding baseline: the HigherHRNet recipe with no
# deconv level (heatmaps and tags at 1/4 only), trained with the same pipeline.
_base_ = ['../../higherhrnet/coco/higherhrnet_hrnet-w32_8xb24-300e_coco-512x512.py']

codec = dict(
    type='AssociativeEmbeddingCodec',
    input_size=(512, 512),
    heatmap_sizes=[(128, 128)],
    sigma=2,
    max_num_people=30)

model = dict(
    head=dict(
        num_deconv_layers=0,
        deconv_channels=(),
        cat_output=(),
        with_ae_loss=(True, ),
        loss=dict(heatmap_weights=(1.0, ), with_ae_loss=(True, ),
                  push_loss_weights=(1e-3, ), pull_loss_weights=(1e-3, )),
        decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='BottomupRandomAffine', input_size=codec['input_size'],
         shift_factor=40 / 512, scale_factor=(0.75, 1.5), scale_type='short',
         rotate_factor=30, shear_prob=0, distribution='uniform'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='BottomupGetMultiLevelHeatmapMask'),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
