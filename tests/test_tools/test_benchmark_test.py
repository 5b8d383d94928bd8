"""benchmark_test: batch sizes and test-time options against the original's
loop on the same images (package function), and the tool's one-line
errors."""
import os
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from higherhrnet_plugin.analysis.test_throughput import (benchmark_test,
                                                         format_table,
                                                         load_items,
                                                         shape_batches)
from higherhrnet_plugin.synthetic_coco import make_synthetic_coco
from mmpose.registry import MODELS

from repo_paths import DEMO_CONFIG, REPO

TOOL = str(REPO / 'tools/analysis/benchmark_test.py')


def run_tool(*args):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_variants_against_batch_1_and_the_original(tmp_path):
    make_synthetic_coco(str(tmp_path), num_train=1, num_val=2, seed=0)
    cfg = Config.fromfile(str(DEMO_CONFIG))
    cfg.test_dataloader.dataset.update(
        data_root=str(tmp_path),
        ann_file='annotations/person_keypoints_val.json',
        data_prefix=dict(img='images/val/'))
    torch.manual_seed(0)
    # PyTorch's default init (no init_weights): noisy maps, many people
    model = MODELS.build(cfg.model).eval()
    items = load_items(cfg, 2)
    assert [len(b) for b in shape_batches(items, 2)] == [2]
    result = benchmark_test(model, items, (1, 2), ['fuse_conv_bn'])
    rows = result['variants']
    assert list(rows) == ['batch 1', 'batch 2', 'batch 2 + fuse_conv_bn',
                          'original']
    assert result['people'] > 0
    assert rows['batch 2']['identical_poses']
    assert rows['batch 2']['max_heatmap_diff'] == 0
    assert rows['batch 2 + fuse_conv_bn']['max_heatmap_diff'] < 1e-5
    assert rows['original']['same_people']
    assert rows['original']['max_keypoint_diff_px'] < 1e-3
    for row in rows.values():
        assert row['images_per_s'] > 0
    table = format_table(result)
    assert '| original |' in table and '1.00x' in table


@pytest.mark.parametrize('args, message', [
    (['--data-root', 'no/such/dir'], '--data-root: no such file'),
    (['--num-images', '0'], 'must be >= 1'),
])
def test_bad_arguments_are_one_line_errors(args, message):
    proc = run_tool(*args)
    assert proc.returncode != 0
    assert message in proc.stderr.strip().splitlines()[-1]
