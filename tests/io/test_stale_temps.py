"""Atomic writes leave nothing behind: a killed save's temporary file is removed by the next write of the same
target, and a failed RecordIO write removes its temporary files (the target keeps what it had)."""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time

import pytest

import unidl_mxnet as mx
from unidl.io import atomic


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_the_next_write_removes_a_dead_writers_temp_file_and_keeps_a_live_ones(tmp_path):
    target = tmp_path / "model.params"
    dead = tmp_path / f".model.params.unidl-{_dead_pid()}-abc.tmp"
    live = tmp_path / f".model.params.unidl-{os.getppid()}-def.tmp"     # a running process's write in progress
    other = tmp_path / f".other.params.unidl-{_dead_pid()}-ghi.tmp"     # another target's: not ours to touch
    for f in (dead, live, other):
        f.write_bytes(b"partial")
    atomic.write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert not dead.exists() and live.exists() and other.exists()


def test_a_day_old_temp_file_is_stale_whoever_wrote_it(tmp_path):
    old = tmp_path / f".m.keras.unidl-{os.getppid()}-x.tmp"
    old.write_bytes(b"x")
    t = time.time() - atomic.STALE_AFTER_S - 10
    os.utime(old, (t, t))
    assert atomic.remove_stale_temps(tmp_path / "m.keras") == 1 and not old.exists()


@pytest.mark.skipif(os.name != "posix", reason="kills a child process with SIGKILL")
def test_a_killed_save_leaves_a_temp_file_that_the_next_save_removes(tmp_path):
    target = tmp_path / "w.weights.h5"
    code = ("import os, sys, time\nfrom unidl.io import atomic\n"
            "os.fsync = lambda fd: (print('writing', flush=True), time.sleep(60))\n"
            "atomic.write_bytes_atomic(sys.argv[1], b'x' * 100000)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "writing"
    p.send_signal(signal.SIGKILL)
    p.wait()
    left = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(left) == 1 and not target.exists()
    atomic.write_bytes_atomic(target, b"ok")
    assert os.listdir(tmp_path) == ["w.weights.h5"] and target.read_bytes() == b"ok"


class _FullDisk:
    """A file object whose writes fail as on a full disk after ``n`` bytes."""

    def __init__(self, f, n):
        self.f, self.n = f, n

    def write(self, b):
        if len(b) > self.n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.n -= len(b)
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.mark.parametrize("indexed", [False, True])
def test_recordio_on_a_full_disk_raises_and_leaves_no_temp_file(tmp_path, indexed):
    rec_path = tmp_path / "data.rec"
    rec_path.write_bytes(b"old")
    if indexed:
        w = mx.recordio.MXIndexedRecordIO(str(tmp_path / "data.idx"), str(rec_path), "w")
    else:
        w = mx.recordio.MXRecordIO(str(rec_path), "w")
    w.write(b"a" * 16) if not indexed else w.write_idx(0, b"a" * 16)
    w._file = _FullDisk(w._file, 10)
    with pytest.raises(mx.base.MXNetError, match=r"cannot write .*data.rec.*No space left"):
        w.write(b"b" * 64) if not indexed else w.write_idx(1, b"b" * 64)
    w.close()
    assert sorted(os.listdir(tmp_path)) == ["data.rec"] and rec_path.read_bytes() == b"old"
