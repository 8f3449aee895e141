"""Host-side array helpers: ``to_categorical`` and ``normalize`` (keras.utils)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np


def to_categorical(x: Any, num_classes: Optional[int] = None) -> Any:
    """One-hot encode integer class labels.

    Shapes: (...) or (..., 1) -> (..., num_classes); a trailing axis of size 1 is dropped first
    (for inputs of 2+ dims). ``num_classes`` defaults to ``max(x) + 1``. NumPy (and array-like)
    inputs give a float64 NumPy array, as Keras does; tensors go through ``keras.ops.one_hot``.
    """
    from unidl.tensor import Tensor

    if isinstance(x, Tensor):
        from .. import ops

        if x.ndim > 1 and x.shape[-1] == 1:
            x = ops.squeeze(x, -1)
        n = int(ops.max(x).item()) + 1 if num_classes is None else int(num_classes)
        return ops.one_hot(ops.cast(x, "int64"), n)
    a = np.asarray(x, dtype="int64")
    if a.ndim > 1 and a.shape[-1] == 1:
        a = a.reshape(a.shape[:-1])
    if num_classes is None:
        num_classes = int(a.max()) + 1 if a.size else 0
    flat = a.reshape(-1)
    out = np.zeros((flat.shape[0], int(num_classes)), dtype="float64")
    out[np.arange(flat.shape[0]), flat] = 1.0
    return out.reshape(a.shape + (int(num_classes),))


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """``x`` divided by its ``order``-norm along ``axis`` (zero norms leave zeros).

    NumPy inputs give NumPy (float inputs keep their dtype); tensors go through ``keras.ops``.
    """
    from unidl.tensor import Tensor

    if isinstance(x, Tensor):
        from .. import ops

        return ops.normalize(x, axis=axis, order=order)
    a = np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype("float64")
    norm = np.atleast_1d(np.linalg.norm(a, order, axis))
    norm[norm == 0] = 1
    return a / np.expand_dims(norm, axis).astype(a.dtype)
