# The paper's Table 4 (b): multi-resolution supervision. HigherHRNet-W32 with
# a plain deconv level (features only, no concatenated level-0 output, no
# residual blocks), heatmaps supervised at 1/4 and 1/2, and heatmaps
# predicted from the highest resolution (1/2) alone. (a) is
# configs/ae/coco/ae_hrnet-w32_8xb12-300e_coco-512x512.py.
_base_ = ['../higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py']
# batch, lr and precision: the W32-512 config's, the original's recipe
# (8 GPUs x 12 images, Adam lr 1e-3, fp32; auto_scale_lr base 96)

model = dict(
    head=dict(cat_output=(False, ), num_basic_blocks=0),
    test_cfg=dict(heatmap_levels='last'))
