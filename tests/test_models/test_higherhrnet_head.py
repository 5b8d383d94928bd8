"""Tests of HigherHRNetHead (architecture, shapes, losses, gradients)."""
import json

import numpy as np
import pytest
import torch

import higherhrnet_plugin  # noqa: F401
from mmpose.registry import MODELS

def hrnet_extra(w, blocks=4, modules=(1, 4, 3)):
    return dict(
        stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                    num_blocks=(4, ), num_channels=(64, )),
        stage2=dict(num_modules=modules[0], num_branches=2, block='BASIC',
                    num_blocks=(blocks, ) * 2, num_channels=(w, 2 * w)),
        stage3=dict(num_modules=modules[1], num_branches=3, block='BASIC',
                    num_blocks=(blocks, ) * 3,
                    num_channels=(w, 2 * w, 4 * w)),
        stage4=dict(num_modules=modules[2], num_branches=4, block='BASIC',
                    num_blocks=(blocks, ) * 4,
                    num_channels=(w, 2 * w, 4 * w, 8 * w),
                    multiscale_output=False))


def build_model(w, blocks=4, modules=(1, 4, 3), **head_kwargs):
    backbone = MODELS.build(
        dict(type='HRNet', in_channels=3,
             extra=hrnet_extra(w, blocks, modules)))
    cfg = dict(type='HigherHRNetHead', in_channels=w, num_keypoints=17,
               deconv_channels=(w, ))
    cfg.update(head_kwargs)
    return backbone, MODELS.build(cfg)


def n_params(*modules):
    return sum(p.numel() for m in modules for p in m.parameters())


@pytest.mark.parametrize('width,expected', [(32, 28_645_331),
                                            (48, 63_827_139)])
def test_param_count(width, expected):
    backbone, head = build_model(width)
    assert n_params(backbone, head) == expected


@pytest.mark.parametrize('width,name', [
    (32, 'official_higherhrnet_w32_512_keys.json'),
    (48, 'official_higherhrnet_w48_640_keys.json')])
def test_state_dict_matches_original_names(width, name, shared_reference):
    ref = json.loads((shared_reference / name).read_text())
    backbone, head = build_model(width)
    ours = {k: list(v.shape) for k, v in head.state_dict().items()}
    ours.update({k: list(v.shape) for k, v in backbone.state_dict().items()})
    assert ours == {k: list(v) for k, v in ref.items()}


@pytest.mark.parametrize('h,w', [(32, 32), (40, 24), (17, 23), (13, 50)])
def test_head_shapes(h, w):
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, deconv_channels=(8, ),
                             num_basic_blocks=1))
    feats = (torch.randn(2, 8, h, w), )
    with torch.no_grad():
        outs = head(feats)
    assert [tuple(o.shape) for o in outs] == [(2, 34, h, w),
                                              (2, 17, 2 * h, 2 * w)]


def test_head_options():
    feats = (torch.randn(1, 8, 10, 12), )
    # single tag map
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, tag_per_keypoint=False,
                             deconv_channels=(8, ), num_basic_blocks=1))
    assert head.deconv_layers[0][0][0].in_channels == 8 + 18
    outs = head(feats)
    assert [o.shape[1] for o in outs] == [18, 17]
    # plain HRNet + AE baseline
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, num_deconv_layers=0))
    outs = head(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 34, 10, 12)]
    # two deconvs, no concatenation on the second, AE on level 1 too
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, num_deconv_layers=2,
                             deconv_channels=(8, 4), cat_output=(True, False),
                             with_ae_loss=(True, True, False),
                             num_basic_blocks=1))
    assert head.deconv_layers[1][0][0].in_channels == 8
    outs = head(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 34, 10, 12),
                                              (1, 34, 20, 24),
                                              (1, 17, 40, 48)]


