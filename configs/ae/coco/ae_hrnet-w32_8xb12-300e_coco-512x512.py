# The HRNet associative-embedding baseline (the paper's Table 4 (a)): the
# HigherHRNet-W32 recipe with no deconv level (heatmaps and tags at 1/4
# only), trained with the same pipeline.
_base_ = ['../../higherhrnet/coco/higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py']
# batch, lr and precision: the W32-512 config's, the original's recipe
# (8 GPUs x 12 images, Adam lr 1e-3, fp32; auto_scale_lr base 96)

codec = dict(_base_.codec, heatmap_sizes=[(128, 128)])

model = dict(
    head=dict(
        num_deconv_layers=0,
        deconv_channels=(),
        cat_output=(),
        with_ae_loss=(True, ),
        loss=dict(heatmap_weights=(1.0, ),
                  push_loss_weights=(1e-3, ), pull_loss_weights=(1e-3, )),
        decoder=codec))

# the 512x512 pipeline, its targets at 1/4 only
train_pipeline = [
    dict(step, encoder=codec) if step.type == 'GenerateTarget' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
