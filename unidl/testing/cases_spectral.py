"""Op cases of :mod:`unidl.ops.spectral` and :mod:`unidl.ops.special` (appended to
:data:`unidl.testing.cases.CASES`): the FFT primitives, erfinv, inv, slogdet and segment_reduce."""
from __future__ import annotations

from typing import List

import numpy as np

from unidl import ops

from .cases import FLOATS, I32, I64, REDUCTION, TOLERANCES, Gen, OpCase, Sample

# FFTs sum n terms in a library-chosen order; erfinv polishes with Newton steps on erf/erfc; inv and
# slogdet factorise (LAPACK / cuSOLVER pivot and accumulate differently)
TOLERANCES.update({op: REDUCTION for op in ("fft", "rfft", "irfft", "erfinv", "inv", "slogdet", "segment_reduce")})


def _fft(g: Gen) -> Sample:
    dt = g.dtype(FLOATS)
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    nd = len(shape)
    axes = tuple(sorted(set(g.choice(list(range(nd)), "axis") for _ in range(g.integer(1, min(2, nd), "naxes")))))
    return Sample((g.array(shape, dt), g.array(shape, dt)), {"axes": axes, "inverse": g.boolean("inverse")})


def _rfft(g: Gen) -> Sample:
    dt = g.dtype(FLOATS)
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    return Sample((g.array(shape, dt),), {"n": g.integer(1, 8, "n")})


def _irfft(g: Gen) -> Sample:
    dt = g.dtype(FLOATS)
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    return Sample((g.array(shape, dt), g.array(shape, dt)), {"n": g.integer(1, 8, "n")})


def _erfinv(g: Gen) -> Sample:
    return Sample((g.array(g.shape(), g.dtype(FLOATS), -0.999, 0.999),))


def _square(g: Gen) -> Sample:
    """Well-conditioned square matrices: random entries plus n on the diagonal."""
    dt = g.dtype(FLOATS)
    n = g.integer(1, 4, "n")
    batch = g.shape(max_dims=2, max_side=3)
    a = g.array(batch + (n, n), dt, -1.0, 1.0, special=False) + np.asarray(n * np.eye(n), dtype=dt)
    return Sample((a.astype(dt),))


def _segments(kind: str):
    def gen(g: Gen) -> Sample:
        dt = g.dtype(FLOATS + (I32,))
        rows = g.integer(0, 6, "rows")
        n = g.integer(0, 4, "num_segments")
        data = g.array((rows,) + g.shape(max_dims=2), dt, -3.0, 3.0)
        ids = g.array((rows,), I64, -1, n)  # -1 and n: dropped rows
        return Sample((data, ids), {"num_segments": n, "kind": kind})
    return gen


def build() -> List[OpCase]:
    """One case per op, gradients checked (all are differentiable)."""
    return [
        OpCase("fft", _fft, lambda re, im, axes, inverse: ops.stack(ops.fft(re, im, axes, inverse))),
        OpCase("rfft", _rfft, lambda x, n: ops.stack(ops.rfft(x, n))),
        OpCase("irfft", _irfft, lambda re, im, n: ops.irfft(re, im, n)),
        OpCase("erfinv", _erfinv, ops.erfinv, special=True),
        OpCase("inv", _square, ops.inv, gradcheck_tol=(1e-5, 1e-6)),
        OpCase("slogdet", _square, lambda x: ops.stack(ops.slogdet(x))),
    ] + [OpCase("segment_reduce", _segments(kind), lambda data, ids, num_segments, kind: ops.where(
        ops.isinf(ops.segment_reduce(data, ids, num_segments, kind)), 0.0,
        ops.segment_reduce(data, ids, num_segments, kind)), wrt=(0,), name=f"segment_{kind}")
        for kind in ("sum", "prod", "max", "min")]
