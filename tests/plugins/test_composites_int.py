"""The integer and bit-level composites (``unidl.ops.composite_int``) equal the cpu reference kernels bit for
bit beyond the conformance cases' small ranges: every integer dtype's extremes (INT_MIN // -1, division by
zero, 64-bit values above 2**53, shift counts past the width, Euclid's longest runs), float remainders across
the whole exponent range, float16 and bfloat16, Python scalar operands, float8 ties, NaN in sorts."""
from __future__ import annotations

import numpy as np
import pytest

import unidl  # noqa: F401
from unidl_conformance.kernels.harness import reference_and_composite

INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
FLOATS = [np.float16, np.float32, np.float64]


_run = reference_and_composite  # (reference result, composite result), either one an exception


def _same(op, *args, **kw):
    want, got = _run(op, *args, **kw)
    if isinstance(want, Exception):
        return
    assert not isinstance(got, Exception), f"{op}: composite raised {got!r} where the kernel did not"
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    assert len(want) == len(got)
    for w, g in zip(want, got):
        w, g = np.asarray(w), np.asarray(g)
        assert (w.dtype, w.shape) == (g.dtype, g.shape), (op, args, w.dtype, g.dtype, w.shape, g.shape)
        if w.dtype.kind in "iub":
            bad = w != g
        else:
            wf, gf = w.astype(np.float64), g.astype(np.float64)
            bad = ~((np.isnan(wf) & np.isnan(gf)) | ((wf == gf) & (np.signbit(wf) == np.signbit(gf))))
        if bad.any():
            i = tuple(np.argwhere(bad)[0])
            detail = [np.broadcast_to(a, bad.shape)[i] for a in args if isinstance(a, np.ndarray) and a.ndim]
            pytest.fail(f"{op}{kw or ''} at {i}: inputs {detail}, composite {g[i]!r}, kernel {w[i]!r}")


def _edges(dt):
    info = np.iinfo(dt)
    vals = {info.min, info.min + 1, info.max, info.max - 1, 0, 1, 2, 3, 7, 100, info.max // 3, info.max // 2 + 1}
    if info.min < 0:
        vals |= {-1, -2, -3, -7, -100, info.min // 3, info.min // 2 - 1}
    if info.bits == 64:
        vals |= {2 ** 53 + 1, 2 ** 53 - 1, 2 ** 62 + 12345, 3 ** 39, 10 ** 18 + 7}
        if info.min < 0:
            vals |= {-(2 ** 53) - 1, -(3 ** 39)}
    return np.array(sorted(v for v in vals if info.min <= v <= info.max), dtype=dt)


def _grid(v):
    a, b = np.meshgrid(v, v)
    return a, b


def _random_ints(rng, dt, n):
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)


@pytest.mark.parametrize("dt", INTS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", ["floor_divide", "mod", "fmod"])
def test_integer_division_extremes(op, dt):
    a, b = _grid(_edges(dt))
    _same(op, a, b)
    rng = np.random.default_rng(1)
    x, y = _random_ints(rng, dt, 2000), _random_ints(rng, dt, 2000)
    small = (y >> np.asarray(rng.integers(0, 8 * np.dtype(dt).itemsize - 1, 2000), dtype=dt)).astype(dt)
    _same(op, x, y)
    _same(op, x, small)  # large quotients


def _float_values(dt, rng, n):
    fi = np.finfo(dt)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, 3.0, -2.5, fi.max, -fi.max, fi.tiny,
                        fi.smallest_subnormal, -fi.smallest_subnormal, float(fi.eps)], dtype=dt)
    lo, hi = np.log2(float(fi.smallest_subnormal)), np.log2(float(fi.max))
    wide = np.exp2(rng.uniform(lo, hi, n)) * rng.choice([-1.0, 1.0], n)
    return special, wide.astype(dt)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", ["floor_divide", "mod", "fmod"])
def test_float_remainders_over_the_exponent_range(op, dt):
    rng = np.random.default_rng(2)
    special, wide = _float_values(dt, rng, 3000)
    _same(op, *_grid(special))
    _same(op, wide, np.roll(wide, 1))
    _same(op, wide, special[:, None])
    near = (rng.integers(-40, 40, 3000) * 0.25).astype(dt)  # quotients close to integers
    _same(op, near, np.where(near == 0, dt(0.75), np.roll(near, 3)))


def test_bfloat16_divisions_and_fmax():
    bf16 = pytest.importorskip("ml_dtypes").bfloat16
    rng = np.random.default_rng(3)
    special, wide = _float_values(np.float32, rng, 400)
    a, b = (x.astype(bf16) for x in _grid(special))
    for op in ("floor_divide", "mod", "fmod", "fmax", "fmin"):
        _same(op, a, b)
        _same(op, wide.astype(bf16), np.roll(wide, 1).astype(bf16))


