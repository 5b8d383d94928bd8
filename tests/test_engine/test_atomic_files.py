"""write_atomic: the old content or the new, never a mix; the file mode an
ordinary write would give; no temporary file left behind."""
import errno
import os
import stat

import pytest
from mmengine.fileio import get_file_backend

from higherhrnet_plugin.engine import write_atomic


def test_replaces_content_with_the_usual_mode_and_no_leftovers(tmp_path):
    target = tmp_path / 'sub' / 'ckpt.pth'
    write_atomic(target, b'old')
    write_atomic(target, b'new')
    assert target.read_bytes() == b'new'
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in target.parent.iterdir()) == ['ckpt.pth']


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / 'ckpt.pth'
    write_atomic(target, b'old')
    write = os.write

    def full_disk(fd, data):
        write(fd, bytes(data[:1]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, 'write', full_disk)
    with pytest.raises(OSError, match='No space left'):
        write_atomic(target, b'new content')
    monkeypatch.undo()
    assert target.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['ckpt.pth']


def test_a_killed_writes_temporary_file_goes_at_the_next_write(tmp_path):
    target = tmp_path / 'ckpt.pth'
    stale = tmp_path / '.ckpt.pth.12345.tmp'  # what a SIGKILL leaves
    stale.write_bytes(b'half')
    write_atomic(target, b'new')
    assert not stale.exists() and target.read_bytes() == b'new'


def test_the_atomic_local_file_backend(tmp_path):
    backend = get_file_backend(str(tmp_path),
                               backend_args=dict(backend='atomic_local'))
    backend.put(b'bytes', tmp_path / 'a.pth')
    backend.put_text('text', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'a.pth').read_bytes() == b'bytes'
    assert backend.get_text(tmp_path / 'last_checkpoint') == 'text'
