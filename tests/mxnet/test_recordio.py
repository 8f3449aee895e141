"""mx.recordio against files written by real MXNet 1.9.1 (tests/mxnet/data/recordio_make_fixtures.py):
reading them, writing byte-identical files, continuation records, image records, and clear errors."""
import os
import pickle
import struct

import numpy as np
import pytest

import unidl_mxnet as mx

HERE = os.path.join(os.path.dirname(__file__), "data")
REC, IDX = os.path.join(HERE, "recordio_mxnet191.rec"), os.path.join(HERE, "recordio_mxnet191.idx")
FIX = np.load(os.path.join(HERE, "recordio_mxnet191.npz"))
RECORDS = [FIX[f"rec{i}"].tobytes() for i in range(6)]
MAGIC = struct.pack("<I", 0xCED7230A)


def test_reads_mxnet_written_file():
    r = mx.recordio.MXIndexedRecordIO(IDX, REC, "r")
    assert r.keys == list(range(6))
    for k in (3, 0, 5, 2, 1, 4):  # random access
        assert r.read_idx(k) == RECORDS[k]
    header, payload = mx.recordio.unpack(r.read_idx(0))
    assert header == (0, 3.0, 7, 0) and payload == b"hello"
    header, payload = mx.recordio.unpack(r.read_idx(1))
    assert header.flag == 3 and (header.id, header.id2) == (8, 1)
    np.testing.assert_array_equal(header.label, np.array([1, 2.5, -4], np.float32))
    assert payload == bytes(range(16))
    # record 2 was split by MXNet around the magic words inside it (continuation flags 1, 2, 3)
    assert mx.recordio.unpack(r.read_idx(2))[1].count(MAGIC) == 3
    r.close()
    seq = mx.recordio.MXRecordIO(REC, "r")
    got = []
    while True:
        rec = seq.read()
        if rec is None:
            break
        got.append(rec)
    assert got == RECORDS
    seq.reset()
    assert seq.read() == RECORDS[0]
    seq.close()


def test_writes_byte_identical_files(tmp_path):
    rec, idx = str(tmp_path / "out.rec"), str(tmp_path / "out.idx")
    w = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    positions = []
    for i, r in enumerate(RECORDS):
        positions.append(w.tell())
        w.write_idx(i, r)
    w.close()
    assert open(rec, "rb").read() == open(REC, "rb").read()
    assert open(idx).read() == open(IDX).read()
    assert positions == [0, 40, 100, 184, 396, 1184]


def test_record_format_by_hand(tmp_path):
    path = str(tmp_path / "a.rec")
    w = mx.recordio.MXRecordIO(path, "w")
    w.write(b"abcde")
    w.write(b"xy" + MAGIC + b"z")  # magic at an unaligned offset: no split
    w.write(MAGIC + b"1234" + MAGIC)  # aligned at 0 and 8: three parts
    w.close()
    raw = open(path, "rb").read()
    lrec = lambda cflag, n: struct.pack("<II", 0xCED7230A, cflag << 29 | n)  # noqa: E731
    expect = (lrec(0, 5) + b"abcde\0\0\0" + lrec(0, 7) + b"xy" + MAGIC + b"z\0" +
              lrec(1, 0) + lrec(2, 4) + b"1234" + lrec(3, 0))
    assert raw == expect
    r = mx.recordio.MXRecordIO(path, "r")
    assert [r.read(), r.read(), r.read(), r.read()] == [b"abcde", b"xy" + MAGIC + b"z", MAGIC + b"1234" + MAGIC, None]


def test_writer_is_atomic_and_reset_truncates(tmp_path):
    path = tmp_path / "a.rec"
    path.write_bytes(b"old")
    w = mx.recordio.MXRecordIO(str(path), "w")
    w.write(b"first")
    assert path.read_bytes() == b"old"  # nothing half-written in place
    w.reset()
    w.write(b"second")
    del w  # collected: the file is finished, as MXNet's __del__ closes it
    r = mx.recordio.MXRecordIO(str(path), "r")
    assert r.read() == b"second" and r.read() is None
    assert sorted(os.listdir(tmp_path)) == ["a.rec"]


def test_reader_pickles_for_workers():
    r = mx.recordio.MXIndexedRecordIO(IDX, REC, "r")
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.read_idx(4) == RECORDS[4] and r2.keys == r.keys


