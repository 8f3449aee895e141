"""``mx.npx``: MXNet 1.9's NumPy extensions — the NumPy-mode switch (``set_np``), neural-network operators
for ``mx.np`` arrays, contexts, and ``save``/``load`` of ``.params``-format files.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Union

from unidl.io import mxnet_params as _params
from unidl.io.atomic import write_bytes_atomic
from unidl.tensor import Tensor

from .. import ndarray as _nd
from .. import numpy as _np
from ..base import MXNetError
from ..context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus  # noqa: F401
from ..numpy.multiarray import _wrap
from ..util import (is_np_array, is_np_shape, np_array, np_shape, reset_np, set_np, set_np_shape,  # noqa: F401
                    use_np, use_np_array, use_np_shape)
from ._op import *  # noqa: F401,F403
from ._op import __all__ as _op_all

# ``F.np`` / ``F.npx`` inside ``hybrid_forward(self, F, ...)`` (F is ``mx.nd``), as in MXNet 1.9
_nd.np = _np
_nd.npx = sys.modules[__name__]


def waitall() -> None:
    """Wait for all pending work (a no-op on the cpu; see ``mx.nd.waitall``)."""
    _nd.waitall()


def _np_mode_required(what: str) -> None:
    if not (is_np_shape() and is_np_array()):
        raise ValueError(f"Cannot {what} `mxnet.numpy.ndarray` in legacy mode. Please activate numpy semantics by "
                         "calling `npx.set_np()` in the global scope before calling this function.")


def save(file: str, arr: Union[Any, List[Any], Dict[str, Any]]) -> None:
    """Write an ``mx.np.ndarray``, a list of them or a str -> array dict in MXNet's ``.params`` format, as
    NumPy-shape (V3) records that keep 0-d and zero-size shapes (atomically). Needs ``npx.set_np()``."""
    _np_mode_required("save")
    if isinstance(arr, _np.ndarray):
        arr = [arr]
    if isinstance(arr, dict):
        if any(not isinstance(k, str) for k in arr) or any(not isinstance(v, _np.ndarray) for v in arr.values()):
            raise TypeError("Only accepts dict str->ndarray or list of ndarrays")
        raw = _params.dumps([v.asnumpy() for v in arr.values()], list(arr), np_shape=True)
    elif isinstance(arr, list):
        if any(not isinstance(v, _np.ndarray) for v in arr):
            raise TypeError("Only accepts dict str->ndarray or list of ndarrays")
        raw = _params.dumps([v.asnumpy() for v in arr], np_shape=True)
    else:
        raise ValueError("data needs to either be a ndarray, dict of (str, ndarray) pairs or a list of ndarrays.")
    write_bytes_atomic(file, raw)


def load(file: str) -> Union[List[Any], Dict[str, Any]]:
    """Read a file written by ``npx.save`` / ``nd.save`` (here or by MXNet): ``mx.np`` arrays (0-d ones
    kept) in a list, or a dict when the file has names. Needs ``npx.set_np()``."""
    _np_mode_required("load")
    if not isinstance(file, str):
        raise TypeError("file required to be a string")
    try:
        with open(file, "rb") as f:
            raw = f.read()
        arrays, names = _params.loads(raw, file)
    except OSError as e:
        raise MXNetError(f"npx.load: cannot read {file}: {e}") from None
    except _params.ParamsFormatError as e:
        raise MXNetError(str(e)) from None
    dev = current_context().unidl_device
    if any(a is None for a in arrays):
        raise MXNetError(f"{file}: the file holds an empty (none) array, which cannot be loaded")
    out = [_wrap(Tensor._from_any(a, dev)) for a in arrays]
    if names is None:
        return out
    if len(set(names)) != len(names):
        raise MXNetError(f"{file}: repeated names in the file")
    return dict(zip(names, out))


__all__ = list(_op_all) + ["set_np", "reset_np", "is_np_array", "is_np_shape", "use_np", "use_np_array",
                           "use_np_shape", "np_array", "np_shape", "set_np_shape", "cpu", "gpu", "cpu_pinned",
                           "num_gpus", "current_context", "waitall", "save", "load", "MXNetError", "Context"]
