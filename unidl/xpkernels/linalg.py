"""linalg kernels. bfloat16 operands are multiplied in float32 (NumPy's einsum has no bfloat16 loop) and
the result rounded back (:func:`unidl.dtypes.via_float32`)."""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl.dtypes import via_float32


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    matmul_ = xp.matmul

    def matmul(a: Any, b: Any) -> Any:
        r = matmul_(a, b)
        return r if a.ndim + b.ndim > 2 else xp.asarray(r)  # 1-D @ 1-D gives a NumPy scalar

    def tensordot(a: Any, b: Any, axes: Any) -> Any:
        return xp.asarray(xp.tensordot(a, b, axes=axes))

    def einsum(*operands: Any, subscripts: str) -> Any:
        # the contraction-order search only pays off with three or more operands
        return xp.asarray(xp.einsum(subscripts, *operands, optimize=len(operands) > 2))

    return {
        "matmul": via_float32(matmul, 2),
        "tensordot": via_float32(tensordot, 2),
        "einsum": via_float32(einsum),
    }
