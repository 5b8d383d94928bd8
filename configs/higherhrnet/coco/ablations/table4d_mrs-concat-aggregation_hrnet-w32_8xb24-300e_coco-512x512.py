# The paper's Table 4 (d): (c) + heatmap aggregation (both levels' heatmaps
# averaged at 1/2). (e), + 4 residual blocks, is HigherHRNet-W32:
# configs/higherhrnet/coco/higherhrnet_hrnet-w32_8xb24-300e_coco-512x512.py.
_base_ = ['./table4c_mrs-concat_hrnet-w32_8xb24-300e_coco-512x512.py']

model = dict(test_cfg=dict(heatmap_levels='all'))
