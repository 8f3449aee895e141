"""``mx.recordio``: MXNet's RecordIO files (``.rec``, with an optional ``.idx`` text index) and the image
record header (``IRHeader``, ``pack``/``unpack``, ``pack_img``/``unpack_img``), byte-compatible with MXNet 1.9.1.

A record on disk is: uint32 magic ``0xced7230a``, uint32 ``lrec`` (``cflag << 29 | length``), ``length`` bytes,
zero padding to a multiple of 4 (all little-endian). A payload that contains the magic word at a 4-byte aligned
offset is split there into parts (cflag 1 first, 2 middle, 3 last; 0 = whole record) and the magic word itself
is dropped; readers put it back. The ``.idx`` file holds one ``key\\tbyte_offset`` line per record.
Writers fill a temporary file beside the target and rename it into place on ``close()`` (or when the object is
collected, or at exit), so a reader never sees a half-written file.
"""
from __future__ import annotations

import numbers
import os
import struct
import weakref
from collections import namedtuple
from multiprocessing import current_process
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from unidl.io import atomic

from .base import MXNetError

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img", "unpack_img"]

_MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1


class _AtomicFile:
    """A file written under a temporary name beside ``path`` (``unidl.io.atomic``) and renamed onto it by
    ``commit()``; ``discard()`` drops it (after a failed write: the target is left as it was)."""

    def __init__(self, path: str, binary: bool, op: str) -> None:
        try:
            fd, self.tmp = atomic.open_temp(path)
        except OSError as err:
            raise MXNetError(f"{op}: cannot create {path!r}: {err.strerror or err}") from None
        self.path = path
        self.file = os.fdopen(fd, "wb" if binary else "w")

    def commit(self) -> None:
        if self.file.closed:
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.tmp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        atomic.discard(self.tmp)


def _commit_all(files: List[_AtomicFile]) -> None:
    for f in files:
        try:
            f.commit()
        except OSError:
            pass