@pytest.mark.parametrize('h,w', [(128, 192), (96, 160), (224, 96)])
def test_full_model_shapes(h, w):
    """Sizes multiples of 32 (HRNet's own constraint), not all of 64."""
    backbone, head = build_model(8, blocks=1, modules=(1, 1, 1),
                                 num_basic_blocks=1)
    backbone.eval()
    head.eval()
    with torch.no_grad():
        outs = head(backbone(torch.randn(1, 3, h, w)))
    assert [tuple(o.shape) for o in outs] == [(1, 34, h // 4, w // 4),
                                              (1, 17, h // 2, w // 2)]


def test_tiny_original_model_equivalence(shared_reference):
    ref = torch.load(shared_reference / 'official_tiny_model_seed7.pth',
                     weights_only=False)
    arch = ref['arch']
    extra = dict(stage1=dict(num_modules=1, num_branches=1,
                             block=arch['stage1']['block'],
                             num_blocks=tuple(arch['stage1']['num_blocks']),
                             num_channels=tuple(
                                 arch['stage1']['num_channels'])))
    for i, name in enumerate(('stage2', 'stage3', 'stage4')):
        ch = arch['stage_channels'][i]
        extra[name] = dict(num_modules=arch['stage_modules'][i],
                           num_branches=len(ch), block='BASIC',
                           num_blocks=tuple(arch['stage_blocks'][i]),
                           num_channels=tuple(ch))
    extra['stage4']['multiscale_output'] = False
    backbone = MODELS.build(dict(type='HRNet', in_channels=3, extra=extra))
    head = MODELS.build(dict(
        type='HigherHRNetHead', in_channels=arch['stage_channels'][-1][0],
        num_keypoints=arch['num_joints'],
        tag_per_keypoint=arch['tag_per_joint'],
        deconv_channels=tuple(arch['deconv_channels']),
        deconv_kernel_size=arch['deconv_kernel'][0],
        cat_output=tuple(arch['cat_output']),
        num_basic_blocks=arch['num_basic_blocks'],
        with_ae_loss=tuple(arch['with_ae'])))
    sd = ref['state_dict']
    head_sd = {k: v for k, v in sd.items()
               if k.startswith(('final_layers.', 'deconv_layers.'))}
    bb_sd = {k: v for k, v in sd.items() if k not in head_sd}
    backbone.load_state_dict(bb_sd, strict=True)
    head.load_state_dict(head_sd, strict=True)
    backbone.eval()
    head.eval()
    with torch.no_grad():
        outs = head(backbone(ref['input']))
    assert len(outs) == len(ref['outputs'])
    for o, e in zip(outs, ref['outputs']):
        assert o.shape == e.shape
        torch.testing.assert_close(o, e, atol=1e-5, rtol=1e-5)


def _data_samples(build_pipeline, input_size=(64, 48), num_people=3,
                  seed=0):
    """Two packed training samples of random people (``build_pipeline``:
    the ``target_pipeline`` fixture)."""
    pipeline = build_pipeline(input_size)
    rng = np.random.default_rng(seed)
    w, h = input_size
    samples = []
    for _ in range(2):
        results = dict(
            img=np.zeros((h, w, 3), np.uint8), img_shape=(h, w),
            ori_shape=(h, w), input_size=input_size,
            keypoints=rng.uniform(0, min(w, h), (num_people, 17, 2)),
            keypoints_visible=np.ones((num_people, 17), np.float32),
            invalid_segs=[[[0, 0, 16, 0, 16, 16, 0, 16]]])
        for t in pipeline:
            results = t(results)
        samples.append(results['data_samples'])
    return samples


def test_loss_and_gradients_reach_every_level(target_pipeline):
    torch.manual_seed(0)
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, deconv_channels=(8, ),
                             num_basic_blocks=1))
    head.init_weights()
    samples = _data_samples(target_pipeline)
    feats = (torch.randn(2, 8, 12, 16, requires_grad=True), )
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_heatmap', 'loss_push', 'loss_pull'}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None, name
    for i in range(2):
        assert head.final_layers[i].weight.grad.abs().sum() > 0
    assert head.deconv_layers[0][0][0].weight.grad.abs().sum() > 0
    assert feats[0].grad.abs().sum() > 0


def test_loss_matches_loss_module(target_pipeline):
    """Head.loss reads level targets/masks/indices as the module expects."""
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, deconv_channels=(8, ),
                             num_basic_blocks=1))
    samples = _data_samples(target_pipeline)
    feats = (torch.randn(2, 8, 12, 16), )
    with torch.no_grad():
        losses = head.loss(feats, samples)
        outs = head(feats)
    hms = [torch.stack([s.gt_fields[i].heatmaps for s in samples])
           for i in range(2)]
    masks = [torch.stack([s.gt_fields[i].heatmap_mask for s in samples])
             for i in range(2)]
    assert masks[0].shape == (2, 12, 16) and masks[1].shape == (2, 24, 32)
    assert masks[0].min() == 0 and masks[1].min() == 0
    idx = torch.stack(
        [s.gt_instance_labels.keypoint_indices for s in samples])
    hm, push, pull = head.loss_module.forward_per_image(
        outs, hms, masks, idx)
    torch.testing.assert_close(losses['loss_heatmap'],
                               hm[0].mean() + hm[1].mean())
    torch.testing.assert_close(losses['loss_push'], push[0].mean())
    torch.testing.assert_close(losses['loss_pull'], pull[0].mean())



def test_bottomup_estimator_loss_step(target_pipeline):
    """The head works inside MMPose's BottomupPoseEstimator (mode='loss')."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    model = MODELS.build(dict(
        type='BottomupPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor'),
        backbone=dict(type='HRNet', in_channels=3,
                      extra=hrnet_extra(8, blocks=1, modules=(1, 1, 1))),
        head=dict(type='HigherHRNetHead', in_channels=8, num_keypoints=17,
                  deconv_channels=(8, ), num_basic_blocks=1)))
    samples = _data_samples(target_pipeline, input_size=(64, 64))
    data = model.data_preprocessor(
        dict(inputs=[torch.zeros(3, 64, 64, dtype=torch.uint8)] * 2,
             data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_heatmap', 'loss_push', 'loss_pull'}
    sum(losses.values()).backward()


def test_head_hands_with_ae_loss_to_its_loss():
    head = MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                             num_keypoints=17, num_deconv_layers=0,
                             with_ae_loss=(True, )))
    assert head.loss_module.with_ae_loss == (True, )
    with pytest.raises(ValueError, match='with_ae_loss on the head'):
        MODELS.build(dict(type='HigherHRNetHead', in_channels=8,
                          num_keypoints=17,
                          loss=dict(type='MultiResolutionHeatmapLoss',
                                    with_ae_loss=(True, False))))
