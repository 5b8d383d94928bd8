# COCO keypoints for bottom-up training and testing. The pipelines come with
# the input size (configs/_base_/pipelines/), set by each config.
# MMPose's CocoDataset, validated on load (docs/reliability.md)
dataset_type = 'ValidatedCocoDataset'
data_mode = 'bottomup'
data_root = 'data/coco/'

# the original's W32-512 batch; each config restates its own (its name's
# 8xbN). Workers, pinned memory and kept workers by the rule of
# docs/training.md, "Data-loading workers"
train_dataloader = dict(
    batch_size=12,
    num_workers=4,
    pin_memory=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train2017.json',
        data_prefix=dict(img='train2017/')))
# batches of images that share their test-time input shape: no padding, so
# the results are those of batch size 1 (docs/batched_testing.md)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    batch_sampler=dict(type='InputShapeBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/person_keypoints_val2017.json',
    nms_mode='none',
    score_mode='bbox',  # the pose score alone, as the original reports
)
test_evaluator = val_evaluator
