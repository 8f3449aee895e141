"""MXNet .params reader/writer: round trips, byte layout, legacy records, and hostile files."""
from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unidl.io import mxnet_params as mp
from unidl.testing.strategies import arrays, shapes

DTYPES = [np.float32, np.float64, np.float16, np.uint8, np.int32, np.int8, np.int64, np.bool_]


@given(data=st.data(), n=st.integers(0, 4), named=st.booleans())
@settings(max_examples=25)
def test_round_trip(data, n, named):
    arrs = [data.draw(arrays(data.draw(st.sampled_from(DTYPES)), shapes(min_dims=1, max_dims=3))) for _ in range(n)]
    names = [f"p{i}.weight" for i in range(n)] if named else None
    got, got_names = mp.loads(mp.dumps(arrs, names))
    assert got_names == names if named and n else got_names is None
    for a, b in zip(arrs, got):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_byte_layout_of_header_and_record():
    b = mp.dumps([np.array([[1, 2], [3, 4]], np.float32)], ["w"])
    magic, reserved, count = struct.unpack_from("<QQQ", b, 0)
    assert (magic, reserved, count) == (0x112, 0, 1)
    rec_magic, stype, ndim, d0, d1, dev_type, dev_id, flag = struct.unpack_from("<IiiqqiiI", b, 24)
    assert (rec_magic, stype, ndim, d0, d1, dev_type, dev_id, flag) == (0xF993FAC9, 0, 2, 2, 2, 1, 0, 0)
    data_at = 24 + struct.calcsize("<IiiqqiiI")
    assert np.frombuffer(b, "<f4", 4, data_at).tolist() == [1, 2, 3, 4]
    n_names, length = struct.unpack_from("<QQ", b, data_at + 16)
    assert (n_names, length, b[-1:]) == (1, 1, b"w")
    # the list save of FORMATS.md (verified against MXNet 1.9.1): float32 (2,2) + int64 (1,) is 128 bytes, K = 0
    assert len(mp.dumps([np.zeros((2, 2), np.float32), np.zeros(1, np.int64)])) == 128


def _record_v1(a):
    return struct.pack(f"<Ii{a.ndim}q", 0xF993FAC8, a.ndim, *a.shape) + struct.pack("<iii", 1, 0, 0) + a.tobytes()


def _record_v0(a):
    return struct.pack(f"<I{a.ndim}I", a.ndim, *a.shape) + struct.pack("<iii", 1, 0, 0) + a.tobytes()


def _record_v3(a):
    return struct.pack(f"<Iii{a.ndim}q", 0xF993FACA, 0, a.ndim, *a.shape) + struct.pack("<iii", 1, 0, 0) + a.tobytes()


@pytest.mark.parametrize("make", [_record_v0, _record_v1, _record_v3])
def test_reads_legacy_and_np_records(make):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    blob = struct.pack("<QQQ", 0x112, 0, 1) + make(a) + struct.pack("<Q", 0)
    (got,), names = mp.loads(blob)
    assert names is None
    np.testing.assert_array_equal(got, a)


def test_v3_scalar_is_zero_d():
    blob = struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<Iii", 0xF993FACA, 0, 0) + struct.pack("<iii", 1, 0, 0) \
        + np.float32(2.5).tobytes() + struct.pack("<Q", 0)
    (got,), _ = mp.loads(blob)
    assert got.shape == () and got == 2.5


@pytest.mark.parametrize("mutate,match", [
    (lambda b: b[:-3], "truncated"),
    (lambda b: b"\x00" + b[1:], "Invalid NDArray file format"),
    (lambda b: b[:16] + struct.pack("<Q", 2 ** 60) + b[24:], "array count"),
    (lambda b: b[:36] + struct.pack("<q", -2) + b[44:], "negative dimension"),
    (lambda b: b[:36] + struct.pack("<q", 2 ** 40) + b[44:], "needs"),
    (lambda b: b[:28] + struct.pack("<i", 1) + b[32:], "sparse"),
    (lambda b: b + b"junk", "unexpected bytes"),
])
def test_hostile_files_give_clear_errors(mutate, match):
    good = mp.dumps([np.ones((2, 2), np.float32)], ["w"])
    with pytest.raises(mp.ParamsFormatError, match=match):
        mp.loads(mutate(good))


def test_unknown_dtype_flag():
    good = bytearray(mp.dumps([np.ones(2, np.float32)]))
    flag_at = 24 + 4 + 4 + 4 + 8 + 8
    good[flag_at:flag_at + 4] = struct.pack("<i", 99)
    with pytest.raises(mp.ParamsFormatError, match="unknown dtype flag 99"):
        mp.loads(bytes(good))


def test_save_is_atomic(tmp_path):
    target = tmp_path / "x.params"
    mp.save(target, {"a": np.ones(3, np.float32)})
    before = target.read_bytes()
    with pytest.raises(ValueError, match="cannot be stored"):
        mp.save(target, {"a": np.ones(3, np.complex64)})
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.params"]  # no temporary file left behind
    assert list(mp.load(target)) == ["a"]
    assert os.path.getsize(target) == len(before)


def test_atomic_write_gives_the_mode_open_would_give(tmp_path):
    """Saved files must not end up private (0600, mkstemp's mode) when the umask allows more."""
    import os

    from unidl.io.atomic import write_bytes_atomic

    old = os.umask(0o022)
    try:
        target = tmp_path / "w.params"
        write_bytes_atomic(target, b"abc")
        assert target.read_bytes() == b"abc"
        assert (target.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(old)
