"""Special-function and matrix kernels: erfinv, slogdet, inv.

``erfinv`` starts from M. Giles' single-precision approximation ("Approximating the erfinv function",
GPU Computing Gems, 2011) and polishes it in float64 with Newton steps on ``erf`` (on ``erfc`` for
``|x| > 0.5``, where ``1 - |x|`` is exact), using the elementwise family's erf/erfc.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict

from unidl.dtypes import via_float32

from . import elementwise

_W_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
            -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_W_BIG = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
          -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    ew = elementwise.kernels(xp)
    erf_, erfc_ = ew["erf"], ew["erfc"]

    def erfinv(x: Any) -> Any:
        dt = x.dtype if x.dtype.kind == "f" else xp.dtype("float64")
        a = x.astype(xp.float64)
        ax = xp.abs(a)
        inside = ax < 1.0
        t = xp.where(inside, a, 0.0)
        w = -xp.log((1.0 - t) * (1.0 + t))
        ws, wb = w - 2.5, xp.sqrt(xp.maximum(w, 5.0)) - 3.0
        ps, pb = _W_SMALL[0], _W_BIG[0]
        for cs, cb in zip(_W_SMALL[1:], _W_BIG[1:]):
            ps = ps * ws + cs
            pb = pb * wb + cb
        y = xp.where(w < 5.0, ps, pb) * t
        s = xp.sign(t)
        r = 1.0 - xp.abs(t)  # exact for |t| >= 0.5
        for _ in range(3):
            d = _TWO_OVER_SQRT_PI * xp.exp(-y * y)
            near = xp.abs(t) > 0.5
            f = xp.where(near, -s * (erfc_(xp.abs(y)) - r), erf_(y) - t)
            y = y - xp.where(d > 0, f / xp.where(d > 0, d, 1.0), 0.0)
        out = xp.where(inside, y, xp.where(ax == 1.0, xp.where(a > 0, xp.inf, -xp.inf), xp.nan))
        return out.astype(dt, copy=False)

    def slogdet(x: Any) -> Any:
        sign, logabs = xp.linalg.slogdet(x)
        return xp.stack((xp.asarray(sign), xp.asarray(logabs))).astype(x.dtype, copy=False)

    def inv(x: Any) -> Any:
        return xp.asarray(xp.linalg.inv(x))

    # bfloat16 (no LAPACK or float64 path of its own) computes in float32 and rounds back
    return {"erfinv": via_float32(erfinv, 1), "slogdet": via_float32(slogdet, 1), "inv": via_float32(inv, 1)}
