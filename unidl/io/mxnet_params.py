"""MXNet 1.x's NDArray list file (``.params`` from ``save_parameters``, ``nd.save``): reader and writer.

Layout (little-endian, no padding): u64 magic 0x112, u64 reserved 0, u64 count N, N array records, u64 name
count K (0 or N), K names as (u64 length, UTF-8 bytes). A record written here is V2: u32 magic 0xF993FAC9,
i32 storage type 0 (dense), shape as i32 ndim + ndim x i64, context as i32 dev_type + i32 dev_id, i32 dtype
flag, then the data in C order. The reader also takes V3 (np-shape), V1 and V0 records. Every count and
size is checked against the bytes left before anything is allocated; sparse arrays are refused.
Nothing is ever unpickled.
"""
from __future__ import annotations

import struct
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import UnidlError
from .atomic import PathLike, write_bytes_atomic

LIST_MAGIC = 0x112
V0_MAX_NDIM = 32
V1_MAGIC, V2_MAGIC, V3_MAGIC = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
FLAG_TO_DTYPE = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8, 6: np.int64,
                 7: np.bool_, 8: np.int16, 9: np.uint16, 10: np.uint32, 11: np.uint64}
DTYPE_TO_FLAG = {np.dtype(v): k for k, v in FLAG_TO_DTYPE.items()}


class ParamsFormatError(UnidlError, ValueError):
    """A ``.params`` file that is not a valid MXNet NDArray list (corrupt, truncated, unsupported)."""


class _Reader:
    def __init__(self, data: bytes, name: str) -> None:
        self.data, self.pos, self.name = data, 0, name

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or n > self.left():
            raise ParamsFormatError(f"{self.name}: truncated file: {what} needs {n} bytes at offset {self.pos}, "
                                    f"only {self.left()} left")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))


def _read_shape(r: _Reader, dim_fmt: str = "q", ndim: Optional[int] = None) -> Optional[Tuple[int, ...]]:
    if ndim is None:
        (ndim,) = r.unpack("i", "shape ndim")
    if ndim < 0:
        return None
    item = struct.calcsize("<" + dim_fmt)
    if ndim * item > r.left():
        raise ParamsFormatError(f"{r.name}: shape with {ndim} dims runs past the end of the file")
    dims = r.unpack(f"{ndim}{dim_fmt}", "shape dims") if ndim else ()
    if any(d < 0 for d in dims):
        raise ParamsFormatError(f"{r.name}: negative dimension in shape {dims}")
    return tuple(int(d) for d in dims)


def _read_payload(r: _Reader, shape: Tuple[int, ...]) -> np.ndarray:
    r.unpack("ii", "context")
    (flag,) = r.unpack("i", "dtype flag")
    if flag == 12:
        raise ParamsFormatError(f"{r.name}: bfloat16 arrays are not supported")
    dtype = FLAG_TO_DTYPE.get(flag)
    if dtype is None:
        raise ParamsFormatError(f"{r.name}: unknown dtype flag {flag}")
    count = extent = 1
    for d in shape:
        count *= d
        extent *= max(d, 1)
    if extent > 1 << 48:   # an empty array's other dims still have to be a shape NumPy can make
        raise ParamsFormatError(f"{r.name}: array shape {shape} is absurdly large")
    nbytes = count * np.dtype(dtype).itemsize
    if nbytes > r.left():
        raise ParamsFormatError(f"{r.name}: array of shape {shape} and dtype {np.dtype(dtype).name} needs "
                                f"{nbytes} bytes, only {r.left()} left")
    return np.frombuffer(r.take(nbytes, "array data"), dtype=np.dtype(dtype).newbyteorder("<")).astype(
        dtype).reshape(shape)


def _read_record(r: _Reader, np_shape: Optional[bool] = None) -> Optional[np.ndarray]:
    (magic,) = r.unpack("I", "array magic")
    if np_shape is not None and magic in (V2_MAGIC, V3_MAGIC) and (magic == V3_MAGIC) != np_shape:
        # MXNet refuses to read a record written under the other shape semantics
        raise ParamsFormatError(
            f"{r.name}: the array was saved with NumPy shape semantics {'on' if magic == V3_MAGIC else 'off'}; "
            f"load it with them {'on' if magic == V3_MAGIC else 'off'} (mx.np_shape / npx.set_np)")
    if magic in (V2_MAGIC, V3_MAGIC):
        (stype,) = r.unpack("i", "storage type")
        if stype != 0:
            raise ParamsFormatError(f"{r.name}: sparse arrays (storage type {stype}) are not supported")
        shape = _read_shape(r)
        if shape is None or (magic == V2_MAGIC and len(shape) == 0):
            return None  # a "none" array: the record ends here
        return _read_payload(r, shape)
    if magic == V1_MAGIC:
        shape = _read_shape(r)
        if not shape:
            return None
        return _read_payload(r, shape)
    ndim = magic  # V0: the first u32 is ndim, dims are u32
    if ndim > V0_MAX_NDIM:
        raise ParamsFormatError(f"{r.name}: not an MXNet array record (magic 0x{magic:08X})")
    shape = _read_shape(r, "I", ndim)
    if not shape:
        return None
    return _read_payload(r, shape)


