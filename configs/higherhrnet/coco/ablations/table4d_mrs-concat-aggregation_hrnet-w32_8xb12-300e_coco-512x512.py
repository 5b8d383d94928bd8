# The paper's Table 4 (d): (c) + heatmap aggregation (both levels' heatmaps
# averaged at 1/2). (e), + 4 residual blocks, is HigherHRNet-W32:
# configs/higherhrnet/coco/higherhrnet_hrnet-w32_8xb12-300e_coco-512x512.py.
_base_ = ['./table4c_mrs-concat_hrnet-w32_8xb12-300e_coco-512x512.py']
# batch, lr and precision: the W32-512 config's, the original's recipe
# (8 GPUs x 12 images, Adam lr 1e-3, fp32; auto_scale_lr base 96)

model = dict(test_cfg=dict(heatmap_levels='all'))
