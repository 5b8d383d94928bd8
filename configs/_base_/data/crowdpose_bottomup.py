# CrowdPose (14 keypoints) for bottom-up training and testing: COCO's
# settings on MMPose's CrowdPoseDataset, whose meta (mmpose::_base_/datasets/
# crowdpose.py) gives the flip pairs and sigmas, and its crowd-level metric.
# Set model.head.num_keypoints=14 in the config that uses it.
_base_ = ['./coco_bottomup.py']

dataset_type = 'ValidatedCrowdPoseDataset'  # validated on load
data_root = 'data/crowdpose/'

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/mmpose_crowdpose_trainval.json',
        data_prefix=dict(img='images/')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/mmpose_crowdpose_test.json',
        data_prefix=dict(img='images/')))
test_dataloader = val_dataloader

val_evaluator = dict(
    ann_file=data_root + 'annotations/mmpose_crowdpose_test.json',
    use_area=False,
    iou_type='keypoints_crowd',
    prefix='crowdpose')
test_evaluator = val_evaluator
