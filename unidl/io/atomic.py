"""Atomic file writes: write a temporary file beside the target, then rename it into place."""
from __future__ import annotations

import errno
import os
import tempfile
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]


def _new_file_mode() -> int:
    """0o666 less the process umask: the mode ``open(path, "w")`` gives a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one.

    On any failure the temporary file is removed and nothing at ``path`` changes.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    # name the user's path in the error, not the temporary file's
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"folder {directory!r} does not exist", path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    fd, tmp = tempfile.mkstemp(prefix=".unidl-", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, _new_file_mode())  # mkstemp makes 0600; a saved model gets what open() would give it
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
