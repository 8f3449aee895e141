"""Kernels of :mod:`unidl.ops.elementwise_extra`: one NumPy/CuPy ufunc each (``i0`` is a function in
both), written against ``xp`` so the CuPy plugin builds the same table. Binary kernels keep a 0-d
array's dtype against a Python scalar on NumPy 1.x, as :mod:`.elementwise` does.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from .elementwise import _keep_dtype_binary


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    weak = xp.add(xp.zeros((), dtype=xp.float32), 1.0).dtype == xp.float32
    kd = (lambda f: f) if weak else _keep_dtype_binary

    def i0(x: Any) -> Any:
        r = xp.i0(x)  # NumPy computes 16-bit floats (bfloat16 included) in float64: give them back in theirs
        return r if x.dtype.kind in "biu" or r.dtype == x.dtype else r.astype(x.dtype)

    def tie_first(f: Callable[..., Any]) -> Callable[..., Any]:
        """``f`` (fmax/fmin) with a tie (+0 vs -0) resolved to the first operand: NumPy's own loops pick either
        zero depending on the element's position in the array, and a reference must not."""
        def k(a: Any, b: Any) -> Any:
            r = f(a, b)
            dt = getattr(r, "dtype", None)
            if dt is None or dt.kind in "biu":
                return r
            return xp.where(xp.equal(a, b), a, r).astype(dt, copy=False)

        k.__name__ = getattr(f, "__name__", "binary")
        return k

    def bitcast(x: Any, dtype: Any) -> Any:
        # (ascontiguousarray would make a 0-d input 1-d)
        return (x if x.flags.c_contiguous else xp.ascontiguousarray(x)).view(dtype)

    return {
        "arctan2": kd(xp.arctan2),
        "hypot": kd(xp.hypot),
        "copysign": kd(xp.copysign),
        "nextafter": kd(xp.nextafter),
        "fmax": kd(tie_first(xp.fmax)),
        "fmin": kd(tie_first(xp.fmin)),
        "fmod": kd(xp.fmod),
        "heaviside": kd(xp.heaviside),
        "ldexp": xp.ldexp,
        "logaddexp": kd(xp.logaddexp),
        "logaddexp2": kd(xp.logaddexp2),
        "bitwise_and": kd(xp.bitwise_and),
        "bitwise_or": kd(xp.bitwise_or),
        "bitwise_xor": kd(xp.bitwise_xor),
        "bitwise_not": xp.invert,
        "left_shift": kd(xp.left_shift),
        "right_shift": kd(xp.right_shift),
        "gcd": kd(xp.gcd),
        "lcm": kd(xp.lcm),
        "cbrt": xp.cbrt,
        "signbit": xp.signbit,
        "i0": i0,
        "bitcast": bitcast,
    }
