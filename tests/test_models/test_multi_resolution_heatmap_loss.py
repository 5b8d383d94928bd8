"""Tests of MultiResolutionHeatmapLoss against the original training code."""

import numpy as np
import pytest
import torch

import higherhrnet_plugin  # noqa: F401
from mmpose.registry import MODELS

def _inputs(d):
    outs = [torch.from_numpy(d['loss_outputs_0'].astype(np.float32)),
            torch.from_numpy(d['loss_outputs_1'].astype(np.float32))]
    hms = [torch.from_numpy(np.stack([d[f'img{n}_heatmaps_{r}']
                                      for n in range(2)])) for r in (128, 256)]
    masks = [torch.from_numpy(d[f'loss_masks_{r}']) for r in (128, 256)]
    idx = torch.from_numpy(
        np.stack([d[f'img{n}_joints_indices_128'] for n in range(2)]))
    return outs, hms, masks, idx


def test_matches_original_losses(train_targets_losses):
    d = train_targets_losses
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss'))
    outs, hms, masks, idx = _inputs(d)
    hm, push, pull = loss.forward_per_image(outs, hms, masks, idx)
    for i in range(2):
        np.testing.assert_allclose(hm[i].numpy(),
                                   d[f'expected_heatmap_loss_{i}'],
                                   rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(push[0].numpy(), d['expected_push_loss_0'],
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pull[0].numpy(), d['expected_pull_loss_0'],
                               rtol=1e-5, atol=1e-8)
    assert push[1] is None and pull[1] is None
    # batch-mean dict
    losses = loss(outs, hms, masks, idx)
    np.testing.assert_allclose(
        losses['loss_heatmap'].item(),
        d['expected_heatmap_loss_0'].mean() + d['expected_heatmap_loss_1'].mean(),
        rtol=1e-5)
    np.testing.assert_allclose(losses['loss_push'].item(),
                               d['expected_push_loss_0'].mean(), rtol=1e-5)
    np.testing.assert_allclose(losses['loss_pull'].item(),
                               d['expected_pull_loss_0'].mean(), rtol=1e-5)
    # list of per-image indices gives the same
    hm2, push2, pull2 = loss.forward_per_image(outs, hms, masks, list(idx))
    torch.testing.assert_close(push2[0], push[0])
    torch.testing.assert_close(pull2[0], pull[0])


def _perfect(num_people=3, K=5, H=8, W=10, tag_per_keypoint=True):
    rng = np.random.default_rng(1)
    gt0 = torch.from_numpy(rng.random((1, K, H, W)).astype(np.float32))
    gt1 = torch.from_numpy(rng.random((1, K, 2 * H, 2 * W)).astype(np.float32))
    T = K if tag_per_keypoint else 1
    tags = torch.zeros(1, T, H, W)
    idx = torch.zeros(1, 30, K, 2, dtype=torch.long)
    used = set()
    for n in range(num_people):
        for k in range(K):
            while True:
                y, x = int(rng.integers(H)), int(rng.integers(W))
                t = k if tag_per_keypoint else 0
                if (t, y, x) not in used:
                    used.add((t, y, x))
                    break
            tags[0, t, y, x] = 10.0 * n
            i = (k * H * W if tag_per_keypoint else 0) + y * W + x
            idx[0, n, k] = torch.tensor([i, 1])
    out0 = torch.cat([gt0, tags], dim=1)
    return [out0, gt1.clone()], [gt0, gt1], idx


@pytest.mark.parametrize('tag_per_keypoint', [True, False])
def test_zero_at_ground_truth(tag_per_keypoint):
    outs, hms, idx = _perfect(tag_per_keypoint=tag_per_keypoint)
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss'))
    losses = loss(outs, hms, None, idx)
    for k, v in losses.items():
        assert abs(v.item()) < 1e-12, k


def test_masked_region_ignored_and_few_people():
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss'))
    outs, hms, idx = _perfect(num_people=1)
    # a wrong prediction inside a masked-out region costs nothing
    outs[1][:, :, :4, :4] += 5
    masks = [torch.ones(1, 8, 10), torch.ones(1, 16, 20)]
    masks[1][:, :4, :4] = 0
    hm, push, pull = loss.forward_per_image(outs, hms, masks, idx)
    assert hm[1].item() == 0
    # one person: push is exactly zero; no person: both zero
    assert push[0].item() == 0
    outs[0][0, 5 + 0].fill_(3.0)  # tags no longer perfect
    hm, push, pull = loss.forward_per_image(outs, hms, masks, idx)
    assert push[0].item() == 0 and pull[0].item() >= 0
    hm, push, pull = loss.forward_per_image(outs, hms, masks,
                                            torch.zeros_like(idx))
    assert push[0].item() == 0 and pull[0].item() == 0


def test_push_formula_two_people():
    """push = 0.5*(sum exp(-d^2) - N)/(N(N-1)) = 0.5*exp(-d^2) for N=2,
    pull = mean squared distance to the person's mean, times 1e-3."""
    tags = torch.zeros(1, 1, 2, 2)
    tags[0, 0, 0, 0], tags[0, 0, 0, 1] = 0.0, 1.0  # person 0: mean 0.5
    tags[0, 0, 1, 0] = 2.0  # person 1
    idx = torch.zeros(1, 30, 2, 2, dtype=torch.long)
    idx[0, 0, 0] = torch.tensor([0, 1])
    idx[0, 0, 1] = torch.tensor([1, 1])
    idx[0, 1, 0] = torch.tensor([2, 1])
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss',
                             with_ae_loss=(True, )))
    out = torch.cat([torch.zeros(1, 2, 2, 2), tags], dim=1)
    hm, push, pull = loss.forward_per_image([out], [torch.zeros(1, 2, 2, 2)],
                                            None, idx)
    np.testing.assert_allclose(push[0].item(),
                               1e-3 * 0.5 * np.exp(-1.5**2), rtol=1e-6)
    np.testing.assert_allclose(pull[0].item(), 1e-3 * (0.25 + 0) / 2,
                               rtol=1e-6)


def test_gradients_reach_every_level(train_targets_losses):
    d = train_targets_losses
    outs, hms, masks, idx = _inputs(d)
    outs = [o.clone().requires_grad_(True) for o in outs]
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss'))
    losses = loss(outs, hms, masks, idx)
    sum(losses.values()).backward()
    K = 17
    assert outs[0].grad[:, :K].abs().sum() > 0
    assert outs[0].grad[:, K:].abs().sum() > 0  # tags
    assert outs[1].grad.abs().sum() > 0
