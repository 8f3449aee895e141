"""``unidl.io.atomic.write_bytes_atomic``: whole file or nothing, and errors that name the user's path."""
from __future__ import annotations

import os

import pytest

from unidl.io.atomic import write_bytes_atomic


def test_writes_and_replaces_whole_file(tmp_path):
    p = tmp_path / "w.bin"
    write_bytes_atomic(p, b"first")
    write_bytes_atomic(str(p), b"second!")
    assert p.read_bytes() == b"second!"
    assert os.listdir(tmp_path) == ["w.bin"]  # no temporary file left behind


def test_missing_folder_names_the_folder_not_a_temporary_file(tmp_path):
    target = tmp_path / "nodir" / "x.params"
    with pytest.raises(FileNotFoundError) as ei:
        write_bytes_atomic(target, b"data")
    msg = str(ei.value)
    assert f"folder '{tmp_path / 'nodir'}' does not exist" in msg and str(target) in msg
    assert ".tmp" not in msg and not (tmp_path / "nodir").exists()


def test_target_that_is_a_folder_is_refused_and_left_alone(tmp_path):
    target = tmp_path / "model.keras"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as ei:
        write_bytes_atomic(target, b"data")
    assert str(target) in str(ei.value) and ".tmp" not in str(ei.value)
    assert target.is_dir() and os.listdir(tmp_path) == ["model.keras"]