def loads(data: bytes, name: str = "<bytes>", np_shape: Optional[bool] = None
          ) -> Tuple[List[Optional[np.ndarray]], Optional[List[str]]]:
    """Parse an NDArray list: (arrays, names or None for an unnamed list). ``np_shape`` True / False: refuse
    V2 / V3 records (MXNet reads each only under its own shape semantics); None reads both."""
    r = _Reader(data, name)
    magic, _reserved = r.unpack("QQ", "file header")
    if magic != LIST_MAGIC:
        raise ParamsFormatError(f"{name}: Invalid NDArray file format (header 0x{magic:X}, expected 0x112)")
    (n,) = r.unpack("Q", "array count")
    if n > r.left() // 4:
        raise ParamsFormatError(f"{name}: array count {n} is larger than the file can hold")
    arrays = [_read_record(r, np_shape) for _ in range(n)]
    (k,) = r.unpack("Q", "name count")
    if k not in (0, n):
        raise ParamsFormatError(f"{name}: Invalid NDArray file format ({k} names for {n} arrays)")
    names = []
    for _ in range(k):
        (length,) = r.unpack("Q", "name length")
        raw = r.take(length, "name")
        try:
            names.append(raw.decode("utf-8", errors="strict"))
        except UnicodeDecodeError as e:
            raise ParamsFormatError(f"{name}: a parameter name is not UTF-8 text ({e})") from None
    if r.left():
        raise ParamsFormatError(f"{name}: {r.left()} unexpected bytes after the last name")
    return arrays, (names if k else None)


def dumps(arrays: Sequence[np.ndarray], names: Optional[Sequence[str]] = None, np_shape: bool = False) -> bytes:
    """Serialise arrays (with names, or as an unnamed list) as MXNet 1.x writes them: V2 records, or with
    ``np_shape`` V3 records (MXNet's NumPy shape semantics, where 0-d arrays are real)."""
    if names is not None and len(names) != len(arrays):
        raise ValueError(f"{len(names)} names for {len(arrays)} arrays")
    out = [struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))]
    for a in arrays:
        a = np.asarray(a, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        flag = DTYPE_TO_FLAG.get(a.dtype)
        if flag is None:
            raise ValueError(f"dtype {a.dtype} cannot be stored in a .params file")
        if a.ndim == 0 and not np_shape:
            a = a.reshape(1)  # V2 has no 0-d arrays (ndim 0 means "none")
        out.append(struct.pack(f"<Iii{a.ndim}q", V3_MAGIC if np_shape else V2_MAGIC, 0, a.ndim, *a.shape))
        out.append(struct.pack("<iii", 1, 0, flag))
        out.append(a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes())
    out.append(struct.pack("<Q", len(names) if names is not None else 0))
    for nm in names or ():
        b = nm.encode("utf-8")
        out.append(struct.pack("<Q", len(b)) + b)
    return b"".join(out)


def load(path: PathLike) -> Union[List[np.ndarray], Dict[str, np.ndarray]]:
    """Read a ``.params`` file: a dict when it has names, else a list."""
    with open(path, "rb") as f:
        data = f.read()
    arrays, names = loads(data, str(path))
    if names is None:
        return list(arrays)
    if len(set(names)) != len(names):
        raise ParamsFormatError(f"{path}: repeated names in the file")
    return dict(zip(names, arrays))


def save(path: PathLike, data: Union[Sequence[np.ndarray], Dict[str, np.ndarray]]) -> None:
    """Write arrays (a list, or a name -> array dict) atomically in MXNet's format."""
    if isinstance(data, dict):
        payload = dumps(list(data.values()), list(data.keys()))
    else:
        payload = dumps(list(data))
    write_bytes_atomic(path, payload)


__all__ = ["load", "save", "loads", "dumps", "ParamsFormatError"]