def test_corrupt_files_give_clear_errors(tmp_path):
    good = open(REC, "rb").read()
    bad = tmp_path / "bad.rec"
    bad.write_bytes(b"\x00" * 16)
    with pytest.raises(mx.MXNetError, match=r"Invalid RecordIO File.*magic number 0x00000000 at byte 0"):
        mx.recordio.MXRecordIO(str(bad), "r").read()
    bad.write_bytes(good[:30])
    with pytest.raises(mx.MXNetError, match="says 29 bytes but the file ends after 22"):
        mx.recordio.MXRecordIO(str(bad), "r").read()
    bad.write_bytes(good[:44])
    r = mx.recordio.MXRecordIO(str(bad), "r")
    r.read()
    with pytest.raises(mx.MXNetError, match="truncated record header at byte 40"):
        r.read()
    bad.write_bytes(good[:0x84 + 12])  # ends inside record 2's continuation parts
    r = mx.recordio.MXRecordIO(str(bad), "r")
    r.read(), r.read()
    with pytest.raises(mx.MXNetError, match="Invalid RecordIO File"):
        r.read()
    idx = tmp_path / "bad.idx"
    idx.write_text("0\t0\n1\toops\n")
    with pytest.raises(mx.MXNetError, match="line 2 of index file"):
        mx.recordio.MXIndexedRecordIO(str(idx), REC, "r")
    idx.write_text("0\t3\n")
    with pytest.raises(mx.MXNetError, match="magic number"):
        mx.recordio.MXIndexedRecordIO(str(idx), REC, "r").read_idx(0)
    with pytest.raises(mx.MXNetError, match="cannot open index file"):
        mx.recordio.MXIndexedRecordIO(str(tmp_path / "none.idx"), REC, "r")
    with pytest.raises(mx.MXNetError, match="cannot open"):
        mx.recordio.MXRecordIO(str(tmp_path / "none.rec"), "r")
    with pytest.raises(KeyError, match="key 9"):
        mx.recordio.MXIndexedRecordIO(IDX, REC, "r").read_idx(9)


def test_misuse_errors(tmp_path):
    with pytest.raises(ValueError, match="Invalid flag"):
        mx.recordio.MXRecordIO(str(tmp_path / "a.rec"), "a")
    r = mx.recordio.MXRecordIO(REC, "r")
    with pytest.raises(mx.MXNetError, match="needs flag='w'"):
        r.write(b"x")
    w = mx.recordio.MXRecordIO(str(tmp_path / "a.rec"), "w")
    with pytest.raises(TypeError, match="expected bytes, got str"):
        w.write("text")
    with pytest.raises(mx.MXNetError, match="needs flag='r'"):
        w.read()
    w.close()
    with pytest.raises(mx.MXNetError, match="is closed"):
        w.write(b"x")


def test_pack_unpack():
    s = mx.recordio.pack(mx.recordio.IRHeader(5, 2.5, 12, 1), b"data")
    assert len(s) == 24 + 4 and s[:24] == struct.pack("<IfQQ", 0, 2.5, 12, 1)
    h, p = mx.recordio.unpack(s)
    assert h == (0, 2.5, 12, 1) and p == b"data"
    s = mx.recordio.pack((0, [3, 4], 1, 0), b"")
    h, p = mx.recordio.unpack(s)
    assert h.flag == 2 and list(h.label) == [3.0, 4.0] and p == b""
    with pytest.raises(mx.MXNetError, match="too short"):
        mx.recordio.unpack(b"abc")
    with pytest.raises(mx.MXNetError, match="2 float32 labels"):
        mx.recordio.unpack(s[:26])


def test_pack_img_unpack_img():
    rng = np.random.RandomState(1)
    bgr = rng.randint(0, 256, (5, 6, 3)).astype(np.uint8)
    s = mx.recordio.pack_img((0, 7.0, 3, 0), bgr, img_fmt=".png")
    h, img = mx.recordio.unpack_img(s)
    assert h == (0, 7.0, 3, 0)
    np.testing.assert_array_equal(img, bgr)  # OpenCV's layout both ways
    np.testing.assert_array_equal(mx.recordio.unpack_img(s, 1)[1], bgr)
    assert mx.recordio.unpack_img(s, 0)[1].shape == (5, 6)
    # the payload is a plain PNG: mx.image.imdecode gives RGB
    np.testing.assert_array_equal(mx.image.imdecode(mx.recordio.unpack(s)[1]).asnumpy(), bgr[:, :, ::-1])
    gray = rng.randint(0, 256, (4, 4)).astype(np.uint8)
    np.testing.assert_array_equal(mx.recordio.unpack_img(mx.recordio.pack_img((0, 1, 0, 0), gray, 3, ".png"))[1], gray)
    smooth = np.tile(np.linspace(0, 250, 16, dtype=np.uint8)[None, :, None], (16, 1, 3))
    jpg = mx.recordio.unpack_img(mx.recordio.pack_img((0, 1, 0, 0), smooth, quality=95))[1]
    assert jpg.shape == smooth.shape and np.abs(jpg.astype(int) - smooth).max() <= 8
    with pytest.raises(mx.MXNetError, match="unsupported image format"):
        mx.recordio.pack_img((0, 1, 0, 0), bgr, img_fmt=".gif")
    with pytest.raises(mx.MXNetError, match="uint8"):
        mx.recordio.pack_img((0, 1, 0, 0), bgr.astype(np.float32))
