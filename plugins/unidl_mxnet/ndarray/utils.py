"""``mx.nd.save`` / ``mx.nd.load``: MXNet's binary NDArray list files (no pickle)."""
from __future__ import annotations

from typing import Any, Dict, List, Union

from unidl.io import mxnet_params

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
    mxnet_params.save(fname, payload)


def load(fname: str, ctx: Any = None) -> Union[List[NDArray], Dict[str, NDArray]]:
    """Read a file written by ``save`` (here or by MXNet 1.x): a dict if it has names, else a list."""
    try:
        content = mxnet_params.load(fname)
    except mxnet_params.ParamsFormatError as e:
        raise MXNetError(str(e)) from None

    def conv(a: Any) -> NDArray:
        if a is None:
            raise MXNetError(f"{fname}: the file holds an empty (none) array, which cannot be loaded")
        return from_any(a, ctx, dtype=a.dtype)

    if isinstance(content, dict):
        return {k: conv(v) for k, v in content.items()}
    return [conv(v) for v in content]
