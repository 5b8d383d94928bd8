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


# ---------------------------------------------------------------------------
# the batched associative-embedding loss against the per-image loop it
# replaced (kept here as the reference)

def _reference_ae_loss(tags, keypoint_indices, ae_loss_type='exp'):
    """The former ``ae_loss``: one image at a time, skipping people with no
    valid joint, host syncs included."""
    pulls, pushes = [], []
    for b in range(tags.shape[0]):
        flat = tags[b].reshape(-1)
        idx = keypoint_indices[b][..., 0].long()
        valid = keypoint_indices[b][..., 1] > 0
        idx = torch.where(valid, idx, torch.zeros_like(idx))
        vals = flat[idx]
        validf = valid.to(flat.dtype)
        counts = validf.sum(dim=1)
        has = counts > 0
        zero = flat.sum() * 0
        if not bool(has.any()):
            pulls.append(zero)
            pushes.append(zero)
            continue
        vals, validf, counts = vals[has], validf[has], counts[has]
        means = (vals * validf).sum(dim=1) / counts
        pull = ((((vals - means[:, None])**2) * validf).sum(dim=1) /
                counts).mean()
        num = means.shape[0]
        if num < 2:
            pulls.append(pull)
            pushes.append(zero)
            continue
        diff = means[None, :] - means[:, None]
        if ae_loss_type == 'exp':
            push = torch.exp(-diff**2).sum() - num
        else:
            push = torch.clamp(1 - diff.abs(), min=0).sum() - num
        pulls.append(pull)
        pushes.append(push / ((num - 1) * num) * 0.5)
    return torch.stack(pulls), torch.stack(pushes)


def _random_batch(people, K=17, H=16, W=20, M=30, tag_per_keypoint=True,
                  seed=0):
    """Tags (B, T, H, W) and codec-style indices (B, M, K, 2): image b has
    ``people[b]`` people, each with some joints not visible (one person
    with none)."""
    g = torch.Generator().manual_seed(seed)
    T = K if tag_per_keypoint else 1
    tags = torch.randn(len(people), T, H, W, generator=g)
    idx = torch.zeros(len(people), M, K, 2, dtype=torch.long)
    for b, n in enumerate(people):
        k = torch.arange(K) if tag_per_keypoint else torch.zeros(K).long()
        pix = torch.randint(0, H * W, (n, K), generator=g)
        idx[b, :n, :, 0] = k * H * W + pix
        idx[b, :n, :, 1] = (torch.rand(n, K, generator=g) < 0.6).long()
        if n >= 3:
            idx[b, 2, :, 1] = 0  # a person with no visible joint
    return tags, idx


@pytest.mark.parametrize('ae_loss_type', ['exp', 'max'])
@pytest.mark.parametrize('tag_per_keypoint', [True, False])
def test_batched_ae_loss_equals_the_per_image_loop(ae_loss_type,
                                                   tag_per_keypoint):
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss',
                             ae_loss_type=ae_loss_type))
    tags, idx = _random_batch([0, 1, 2, 3, 7, 30],
                              tag_per_keypoint=tag_per_keypoint)
    tags.requires_grad_(True)
    pull, push = loss.ae_loss(tags, idx)
    (pull.sum() + push.sum()).backward()
    grad = tags.grad.clone()
    tags.grad = None
    ref_pull, ref_push = _reference_ae_loss(tags, idx, ae_loss_type)
    (ref_pull.sum() + ref_push.sum()).backward()
    torch.testing.assert_close(pull, ref_pull, rtol=0, atol=1e-6)
    torch.testing.assert_close(push, ref_push, rtol=0, atol=1e-6)
    torch.testing.assert_close(grad, tags.grad, rtol=0, atol=1e-6)
    assert pull[0] == 0 and push[0] == 0 and push[1] == 0  # 0 and 1 people
    assert push[2] > 0


def test_per_image_indices_of_different_lengths_are_padded():
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss'))
    tags, idx = _random_batch([2, 5, 0])
    ragged = [idx[0, :2], idx[1, :5], idx[2, :0]]
    for got, ref in zip(loss.ae_loss(tags, ragged),
                        _reference_ae_loss(tags, idx)):
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-6)


def test_one_ae_level_only():
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss',
                             with_ae_loss=(True, True)))
    outs, hms, idx = _perfect()
    with pytest.raises(AssertionError, match='exactly one level'):
        loss(outs, hms, None, idx)


def test_losses_are_fp32_under_bf16_autocast():
    """bf16 predictions under autocast: the losses are those of fp32 on the
    same (bf16-rounded) predictions, with the targets never rounded."""
    torch.manual_seed(0)
    loss = MODELS.build(dict(type='MultiResolutionHeatmapLoss'))
    tags, idx = _random_batch([0, 1, 4, 9], H=16, W=16)
    outs = [torch.cat([torch.rand(4, 17, 16, 16), tags], dim=1),
            torch.rand(4, 17, 32, 32)]
    hms = [torch.rand(4, 17, 16, 16), torch.rand(4, 17, 32, 32)]
    masks = [torch.ones(4, 16, 16), torch.ones(4, 32, 32)]
    half = [o.bfloat16() for o in outs]
    with torch.autocast('cpu', torch.bfloat16):
        got = loss(half, hms, masks, idx)
    want = loss([h.float() for h in half], hms, masks, idx)
    for k in want:
        assert got[k].dtype == torch.float32, k
        torch.testing.assert_close(got[k], want[k], rtol=1e-6, atol=1e-9)
    # casting the targets down instead would have changed the heatmap loss
    rounded = loss([h.float() for h in half], [h.bfloat16().float()
                                               for h in hms], masks, idx)
    assert (rounded['loss_heatmap'] - want['loss_heatmap']).abs() > 1e-6


def test_head_loss_is_one_graph(target_pipeline):
    """``torch._dynamo.explain`` of the head's ``loss``: no graph break (no
    host sync, no data-dependent branch)."""
    import torch._dynamo
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, deconv_channels=(8, ),
                             num_basic_blocks=1))
    samples = []
    rng = np.random.default_rng(0)
    pipeline = target_pipeline((64, 48))
    for n in (0, 1, 3, 5):
        results = dict(
            img=np.zeros((48, 64, 3), np.uint8), img_shape=(48, 64),
            ori_shape=(48, 64), input_size=(64, 48),
            keypoints=rng.uniform(0, 48, (n, 17, 2)),
            keypoints_visible=(rng.random((n, 17)) < 0.7).astype(np.float32),
            invalid_segs=[])
        for t in pipeline:
            results = t(results)
        samples.append(results['data_samples'])
    feats = (torch.randn(4, 8, 12, 16), )
    torch._dynamo.reset()
    explained = torch._dynamo.explain(head.loss)(feats, samples)
    assert explained.graph_break_count == 0, explained.break_reasons
