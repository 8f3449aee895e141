"""``mx.nd.save`` / ``mx.nd.load`` / ``mx.nd.load_frombuffer``: MXNet's binary NDArray list files (no pickle).

Under NumPy shape semantics (``mx.np_shape()``, ``npx.set_np()``) arrays are written as MXNet's V3 records
(0-d arrays kept) and only V3 records are read; otherwise V2 records, as MXNet 1.x does.
"""
from __future__ import annotations

from typing import Any, Dict, List, Union

from unidl.io import mxnet_params
from unidl.io.atomic import write_bytes_atomic

from ..base import MXNetError
from .ndarray import NDArray, from_any


def save(fname: str, data: Union[NDArray, List[NDArray], Dict[str, NDArray]]) -> None:
    """Write an NDArray, a list of them (unnamed) or a str -> NDArray dict, atomically."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if not all(isinstance(k, str) and isinstance(v, NDArray) for k, v in data.items()):
            raise MXNetError("save only accepts a dict of str -> NDArray")
        payload: Any = {k: v.asnumpy() for k, v in data.items()}
    elif isinstance(data, (list, tuple)):
        if not all(isinstance(v, NDArray) for v in data):
            raise MXNetError("save only accepts a list of NDArrays")
        payload = [v.asnumpy() for v in data]
    else:
        raise MXNetError(f"save: data must be an NDArray, a list or a dict of NDArrays, got {type(data).__name__}")
    from ..util import is_np_shape

    if isinstance(payload, dict):
        raw = mxnet_params.dumps(list(payload.values()), list(payload.keys()), np_shape=is_np_shape())
    else:
        raw = mxnet_params.dumps(payload, np_shape=is_np_shape())
    write_bytes_atomic(fname, raw)


def load(fname: str, ctx: Any = None, np_shape_check: bool = False) -> Union[List[NDArray], Dict[str, NDArray]]:
    """Read a file written by ``save`` (here or by MXNet 1.x): a dict if it has names, else a list.

    ``np_shape_check`` (what ``mx.nd.load`` does): refuse records written under the other shape semantics, as
    MXNet does; without it both are read (Gluon's ``load_parameters`` recovers from that error the same way)."""
    try:
        with open(fname, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise MXNetError(f"load: cannot read {fname}: {e}") from None
    return _load_bytes(raw, str(fname), ctx, np_shape_check)


def load_strict(fname: str, ctx: Any = None) -> Union[List[NDArray], Dict[str, NDArray]]:
    """``mx.nd.load``: :func:`load` refusing records of the other shape semantics (as MXNet)."""
    return load(fname, ctx, np_shape_check=True)


def load_frombuffer(buf: bytes, ctx: Any = None) -> Union[List[NDArray], Dict[str, NDArray]]:
    """Like :func:`load`, from the bytes of such a file."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_frombuffer: buf must be bytes, got {type(buf).__name__}")
    return _load_bytes(bytes(buf), "<buffer>", ctx, True)


def _load_bytes(raw: bytes, fname: str, ctx: Any, np_shape_check: bool) -> Union[List[NDArray], Dict[str, NDArray]]:
    from ..util import is_np_shape

    try:
        arrays, names = mxnet_params.loads(raw, fname, np_shape=is_np_shape() if np_shape_check else None)
    except mxnet_params.ParamsFormatError as e:
        raise MXNetError(str(e)) from None
    if names is not None and len(set(names)) != len(names):
        raise MXNetError(f"{fname}: repeated names in the file")
    content: Any = dict(zip(names, arrays)) if names is not None else list(arrays)

    def conv(a: Any) -> NDArray:
        if a is None:
            raise MXNetError(f"{fname}: the file holds an empty (none) array, which cannot be loaded")
        return from_any(a, ctx, dtype=a.dtype)

    if isinstance(content, dict):
        return {k: conv(v) for k, v in content.items()}
    return [conv(v) for v in content]
