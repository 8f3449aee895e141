"""Atomic file writes: write a temporary file beside the target, then rename it into place."""
from __future__ import annotations

import errno
import os
import tempfile
import time
from typing import Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]


def _new_file_mode() -> int:
    """0o666 less the process umask: the mode ``open(path, "w")`` gives a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _temp_prefix(path: str) -> str:
    """Temporary files of ``path`` are ``.<name>.unidl-<pid>-<random>.tmp`` beside it (the name cut to keep the
    whole within file-name limits), so a later write can tell its own target's leftovers and their writer."""
    return f".{os.path.basename(path)[:120]}.unidl-"


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True   # no harmless liveness probe there (os.kill would end the process): age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True   # e.g. another user's process
    return True


STALE_AFTER_S = 24 * 3600


def remove_stale_temps(path: PathLike) -> int:
    """Remove the temporary files earlier writes of ``path`` left behind (their process was killed): those
    whose writer process is gone, or older than a day. Returns how many were removed."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _temp_prefix(path)
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    now = time.time()
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid_text = name[len(prefix):].split("-", 1)[0]
        full = os.path.join(directory, name)
        try:
            pid = int(pid_text)
            old = now - os.stat(full).st_mtime > STALE_AFTER_S
        except (ValueError, OSError):
            continue
        if pid != os.getpid() and (old or not _alive(pid)):
            try:
                os.unlink(full)
                removed += 1
            except OSError:
                pass
    return removed


def open_temp(path: PathLike) -> Tuple[int, str]:
    """A new temporary file beside ``path`` for an atomic write of it, after removing the stale ones of
    earlier writes: ``(fd, temporary path)``, mode as ``open(path, "w")`` would give a new file."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}-", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, _new_file_mode())  # mkstemp makes 0600; a saved model gets what open() would give it
    except BaseException:
        os.close(fd)
        discard(tmp)
        raise
    return fd, tmp


def discard(tmp: str) -> None:
    """Remove a temporary file (on an error path: never raises)."""
    try:
        os.unlink(tmp)
    except OSError:
        pass


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    On any failure the temporary file is removed and nothing at ``path`` changes; temporary files that
    earlier, killed writes of ``path`` left are removed first.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    # name the user's path in the error, not the temporary file's
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"folder {directory!r} does not exist", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    fd, tmp = open_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        discard(tmp)
        raise