@pytest.mark.parametrize("op", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_bitwise_ops_on_every_integer_dtype(op):
    rng = np.random.default_rng(4)
    for dt in INTS:
        _same(op, *_grid(_edges(dt)))
        _same(op, _random_ints(rng, dt, 500), _random_ints(rng, dt, 500))
        _same(op, _random_ints(rng, dt, 6).reshape(2, 3, 1), _random_ints(rng, dt, 4))  # broadcasting
    _same(op, *_grid(np.array([True, False])))
    _same(op, np.array([1, 2, 3], np.int8), np.array([300, -7, 5], np.int16))  # promotion
    _same(op, np.array([5, -6, 7], np.int8), 3)  # a Python scalar keeps the array's dtype
    _same(op, np.array(12, np.int64), np.int32(10))


def test_bitwise_not_and_left_shift():
    rng = np.random.default_rng(5)
    for dt in INTS:
        _same("bitwise_not", _edges(dt))
        _same("bitwise_not", np.array(_edges(dt)[0]))
        width = 8 * np.dtype(dt).itemsize
        counts = np.arange(-2 if np.dtype(dt).kind == "i" else 0, width + 3).astype(dt)
        _same("left_shift", _edges(dt)[:, None], counts)
        _same("left_shift", _random_ints(rng, dt, 300), rng.integers(0, width, 300).astype(dt))
    _same("bitwise_not", np.array([True, False]))
    _same("left_shift", np.array([1, -3], np.int16), 4)


@pytest.mark.parametrize("op", ["gcd", "lcm"])
def test_gcd_lcm_longest_euclid_runs_and_extremes(op):
    fib = [1, 1]
    while fib[-1] < 2 ** 64:
        fib.append(fib[-1] + fib[-2])
    rng = np.random.default_rng(6)
    for dt in INTS:
        info = np.iinfo(dt)
        f = np.array([v for v in fib if v <= info.max], dtype=dt)
        _same(op, f[1:], f[:-1])  # consecutive Fibonacci numbers: Euclid's worst case
        _same(op, *_grid(_edges(dt)))
        x = _random_ints(rng, dt, 400)
        _same(op, x, (x // dt(rng.integers(1, 50))) * dt(3))  # large common factors


def test_fmax_fmin_nan_and_integers():
    for dt in FLOATS:
        v = np.array([np.nan, 1.0, -2.0, np.inf, -np.inf, 0.5], dtype=dt)
        for op in ("fmax", "fmin"):
            _same(op, v[:, None], v[None, :])
            _same(op, np.array(np.nan, dt), v)
    for dt in INTS:
        for op in ("fmax", "fmin"):
            _same(op, *_grid(_edges(dt)))
    _same("fmax", np.array([True, False]), np.array([False, False]))


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("fmt", [(3, -6, 448.0), (2, -14, 57344.0)], ids=["e4m3fn", "e5m2"])
def test_float8_round_ties_subnormals_and_specials(dt, fmt):
    mbits, emin, top = fmt
    grid = np.arange(-(2 ** (mbits + 1)) * 4, 2 ** (mbits + 1) * 4 + 1) / 2.0 ** (mbits + 1)  # every tie
    vals = [grid * 2.0 ** e for e in (emin - 2, emin, 0, 3)] + [np.array([0.0, -0.0, np.inf, -np.inf, np.nan, top,
                                                                             -top, 2.0 ** (emin - mbits - 1)])]
    x = np.concatenate(vals).astype(dt)
    fi = np.finfo(dt)
    x = np.concatenate([x, np.array([fi.max, -fi.max, fi.smallest_subnormal, fi.tiny], dt)])
    _same("float8_round", x, mbits=mbits, emin=emin)
    _same("float8_round", x[7], mbits=mbits, emin=emin)


def test_nonzero_shapes_and_values():
    rng = np.random.default_rng(7)
    for shape in [(), (0,), (6,), (3, 4), (2, 0, 3), (2, 3, 4)]:
        for dt in (np.float32, np.int64, np.uint8, np.bool_):
            x = rng.integers(-1, 2, shape).astype(dt)
            _same("nonzero", x)
    _same("nonzero", np.array([[0.0, -0.0, np.nan], [np.inf, 0.0, 1e-45]], np.float32))
    _same("nonzero", np.zeros((3, 2)))


@pytest.mark.parametrize("descending", [False, True])
def test_argsort_stable_with_nan_ties_and_axes(descending):
    rng = np.random.default_rng(8)
    for dt in FLOATS + [np.int64, np.uint8, np.bool_]:
        for shape in [(1,), (0,), (9,), (4, 5), (3, 0, 2), (2, 3, 6)]:
            x = rng.integers(-3, 3, shape).astype(dt)
            if np.dtype(dt).kind == "f" and x.size:
                x.flat[rng.integers(0, x.size, 4)] = np.array([np.nan, -0.0, np.inf, -np.inf], dt)
            for axis in range(-len(shape), len(shape)):
                _same("argsort", x, axis=axis, descending=descending)
