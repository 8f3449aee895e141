"""Special-function, matrix and segment kernels: erfinv, slogdet, inv, segment_reduce.

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

    is_numpy = getattr(xp, "__name__", "") == "numpy"
    _ufuncs = {"sum": "add", "prod": "multiply", "max": "maximum", "min": "minimum"}

    def _scatter(kind: str, out: Any, ids: Any, rows: Any) -> None:
        """``out[ids[j]] = op(out[ids[j]], rows[j])`` in place, repeated ids all applied."""
        uf = getattr(xp, _ufuncs[kind])
        if is_numpy or hasattr(uf, "at") and kind != "prod":
            uf.at(out, ids, rows)
            return
        if kind in ("max", "min", "sum"):  # pragma: no cover - CuPy without ufunc.at
            import cupyx

            getattr(cupyx, {"sum": "scatter_add", "max": "scatter_max", "min": "scatter_min"}[kind])(out, ids, rows)
            return
        # pragma: no cover - a product scatter has no device primitive: reduce on the host
        import numpy as np

        host = xp.asnumpy(out)
        np.multiply.at(host, xp.asnumpy(ids), xp.asnumpy(rows))
        out[...] = xp.asarray(host)

    def segment_reduce(data: Any, ids: Any, num_segments: int, kind: str) -> Any:
        """Rows of ``data`` reduced per id into ``num_segments`` rows (ids outside [0, num_segments) dropped);
        empty segments hold the reduction's identity (0, 1, -inf/+inf, an integer dtype's lowest/highest)."""
        dt = data.dtype
        if kind == "sum":
            init: Any = 0
        elif kind == "prod":
            init = 1
        elif dt.kind == "f" or dt.kind == "V":
            init = -float("inf") if kind == "max" else float("inf")
        elif dt.kind in "iu":
            info = xp.iinfo(dt)
            init = info.min if kind == "max" else info.max
        else:
            init = kind == "min"  # bool: max is any (False when empty), min is all (True when empty)
        out = xp.full((num_segments,) + tuple(data.shape[1:]), init, dtype=dt)
        valid = (ids >= 0) & (ids < num_segments)
        if not bool(valid.all()):
            ids, data = ids[valid], data[valid]
        _scatter(kind, out, ids, data)
        return out

    # bfloat16 (no LAPACK or float64 path of its own) computes in float32 and rounds back
    return {"erfinv": via_float32(erfinv, 1), "slogdet": via_float32(slogdet, 1), "inv": via_float32(inv, 1),
            "segment_reduce": segment_reduce}
