# A custom keypoint set: the demo's narrow HigherHRNet on a 5-keypoint set
# (docs/custom_keypoints.md). What depends on the keypoints comes from the
# dataset meta file: their number, names, flip pairs (flip test and flip
# augmentation) and sigmas (CocoMetric); the matching order is the
# original's rule for 5 joints (the codec's decode_joint_order overrides it).
# The head's num_keypoints must equal the meta's.
_base_ = ['../demo/higherhrnet_hrnet-w16-tiny_1xb4-30e_synthetic-256x256.py']

metainfo = dict(
    from_file='{{ fileDirname }}/../_base_/datasets/synthetic_coco5.py')
data_root = 'data/synthetic_coco5/'

model = dict(head=dict(num_keypoints=5))
# batch 8: the demo's 4 suits its 15-minute budget, not a training of its own
train_dataloader = dict(
    batch_size=8, dataset=dict(data_root=data_root, metainfo=metainfo))
auto_scale_lr = dict(base_batch_size=8)
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file=data_root + 'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator
