"""tools/analysis/check_gpu.py on the CPU with the demo config (every check
that runs without a GPU), the verdict rules of
higherhrnet_plugin.analysis.gpu_check, and the tool's one-line errors."""
import json
import runpy

import pytest
import torch
from mmengine.config import Config

from higherhrnet_plugin.analysis import gpu_check
from higherhrnet_plugin.analysis import test_throughput
from repo_paths import DEMO_CONFIG, REPO

TOOL = runpy.run_path(str(REPO / 'tools/analysis/check_gpu.py'))

# 14 keypoints (the file name carries the batch, which may change)
CROWDPOSE = next((REPO / 'configs/higherhrnet/crowdpose').glob(
    'higherhrnet_hrnet-w32_*_crowdpose-512x512.py'))
CPU = torch.device('cpu')
# the smallest run: two iterations (one timed) of batch 2, two val images
SMALL = ['--device', 'cpu', '--iters', '2', '--test-images', '2',
         '--decode-people', '2', '--image-size', '128', '96',
         '--cfg-options', 'train_dataloader.batch_size=2',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False']


@pytest.fixture(scope='module')
def cpu_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('check_gpu') / 'check.json'
    code = TOOL['main']([str(DEMO_CONFIG), '--json', str(out), *SMALL])
    return code, json.loads(out.read_text())


def test_every_check_runs_and_passes_on_the_cpu(cpu_run):
    code, result = cpu_run
    checks = {c['name']: c for c in result['checks']}
    assert list(checks) == [
        'train fp32', 'memory fp32', 'speed fp32', 'train amp',
        'memory amp', 'speed amp', 'batch 1 vs 2, TF32 on',
        'batch 1 vs 2, TF32 off', 'decoder'
    ], [c['message'] for c in result['checks'] if c['verdict'] == 'FAIL']
    assert code == 0 and all(c['verdict'] == 'OK' for c in checks.values())
    assert result['environment']['batch_size'] == 2
    for precision in ('fp32', 'amp'):
        losses = checks[f'train {precision}']['details']['losses']
        assert len(losses) == 2 and all(loss > 0 for loss in losses)
        assert checks[f'memory {precision}']['message'] == 'n/a on CPU'
        assert 0 <= checks[f'speed {precision}']['details'][
            'data_wait_share'] < 1
    assert 'bfloat16 autocast on the CPU' in checks['train amp']['message']
    # the same weights and first batch in both passes
    first = checks['train amp']['details']['losses'][0]
    assert first == pytest.approx(
        checks['train fp32']['details']['losses'][0], rel=0.05)
    for tf32 in ('on', 'off'):
        row = checks[f'batch 1 vs 2, TF32 {tf32}']
        assert row['details']['identical_poses']
        assert row['details']['max_heatmap_diff'] == 0
        assert row['details']['people'] > 0
        assert 'no-ops on the CPU' in row['message']
    assert set(checks['decoder']['details']['stage_ms']) == {
        'nms', 'top-k', 'matching', 'adjust', 'refine'}
    assert 'same people' in checks['decoder']['message']


def test_amp_forward_runs_in_bfloat16_on_the_cpu_whatever_the_config():
    model = torch.nn.Conv2d(3, 4, 3)
    # the config's wrapper type and loss scale are not ours to follow
    optim = Config(dict(type='AmpOptimWrapper', loss_scale='dynamic',
                        optimizer=dict(type='SGD', lr=0.1)))
    fp32 = gpu_check.build_precision_wrapper(model, optim, 'fp32', CPU)
    amp = gpu_check.build_precision_wrapper(model, optim, 'amp', CPU)
    assert type(fp32).__name__ == 'OptimWrapper'
    assert isinstance(amp, gpu_check.CPUAutocastOptimWrapper)
    assert isinstance(amp.optimizer, torch.optim.SGD)
    x = torch.randn(1, 3, 8, 8)
    with fp32.optim_context(model):
        assert model(x).dtype == torch.float32
    with amp.optim_context(model):
        out = model(x)
    assert out.dtype == torch.bfloat16
    amp.update_params(out.float().mean())
    assert model.weight.dtype == torch.float32


def _run(losses, wait=(0.5, 0.01, 0.01), step=(1., 1., 1.)):
    return dict(losses=losses, wait_s=list(wait), step_s=list(step),
                peak_bytes=None, loss_scale=None)


def _verdicts(checks):
    return {c.name: c.verdict for c in checks}


def test_training_verdicts():
    cfg = Config(dict(train_dataloader=dict(batch_size=4, num_workers=1)))
    ok = gpu_check.training_checks(_run([1., .9, .8]), 'fp32', CPU, cfg,
                                   None)
    assert _verdicts(ok) == {'train fp32': 'OK', 'memory fp32': 'OK',
                             'speed fp32': 'OK'}
    assert '(decreased)' in ok[0].message
    nan = gpu_check.training_checks(_run([1., float('nan'), .8]), 'amp',
                                    CPU, cfg, 1.)
    assert nan[0].verdict == 'FAIL' and 'iteration 2' in nan[0].message
    far = gpu_check.training_checks(_run([1.2, 1., .9]), 'amp', CPU, cfg,
                                    1.)
    assert far[0].verdict == 'WARN' and '20.00%' in far[0].message
    # the first iteration (worker start) is left out of the data wait
    assert ok[2].details['data_wait_share'] == pytest.approx(0.02 / 2.02)
    slow = gpu_check.training_checks(
        _run([1., .9, .8], wait=(0., .5, .5)), 'fp32', CPU, cfg, None)
    assert slow[2].verdict == 'WARN' and 'num_workers' in slow[2].message


@pytest.mark.parametrize('identical, diff, tf32_off_verdict', [
    (True, 0., 'OK'), (False, 1e-6, 'WARN'), (False, 1e-2, 'FAIL')])
def test_batch_verdicts(monkeypatch, identical, diff, tf32_off_verdict):
    def fake(model, items, batch_sizes, options, with_original):
        row = dict(identical_poses=identical, max_heatmap_diff=diff,
                   images_per_s=1.)
        return dict(people=3, variants={'batch 2': row})
    monkeypatch.setattr(test_throughput, 'benchmark_test', fake)
    on, off = gpu_check.batch_checks(None, [{}, {}], CPU)
    assert off.verdict == tf32_off_verdict
    # 1e-2 is within TF32's rounding, not within fp32's
    assert on.verdict == ('OK' if identical else 'WARN')


def test_decoder_fails_when_torch_and_numpy_maps_disagree(monkeypatch):
    from higherhrnet_plugin.codecs import AssociativeEmbeddingCodec
    from higherhrnet_plugin.codecs import dense_maps_torch

    class Halved(dense_maps_torch.TorchMaps):
        def __init__(self, heatmaps, tags, nms_kernel=5):
            super().__init__(heatmaps * 0.5, tags, nms_kernel)
    codec = AssociativeEmbeddingCodec(input_size=(128, 128))
    assert gpu_check.decoder_check(codec, 17, CPU, 2).verdict == 'OK'
    monkeypatch.setattr(dense_maps_torch, 'TorchMaps', Halved)
    check = gpu_check.decoder_check(codec, 17, CPU, 2)
    assert check.verdict == 'FAIL' and 'different people' in check.message


def test_out_of_memory_and_errors_are_one_fail_each():
    def oom():
        raise torch.cuda.OutOfMemoryError('CUDA out of memory. Tried 2 GiB')

    def broken():
        raise KeyError('loss')
    (check, ) = gpu_check._guarded('train fp32', oom, 'lower the batch')
    assert check.line() == ('FAIL train fp32: out of memory (CUDA out of '
                            'memory. Tried 2 GiB); lower the batch')
    (check, ) = gpu_check._guarded('decoder', broken, 'fewer people')
    assert check.line() == "FAIL decoder: KeyError: 'loss'"


def test_generated_data_takes_the_configs_keypoints(tmp_path):
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    cfg = Config.fromfile(str(CROWDPOSE))
    cfg.train_dataloader.batch_size = 2
    data = gpu_check.make_data(cfg, str(tmp_path), 14, (128, 96), 2)
    assert data.train_dataloader.sampler.type == 'InfiniteSampler'
    dataset = DATASETS.build(data.train_dataloader.dataset)
    assert len(dataset) == 2
    assert dataset.metainfo['dataset_name'] == 'crowdpose'
    item = dataset[0]
    assert item['data_samples'].gt_fields[0].heatmaps.shape[0] == 14
    with pytest.raises(ValueError, match='num_keypoints: 18'):
        gpu_check.make_data(cfg, str(tmp_path / 'x'), 18, (128, 96), 2)


def test_resolve_device():
    assert gpu_check.resolve_device('cpu') == CPU
    with pytest.raises(ValueError, match='--device tpu'):
        gpu_check.resolve_device('tpu')
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='use --device cpu'):
            gpu_check.resolve_device('cuda:0')


@pytest.mark.parametrize('args, message', [
    (['no/such.py'], 'config not found: no/such.py'),
    ([str(DEMO_CONFIG), '--iters', '1'], '--iters must be >= 2'),
    ([str(DEMO_CONFIG), '--test-images', '1'], '--test-images must be >= 2'),
])
def test_bad_arguments_are_one_line_errors(capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        TOOL['parse_args'](args)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]


def test_config_without_our_codec_is_a_one_line_error():
    with pytest.raises(SystemExit) as exc:
        TOOL['main']([str(DEMO_CONFIG), '--device', 'cpu', '--cfg-options',
                        'model.head.decoder=None'])
    assert 'AssociativeEmbeddingCodec' in str(exc.value)
    assert str(exc.value).startswith(f'check_gpu: {DEMO_CONFIG}: ')
