"""Op cases of :mod:`unidl.ops.quant` (appended to :data:`unidl.testing.cases.CASES`): the exact integer
products and float8 rounding. None is differentiable (the layers give them straight-through gradients)."""
from __future__ import annotations

from typing import List

import numpy as np

from .cases import F32, F64, EXACT, TOLERANCES, Gen, OpCase, Sample

I8 = np.dtype(np.int8)
# integer sums below 2**53 are exact in the float64 GEMM, and float8 rounding is exact arithmetic on
# powers of two: every plugin must give the same bits
TOLERANCES.update({op: EXACT for op in ("int_matmul", "int_einsum", "float8_round")})


def _int_matmul(g: Gen) -> Sample:
    m, k, n = (g.integer(1, 5, d) for d in ("m", "k", "n"))
    batch = g.shape(max_dims=1, max_side=3)
    return Sample((g.array(batch + (m, k), I8, -128, 127), g.array((k, n), I8, -128, 127)))


def _int_einsum(g: Gen) -> Sample:
    b, d, f = (g.integer(1, 4, x) for x in ("b", "d", "f"))
    return Sample((g.array((b, 2, d), I8, -128, 127), g.array((d, f), I8, -128, 127)), {"subscripts": "btd,df->btf"})


def _float8(fmt_bits: int, emin: int, fmax: float):
    def gen(g: Gen) -> Sample:
        dt = g.dtype((F32, F64))
        scale = g.choice([2.0 ** emin, 1.0, fmax / 4], "scale")  # subnormal, unit and top binades
        x = g.array(g.shape(), dt, -4.0, 4.0, special=False) * dt.type(scale)
        return Sample((np.clip(x, -fmax, fmax).astype(dt),), {"mbits": fmt_bits, "emin": emin})
    return gen


def build() -> List[OpCase]:
    return [
        OpCase("int_matmul", _int_matmul),
        OpCase("int_einsum", _int_einsum),
        OpCase("float8_round", _float8(3, -6, 448.0), name="float8_round-e4m3fn"),
        OpCase("float8_round", _float8(2, -14, 57344.0), name="float8_round-e5m2"),
    ]
