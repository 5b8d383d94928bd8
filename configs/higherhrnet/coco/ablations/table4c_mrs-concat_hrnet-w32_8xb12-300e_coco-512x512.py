# The paper's Table 4 (c): (b) + feature concatenation (the deconv level
# takes the features and level 0's whole output).
_base_ = ['./table4b_mrs_hrnet-w32_8xb12-300e_coco-512x512.py']
# batch, lr and precision: the W32-512 config's, the original's recipe
# (8 GPUs x 12 images, Adam lr 1e-3, fp32; auto_scale_lr base 96)

model = dict(head=dict(cat_output=(True, )))
