"""Training faults through ``tools/train.py``: a NaN loss, kills at every
point of a checkpoint save, a full disk. None loses a checkpoint or leaves
one that ``--resume`` then picks broken (the exact-resume test is
test_resume_training.py)."""
from pathlib import Path

import pytest

from fault_hooks import KILL_POINTS
from group_teardown import groups_at_exit
from higherhrnet_plugin.engine import load_checkpoint_file
from tiny_training import last_line, run_tool, write_config


def _pointer(work_dir: Path) -> str:
    return (work_dir / 'last_checkpoint').read_text()


def _all_checkpoints_load(work_dir: Path) -> None:
    for path in work_dir.glob('*.pth'):
        load_checkpoint_file(str(path))  # raises on a truncated file


@pytest.mark.parametrize('poison_after,good,saved_before', [
    (3, 'epoch_1.pth', None),  # mid-epoch 2: epoch_1 is the latest
    (4, 'epoch_1.pth', 'epoch_2.pth'),  # epoch_2 saved the NaN weights
])
def test_a_nan_loss_stops_training_naming_the_last_good_checkpoint(
        synthetic_coco, tmp_path, poison_after, good, saved_before):
    # 2 images, batch 1: 2 iterations an epoch, a checkpoint each epoch
    cfg = write_config(
        tmp_path / 'cfg.py', synthetic_coco(2, 1), epochs=4, batch_size=1,
        hooks=[f"dict(type='PoisonWeightsHook', after_iter={poison_after})"])
    work = tmp_path / 'run'
    run = run_tool('train.py', cfg, '--work-dir', work, cwd=tmp_path)
    assert run.returncode == 1, run.stderr[-3000:]
    line = last_line(run)
    assert f'at iteration {poison_after + 1}; training stopped' in line, line
    assert 'nan' in line and f'last good checkpoint: {work / good}' in line
    assert _pointer(work) == str(work / good)
    kept = {p.name for p in work.glob('*.pth')}
    assert kept == {good} | ({saved_before} if saved_before else set())
    if saved_before:
        assert f'{work / saved_before}, saved just before' in line
    assert load_checkpoint_file(_pointer(work))['meta']['epoch'] == 1


def test_kills_during_saves_never_leave_a_checkpoint_resume_picks_broken(
        synthetic_coco, tmp_path):
    """Kill at each point of a save (one per run, epochs 2..6), resume each
    time: ``last_checkpoint`` always names a complete checkpoint, every
    ``.pth`` loads, and a last resume finishes the schedule."""
    data = synthetic_coco(2, 1)
    work = tmp_path / 'run'
    # the checkpoint `last_checkpoint` names after a kill at each point
    expected = dict(write=1, fsync=2, replace=3, pointer=4, remove=6)
    for epoch, point in enumerate(KILL_POINTS, start=2):
        cfg = write_config(
            tmp_path / f'{point}.py', data, epochs=7,
            hooks=[f"dict(type='KillDuringSaveHook', point={point!r}, "
                   f"epoch={epoch})"],
            max_keep_ckpts=1)
        resume = ['--resume'] if epoch > 2 else []
        run = run_tool('train.py', cfg, '--work-dir', work, *resume,
                       cwd=tmp_path)
        assert run.returncode == -9, (point, run.stderr[-3000:])
        assert _pointer(work) == str(work / f'epoch_{expected[point]}.pth')
        meta = load_checkpoint_file(_pointer(work))['meta']
        assert meta['epoch'] == expected[point], point
        _all_checkpoints_load(work)
    run = run_tool('train.py', write_config(tmp_path / 'last.py', data,
                                            epochs=7),
                   '--work-dir', work, '--resume', cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert 'resumed epoch: 6' in run.stdout + run.stderr
    assert _pointer(work) == str(work / 'epoch_7.pth')
    _all_checkpoints_load(work)
    # the temporary files of the killed saves were removed by later saves
    assert not list(work.glob('.*.tmp'))


def test_a_full_disk_during_a_save_keeps_the_previous_checkpoint(
        synthetic_coco, tmp_path):
    cfg = write_config(tmp_path / 'cfg.py', synthetic_coco(2, 1), epochs=3,
                       hooks=["dict(type='FullDiskDuringSaveHook', epoch=2)"])
    work = tmp_path / 'run'
    run = run_tool('train.py', cfg, '--work-dir', work, cwd=tmp_path)
    assert run.returncode == 1, run.stderr[-3000:]
    line = last_line(run)
    assert line == (f'cannot save checkpoint {work / "epoch_2.pth"}: No '
                    f'space left on device; {work / "epoch_1.pth"} is kept '
                    f'and {work / "last_checkpoint"} still names it'), line
    assert {p.name for p in work.glob('*.pth')} == {'epoch_1.pth'}
    assert not list(work.glob('.*.tmp'))
    assert _pointer(work) == str(work / 'epoch_1.pth')
    assert load_checkpoint_file(_pointer(work))['meta']['epoch'] == 1


def test_a_full_disk_on_rank_0_stops_every_rank_at_that_save(
        synthetic_coco, tmp_path):
    """Rank 0 alone writes checkpoints; under DDP its failed save stops both
    ranks with the one-line error, each closing its process group, instead of
    leaving rank 1 to train into an all-reduce that rank 0 never joins."""
    cfg = write_config(tmp_path / 'cfg.py', synthetic_coco(4, 1), epochs=3,
                       batch_size=1,
                       hooks=["dict(type='FullDiskDuringSaveHook', epoch=2)"])
    work = tmp_path / 'run'
    run = run_tool('train.py', cfg, '--work-dir', work, cwd=tmp_path,
                   ranks=2)
    assert run.returncode != 0, run.stderr[-3000:]
    error = (f'cannot save checkpoint {work / "epoch_2.pth"}: No space left '
             f'on device; {work / "epoch_1.pth"} is kept and '
             f'{work / "last_checkpoint"} still names it')
    # once from each rank (torchrun passes their stderr through unprefixed)
    assert run.stderr.count(error) == 2, run.stderr[-3000:]
    assert groups_at_exit(tmp_path / 'exit_probe') == {
        'rank0': 'destroyed', 'rank1': 'destroyed'}
    assert {p.name for p in work.glob('*.pth')} == {'epoch_1.pth'}
    assert _pointer(work) == str(work / 'epoch_1.pth')
