"""tools/analysis/error_breakdown.py: its ground-truth heatmaps and tags
(higherhrnet_plugin.analysis.error_breakdown) decode back to the labelled
people, and the command runs on a tiny synthetic set."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from higherhrnet_plugin.analysis import error_breakdown as breakdown
from repo_paths import DEMO_CONFIG, REPO

TOOL = REPO / 'tools' / 'analysis' / 'error_breakdown.py'


def _people():
    """Two overlapping people in a 320x320 image tested at 256x256, one
    with two unlabelled joints, plus a crowd region and an unlabelled one."""
    rng = np.random.default_rng(0)
    anns = []
    for x0 in (60, 110):
        kpts = np.zeros((17, 3))
        kpts[:, 0] = x0 + rng.uniform(0, 120, 17)
        kpts[:, 1] = rng.uniform(40, 280, 17)
        kpts[:, 2] = 2
        anns.append(dict(keypoints=kpts.reshape(-1).tolist(),
                         num_keypoints=17, area=120. * 240., iscrowd=0))
    anns[1]['keypoints'][3 * 4 + 2] = 0
    anns[1]['keypoints'][3 * 9 + 2] = 0
    anns.append(dict(keypoints=[0.] * 51, num_keypoints=0, area=10.,
                     iscrowd=1))
    anns.append(dict(keypoints=[0.] * 51, num_keypoints=0, area=500.,
                     iscrowd=0))
    meta = dict(input_center=(160., 160.), input_scale=(320., 320.),
                input_size=(256, 256), raw_ann_info=anns)
    return meta, anns


def test_ground_truth_maps_decode_to_the_labelled_people():
    from higherhrnet_plugin.codecs import AssociativeEmbeddingCodec
    meta, anns = _people()
    people = breakdown.gt_people(meta)
    assert len(people) == 2  # crowd and unlabelled people are skipped
    codec = AssociativeEmbeddingCodec(input_size=(256, 256))
    heatmaps = breakdown.gt_heatmaps(people, 17, 256, 256, sigma=4.)
    tags = breakdown.gt_tags(people, 17, 256, 256, radius=0.15, num_tags=2)
    assert tags.shape == (17, 256, 256, 2)
    kpts, scores, _ = codec.decode(heatmaps, tags)
    assert len(kpts) == 2
    for ann in anns[:2]:
        gt = np.asarray(ann['keypoints']).reshape(-1, 3)
        labelled = gt[:, 2] > 0
        gt_in = gt[:, :2] * 256 / 320
        # the decoded person holding this person's first joint
        n = int(np.argmin(np.abs(kpts[:, 0] - gt_in[0]).sum(-1)))
        err = np.abs(kpts[n][labelled] - gt_in[labelled]).max()
        assert err < 1.0, err  # integer peaks + quarter-pixel adjustment


def test_joint_recall_counts_peaks_within_the_radius():
    from higherhrnet_plugin.codecs import AssociativeEmbeddingCodec
    meta, _ = _people()
    people = breakdown.gt_people(meta)
    codec = AssociativeEmbeddingCodec(input_size=(256, 256))
    heatmaps = breakdown.gt_heatmaps(people, 17, 256, 256, sigma=4.)
    dists = breakdown.joint_recall(heatmaps, people, codec, radius=0.15)
    assert len(dists) == 17 + 15
    assert all(d is not None and d < 1 for d in dists)
    # no peaks at all: nothing is recalled
    none = breakdown.joint_recall(torch.zeros_like(heatmaps), people, codec, 0.15)
    assert none == [None] * 32


def test_tag_separation_measures_spread_and_nearest_other_person():
    meta, _ = _people()
    people = breakdown.gt_people(meta)  # both 120x240 = 28800 px^2: large
    tags = torch.zeros(17, 256, 256, 2)
    xy1 = np.round(people[1][0]).astype(int)
    for k in np.flatnonzero(people[1][1]):  # person 1's joints read 3 or 5
        tags[k, xy1[k, 1], xy1[k, 0], 0] = 3. if k % 2 else 5.
    per_image = [breakdown.person_tags(tags, people)]
    (_, spread0, mean0), (_, spread1, mean1) = per_image[0]
    # a model's tags (tracking gradients, on its device) are read on the host
    again = breakdown.person_tags(tags.clone().requires_grad_(), people)
    assert [spread for _, spread, _ in again] == [spread0, spread1]
    assert spread0 == 0 and np.allclose(mean0, 0)
    assert spread1 > 0.9 and abs(mean1[0] - 4) < 0.2 and mean1[1] == 0
    summary = breakdown.tag_separation(per_image, tag_threshold=1.)
    assert summary['large']['people'] == 2
    assert summary['medium']['people'] == 0
    assert summary['medium']['median_nearest_other'] is None
    assert abs(summary['all']['median_nearest_other'] - mean1[0]) < 1e-6
    assert summary['all']['share_nearest_within_threshold'] == 0
    # a person alone in its image has no nearest other person
    alone = breakdown.tag_separation([per_image[0][:1]], tag_threshold=1.)
    assert alone['all']['people'] == 1
    assert alone['all']['share_nearest_within_threshold'] is None


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory, synthetic_coco, random_demo_checkpoint):
    root = tmp_path_factory.mktemp('breakdown')
    ckpt = random_demo_checkpoint
    data = f'{synthetic_coco(1, 2)}/'
    out = root / 'breakdown.json'
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(DEMO_CONFIG), str(ckpt), '--out',
         str(out), '--cfg-options', f'data_root={data}',
         f'test_dataloader.dataset.data_root={data}',
         'test_dataloader.num_workers=0',
         'test_dataloader.persistent_workers=False',
         f'test_evaluator.ann_file={data}annotations/'
         'person_keypoints_val.json', f'work_dir={root}/train_run',
         '--work-dir', f'{root}/work'],
        cwd=root, env=dict(os.environ, CUDA_VISIBLE_DEVICES=''),
        capture_output=True, text=True, timeout=300)
    return root, ckpt, proc, out


def test_command_writes_the_three_scores_and_recall(tiny_run):
    root, _, proc, out = tiny_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    for name in ('model', 'gt_heatmaps', 'gt_tags'):
        assert 0 <= result[name]['coco/AP'] <= 1
    assert 0 <= result['joint_recall'] <= 1
    assert result['labelled_joints'] > 0
    tags = result['tag_separation']
    assert set(tags) == {'all', 'medium', 'large'}
    assert tags['all']['people'] >= (tags['medium']['people'] +
                                     tags['large']['people'])
    # logs go to --work-dir, never to the config's (training) work_dir
    assert (root / 'work').is_dir() and not (root / 'train_run').exists()


def test_missing_checkpoint_is_a_one_line_error(tiny_run):
    root = tiny_run[0]
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(DEMO_CONFIG), str(root / 'nope.pth')],
        cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if 'error:' in line]
    assert len(lines) == 1 and 'nope.pth' in lines[0]


def test_config_without_our_codec_is_a_one_line_error(tiny_run,
                                                      synthetic_coco):
    root, ckpt, _, _ = tiny_run
    data = f'{synthetic_coco(1, 2)}/'
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(DEMO_CONFIG), str(ckpt), '--work-dir',
         str(root / 'work2'), '--cfg-options', 'model.head.decoder=None',
         f'test_dataloader.dataset.data_root={data}',
         f'test_evaluator.ann_file={data}annotations/'
         'person_keypoints_val.json'],
        cwd=root, env=dict(os.environ, CUDA_VISIBLE_DEVICES=''),
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines()
             if 'error_breakdown:' in line]
    assert len(lines) == 1 and 'AssociativeEmbeddingCodec' in lines[0]
