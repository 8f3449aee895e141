"""Hypothesis strategies for op tests: shapes (with size-0/1 dims), broadcastable pairs, arrays."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = (np.float32, np.float64)


def shapes(min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = 5) -> st.SearchStrategy:
    """Array shapes including size-0 and size-1 dimensions."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num: int = 2, min_dims: int = 0, max_dims: int = 4, min_side: int = 0,
                         max_side: int = 5) -> st.SearchStrategy:
    """Tuples of ``num`` shapes that broadcast together."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda r: r.input_shapes)


def arrays(dtype: Any, shape: Any, lo: float = -10, hi: float = 10) -> st.SearchStrategy:
    """Finite arrays of ``dtype`` and ``shape`` with values in [lo, hi]."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        elems = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=min(dt.itemsize * 8, 64))
    elif dt.kind == "b":
        elems = st.booleans()
    else:
        info = np.iinfo(dt)
        elems = st.integers(max(int(lo), int(info.min)), min(int(hi), int(info.max)))
    return hnp.arrays(dt, shape, elements=elems)


def float_dtypes() -> st.SearchStrategy:
    return st.sampled_from(FLOAT_DTYPES)


def small_float64(shape: Tuple[int, ...], lo: float = -2, hi: float = 2) -> st.SearchStrategy:
    """Small float64 arrays for finite-difference gradient checks."""
    return arrays(np.float64, shape, lo, hi)