class MXRecordIO:
    """Sequential reader (``flag='r'``) or writer (``flag='w'``) of a RecordIO file at ``uri``.

    ``write(buf)`` appends one record (bytes); ``read()`` returns the next record's bytes, or None at the end;
    ``reset()`` goes back to the first record (a writer starts the file over); ``close()`` finishes it.
    """

    def __init__(self, uri: str, flag: str) -> None:
        self.uri = os.fspath(uri)
        self.flag = flag
        self.pid: Optional[int] = None
        self.is_open = False
        self.writable = False
        self._file: Any = None
        self._pending: List[_AtomicFile] = []
        self._finalizer: Optional[Callable[[], None]] = None
        self.open()

    def _name(self) -> str:
        return type(self).__name__

    def open(self) -> None:
        """Opens the record file."""
        if self.flag == "w":
            out = _AtomicFile(self.uri, True, f"{self._name()}({self.uri!r}, 'w')")
            self._pending = [out]
            self._file = out.file
            self.writable = True
        elif self.flag == "r":
            try:
                self._file = open(self.uri, "rb")
                self._size = os.fstat(self._file.fileno()).st_size
            except OSError as err:
                raise MXNetError(f"{self._name()}: cannot open {self.uri!r} for reading: "
                                 f"{err.strerror or err}") from None
            self._pending = []
            self.writable = False
        else:
            raise ValueError("Invalid flag %s" % self.flag)
        self._finalizer = weakref.finalize(self, _commit_all, self._pending)  # the same list: subclasses add files
        self.pid = current_process().pid
        self.is_open = True

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __getstate__(self) -> Dict[str, Any]:
        """Pickling (e.g. for DataLoader workers) closes the file and reopens it on unpickling."""
        is_open = self.is_open
        self.close()
        d = dict(self.__dict__)
        d.update(is_open=is_open, _file=None, _pending=[], _finalizer=None)
        return d

    def __setstate__(self, d: Dict[str, Any]) -> None:
        self.__dict__ = d
        is_open = d["is_open"]
        self.is_open = False
        if is_open:
            self.open()

    def _check_pid(self, allow_reset: bool = False) -> None:
        if self.pid != current_process().pid:
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError("Forbidden operation in multiple processes")

    def close(self) -> None:
        """Closes the record file (a writer's file appears at ``uri`` now)."""
        if not self.is_open:
            return
        self.is_open = False
        self.pid = None
        if self.writable:
            if self._finalizer is not None:
                self._finalizer()  # commits the temporary files, once
        else:
            self._file.close()
            if self._finalizer is not None:
                self._finalizer.detach()

    def reset(self) -> None:
        """Back to the first record; a writer truncates the file to empty."""
        self.close()
        self.open()

    def _require(self, op: str, writable: bool) -> None:
        if not self.is_open:
            raise MXNetError(f"{self._name()}.{op}: the file {self.uri!r} is closed")
        if writable != self.writable:
            raise MXNetError(f"{self._name()}.{op}: {self.uri!r} was opened with flag={self.flag!r}; "
                             f"{op} needs flag={'w' if writable else 'r'!r}")

    def write(self, buf: bytes) -> None:
        """Append ``buf`` (bytes) as one record."""
        self._require("write", True)
        self._check_pid(allow_reset=False)
        if not isinstance(buf, (bytes, bytearray, memoryview)):
            raise TypeError(f"{self._name()}.write: expected bytes, got {type(buf).__name__}")
        data = bytes(buf)
        n = len(data)
        if n > _LEN_MASK:
            raise MXNetError(f"{self._name()}.write: RecordIO only accepts records of less than 2^29 bytes, "
                             f"got {n}")
        words = np.frombuffer(data, dtype="<u4", count=n // 4)
        f = self._file
        start = 0
        try:
            for hit in (np.flatnonzero(words == _MAGIC) * 4).tolist():
                f.write(struct.pack("<II", _MAGIC, ((1 if start == 0 else 2) << 29) | (hit - start)))
                f.write(data[start:hit])
                start = hit + 4
            f.write(struct.pack("<II", _MAGIC, ((3 if start else 0) << 29) | (n - start)))
            f.write(data[start:])
            f.write(b"\0" * (-n % 4))
        except OSError as err:
            self._abandon()
            raise MXNetError(f"{self._name()}.write: cannot write {self.uri!r}: {err.strerror or err}; nothing was "
                             "written there (the writer is closed)") from None

    def _abandon(self) -> None:
        """After a failed write: drop every temporary file (the targets keep what they had) and close."""
        for f in self._pending:
            f.discard()
        if self._finalizer is not None:
            self._finalizer.detach()
        self._pending = []
        self.is_open = False
        self.pid = None

    def read(self) -> Optional[bytes]:
        """The next record's bytes, or None at the end of the file."""
        self._require("read", False)
        self._check_pid(allow_reset=False)
        f = self._file
        parts: List[bytes] = []
        while True:
            pos = f.tell()
            head = f.read(8)
            if not head and not parts:
                return None
            if len(head) < 8:
                raise MXNetError(f"Invalid RecordIO File {self.uri!r}: truncated record header at byte {pos} "
                                 f"({len(head)} of 8 bytes)")
            magic, lrec = struct.unpack("<II", head)
            if magic != _MAGIC:
                raise MXNetError(f"Invalid RecordIO File {self.uri!r}: magic number 0x{magic:08x} at byte {pos}, "
                                 f"expected 0x{_MAGIC:08x} (not a RecordIO file, a corrupt one, or a wrong "
                                 f"offset in the .idx file)")
            cflag, length = lrec >> 29, lrec & _LEN_MASK
            if cflag > 3 or (cflag in (0, 1)) != (not parts):
                raise MXNetError(f"Invalid RecordIO File {self.uri!r}: record part at byte {pos} has continuation "
                                 f"flag {cflag}, which cannot follow {len(parts)} earlier part(s)")
            padded = (length + 3) & ~3
            left = self._size - f.tell()
            if padded > left:   # before reading: a damaged length field must not make us allocate it
                raise MXNetError(f"Invalid RecordIO File {self.uri!r}: record at byte {pos} says {length} bytes but "
                                 f"the file ends after {max(left, 0)}")
            body = f.read(padded)
            if len(body) < padded:
                raise MXNetError(f"Invalid RecordIO File {self.uri!r}: record at byte {pos} says {length} bytes but "
                                 f"the file ends after {len(body)}")
            parts.append(body[:length])
            if cflag in (0, 3):
                return _MAGIC_BYTES.join(parts)

    def tell(self) -> int:
        """Byte offset where the next record will be written."""
        self._require("tell", True)
        return self._file.tell()


class MXIndexedRecordIO(MXRecordIO):
    """RecordIO with random access through an index file ``idx_path`` (lines ``key\\toffset``).

    ``keys`` lists the keys in file order (converted with ``key_type``); ``read_idx(key)`` reads a record,
    ``write_idx(key, buf)`` appends one and indexes it.
    """

    def __init__(self, idx_path: str, uri: str, flag: str, key_type: Callable[[Any], Any] = int) -> None:
        self.idx_path = os.fspath(idx_path)
        self.idx: Dict[Any, int] = {}
        self.keys: List[Any] = []
        self.key_type = key_type
        self.fidx: Any = None
        super().__init__(uri, flag)

    def open(self) -> None:
        super().open()
        self.idx = {}
        self.keys = []
        if self.writable:
            out = _AtomicFile(self.idx_path, False, f"{self._name()}({self.idx_path!r}, 'w')")
            self._pending.append(out)
            self.fidx = out.file
            return
        try:
            with open(self.idx_path, "r") as f:
                lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as err:
            super().close()
            raise MXNetError(f"{self._name()}: cannot open index file {self.idx_path!r}: "
                             f"{getattr(err, 'strerror', None) or err}") from None
        for n, line in enumerate(lines, 1):
            fields = line.strip().split("\t")
            if not line.strip():
                continue
            try:
                key, pos = self.key_type(fields[0]), int(fields[1])
            except (ValueError, IndexError):
                super().close()
                raise MXNetError(f"{self._name()}: line {n} of index file {self.idx_path!r} is {line!r}; "
                                 "expected 'key<TAB>byte offset'") from None
            self.idx[key] = pos
            self.keys.append(key)

    def close(self) -> None:
        """Closes the record file and the index file."""
        if not self.is_open:
            return
        super().close()
        if self.fidx is not None and not self.writable:
            self.fidx.close()

    def __getstate__(self) -> Dict[str, Any]:
        d = super().__getstate__()
        d["fidx"] = None
        return d

    def seek(self, idx: Any) -> None:
        """Move the reader to the record with key ``idx``."""
        self._require("seek", False)
        self._check_pid(allow_reset=True)
        if idx not in self.idx:
            raise KeyError(f"{self._name()}: key {idx!r} is not in index file {self.idx_path!r} "
                           f"({len(self.keys)} keys)")
        self._file.seek(self.idx[idx])

    def read_idx(self, idx: Any) -> Optional[bytes]:
        """The record with key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx: Any, buf: bytes) -> None:
        """Append ``buf`` as the record with key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        try:
            self.fidx.write("%s\t%d\n" % (str(key), pos))
        except OSError as err:
            self._abandon()
            raise MXNetError(f"{self._name()}.write_idx: cannot write {self.idx_path!r}: {err.strerror or err}; "
                             "nothing was written there (the writer is closed)") from None
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """Image record header: ``flag`` (set by ``pack`` to the label count, 0 for a scalar label),
``label`` (float or array of floats), ``id`` and ``id2`` (uint64 record ids)."""

_IR_FORMAT = "<IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header: Any, s: bytes) -> bytes:
    """Prefix ``s`` with the 24-byte image record header (and the float32 labels when ``header.label`` is an
    array)."""
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    try:
        return struct.pack(_IR_FORMAT, *header) + s
    except struct.error as err:
        raise MXNetError(f"mx.recordio.pack: cannot pack header {tuple(header)}: {err} (flag uint32, label float, "
                         "id and id2 uint64)") from None


def unpack(s: bytes) -> Tuple[Any, bytes]:
    """Split a record into its ``IRHeader`` (array labels as float32 NumPy arrays) and the payload bytes."""
    if len(s) < _IR_SIZE:
        raise MXNetError(f"mx.recordio.unpack: a record of {len(s)} bytes is too short for the {_IR_SIZE}-byte "
                         "image record header")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        if len(s) < 4 * header.flag:
            raise MXNetError(f"mx.recordio.unpack: header says {header.flag} float32 labels but only {len(s)} "
                             "bytes follow it")
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s: bytes, iscolor: int = -1) -> Tuple[Any, np.ndarray]:
    """Unpack a record and decode its image to a NumPy array in OpenCV's layout (needs Pillow):
    ``iscolor=1`` (H, W, 3) BGR, ``0`` (H, W) gray, ``-1`` as stored ((H, W) gray, BGR, or BGRA)."""
    from .image import _pillow, decode_array

    header, s = unpack(s)
    if iscolor >= 0:
        img = decode_array(s, flag=1 if iscolor else 0, to_rgb=False, op="mx.recordio.unpack_img")
        return header, (img if iscolor else img[:, :, 0])
    Image = _pillow("mx.recordio.unpack_img")
    import io

    try:
        pil = Image.open(io.BytesIO(s))
        pil.load()
    except Exception as err:
        raise MXNetError(f"mx.recordio.unpack_img: Decoding failed. Invalid image file ({len(s)} bytes: "
                         f"{err})") from None
    if pil.mode in ("L", "I;16", "I;16B", "I;16L"):
        return header, np.asarray(pil)
    has_alpha = pil.mode in ("RGBA", "LA", "PA") or (pil.mode == "P" and "transparency" in pil.info)
    arr = np.asarray(pil.convert("RGBA" if has_alpha else "RGB"))
    return header, np.ascontiguousarray(np.concatenate([arr[:, :, 2::-1], arr[:, :, 3:]], axis=2))


def pack_img(header: Any, img: np.ndarray, quality: int = 95, img_fmt: str = ".jpg") -> bytes:
    """Encode ``img`` (NumPy uint8 in OpenCV's layout: (H, W) gray, (H, W, 3) BGR or (H, W, 4) BGRA) as JPEG
    (``quality`` 0-100) or PNG (``quality`` is the compression level, clipped to 0-9) and :func:`pack` it
    (needs Pillow)."""
    from .image import encode_array

    fmt = img_fmt.upper()
    if fmt in (".PNG", "PNG"):
        quality = min(max(int(quality), 0), 9)
    buf = encode_array(np.asarray(img), img_fmt, quality, "mx.recordio.pack_img", channel_order="BGR")
    return pack(header, buf)
