"""Quantization kernels (xp-generic: NumPy here, CuPy through the cuda plugin).

Integer products run as float64 GEMMs: every partial sum of int8/int16 products is an integer below
2**53 for any practical contraction length, so the float64 result is the exact integer sum, and the
int32 cast gives what an int32-accumulating integer GEMM gives (without wrap-around).
"""
from __future__ import annotations

from typing import Any, Callable, Dict


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    f64 = xp.float64

    def int_matmul(a: Any, b: Any) -> Any:
        return xp.asarray(xp.matmul(a.astype(f64), b.astype(f64))).astype(xp.int32)

    def int_einsum(a: Any, b: Any, subscripts: str) -> Any:
        return xp.asarray(xp.einsum(subscripts, a.astype(f64), b.astype(f64))).astype(xp.int32)

    def float8_round(x: Any, mbits: int, emin: int) -> Any:
        # quantum of x's binade (the smallest normal binade's for subnormals); xp.round ties to even
        _, e = xp.frexp(x)
        q = xp.ldexp(xp.ones_like(x), xp.maximum(e - 1, emin) - mbits)
        return xp.round(x / q) * q

    return {"int_matmul": int_matmul, "int_einsum": int_einsum, "float8_round": float8_round}
