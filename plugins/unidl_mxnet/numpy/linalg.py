"""``mx.np.linalg``: vector and Frobenius norms over :func:`unidl.ops.norm`."""
from __future__ import annotations

from typing import Any

from unidl import ops

from ..base import MXNetError
from . import _dtypes as D
from ._op import _axis, _tensor
from .multiarray import _wrap, ndarray


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> ndarray:  # noqa: A002
    """The 2-norm of all elements (``ord`` None or 'fro'), or the vector ``ord`` (1, 2, inf) norm along one
    ``axis`` or of a 1-D array. Integer inputs give float32. Shape: ``x`` reduced over ``axis``."""
    t = _tensor(x, "linalg.norm")
    if t.dtype.kind != "f":
        t = ops.astype(t, D.FLOAT32)
    ax = _axis(axis)
    if ord in (None, "fro"):
        if ord == "fro" and not (ax is None or (isinstance(ax, tuple) and len(ax) == 2)):
            raise MXNetError("linalg.norm: ord='fro' needs a 2-D array or two axes")
        return _wrap(ops.norm(t, 2, ax, keepdims))
    vector = (ax is None and t.ndim == 1) or isinstance(ax, int) or (isinstance(ax, tuple) and len(ax) == 1)
    if not vector:
        raise MXNetError(f"linalg.norm: matrix norms with ord={ord!r} are not supported (input of shape {t.shape}, "
                         f"axis {axis!r}); use ord=None/'fro' or a single axis")
    if ord not in (1, 2, float("inf")):
        raise MXNetError(f"linalg.norm: ord must be None, 'fro', 1, 2 or inf, got {ord!r}")
    return _wrap(ops.norm(t, ord, ax, keepdims))


__all__ = ["norm"]
