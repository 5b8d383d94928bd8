# The paper's Table 4 (c): (b) + feature concatenation (the deconv level
# takes the features and level 0's whole output).
_base_ = ['./table4b_mrs_hrnet-w32_8xb24-300e_coco-512x512.py']

model = dict(head=dict(cat_output=(True, )))
