"""The learning-curve PNG from fabricated MMEngine scalars logs."""
import json

import pytest

from higherhrnet_plugin.demo.learning_curve import (draw_learning_curve,
                                                     latest_scalars,
                                                     read_scalars)


def _write_run(work_dir, stamp, epochs, iters_per_epoch=4, ap0=0.1):
    """A scalars.json as LoggerHook writes it: a train row every other
    iteration (step = iteration), a val row every epoch (step = epoch)."""
    d = work_dir / stamp / 'vis_data'
    d.mkdir(parents=True)
    rows = []
    for e in range(1, epochs + 1):
        for i in range(2, iters_per_epoch + 1, 2):
            it = (e - 1) * iters_per_epoch + i
            rows.append(dict(lr=1e-3, loss=1. / it, loss_heatmap=0.5 / it,
                             loss_push=0.2 / e, loss_pull=0., time=0.5,
                             data_time=0.1, epoch=e, iter=it, step=it))
        rows.append({'coco/AP': ap0 * e, 'coco/AP .5': 0.5,
                     'coco/AP (M)': ap0 * e / 2, 'coco/AP (L)': -1.0,
                     'data_time': 0.1, 'time': 0.3, 'step': e})
    (d / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in rows))
    return d / 'scalars.json'


def test_read_scalars_epochs_and_means(tmp_path):
    path = _write_run(tmp_path, '20260101_000000', epochs=3)
    val, losses = read_scalars(str(path))
    assert val['coco/AP'] == [(1, 0.1), (2, 0.2), (3, pytest.approx(0.3))]
    assert [e for e, _ in val['coco/AP (M)']] == [1, 2, 3]
    assert 'coco/AP (L)' not in val  # -1: no large people
    assert set(losses) == {'loss', 'loss_heatmap', 'loss_push', 'loss_pull'}
    # epoch 2 logged iterations 6 and 8
    assert losses['loss'][1] == (2, pytest.approx((1 / 6 + 1 / 8) / 2))
    assert [e for e, _ in losses['loss_push']] == [1, 2, 3]


def test_latest_run_is_drawn_with_its_baseline(tmp_path):
    run = tmp_path / 'demo'
    _write_run(run, '20260101_000000', epochs=2)
    newest = _write_run(run, '20260102_000000', epochs=4)
    assert latest_scalars(str(run)) == str(newest)

    alone = draw_learning_curve(str(run), str(tmp_path / 'absent'),
                                out_file=str(tmp_path / 'alone.png'))
    base = tmp_path / 'demo_baseline'
    _write_run(base, '20260101_120000', epochs=4, ap0=0.05)
    both = draw_learning_curve(str(run), str(base))
    assert both == str(run / 'learning_curve.png')
    import matplotlib.image as mpimg
    a, b = mpimg.imread(alone), mpimg.imread(both)
    assert a.shape == b.shape and a.shape[0] > 300
    assert (a != b).any()  # the baseline's dashed lines and legend


def test_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match='no .*scalars.json'):
        draw_learning_curve(str(tmp_path))
    d = tmp_path / '20260101_000000' / 'vis_data'
    d.mkdir(parents=True)
    (d / 'scalars.json').write_text('{"loss": 1, "epoch": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r'scalars.json:2'):
        draw_learning_curve(str(tmp_path))
