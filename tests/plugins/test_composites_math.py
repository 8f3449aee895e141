"""The elementwise math composites (``unidl.ops.composite_math``) against the cpu reference kernels beyond the
conformance cases' ranges: every float's special values (±0, ±inf, NaN, subnormals, the largest finite), the
edges of each domain, float16 and bfloat16, bool and integer inputs, Python scalar operands.

The sign, bit and rounding ops and erfinv must give the kernel's bits; the transcendental ones its values
within the op's tolerance for float32/float64 (a float16 result may differ by one float16 ulp: NumPy computes
it through its own float32 function, which is not correctly rounded, so the rounding to float16 can differ)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl  # noqa: F401
from unidl.testing.cases import tolerance
from unidl_conformance.kernels.harness import reference_and_composite

FLOATS = [np.float16, np.float32, np.float64]
INTS = [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64]


def _bf16():
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover - the optional extra
        return []
    return [np.dtype(ml_dtypes.bfloat16)]


_run = reference_and_composite  # (reference result, composite result), either one an exception


def _check(op, *args, exact=True, **kw):
    want, got = _run(op, *args, **kw)
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"{op}: the kernel raised {want!r}, the composite did not"
        return
    assert not isinstance(got, Exception), f"{op}: composite raised {got!r} where the kernel did not"
    w, g = np.asarray(want), np.asarray(got)
    assert (w.dtype, w.shape) == (g.dtype, g.shape), (op, w.dtype, g.dtype, w.shape, g.shape)
    if w.dtype.kind in "iub":
        bad = w != g
    else:
        wf, gf = w.astype(np.float64), g.astype(np.float64)
        nan = np.isnan(wf)
        same = (nan & np.isnan(gf)) | ((wf == gf) & (np.signbit(wf) == np.signbit(gf)))
        if exact:
            bad = ~same
        else:
            assert np.array_equal(nan, np.isnan(gf)), f"{op}: NaN where the kernel has none, or the reverse"
            assert np.array_equal(np.isinf(wf), np.isinf(gf) & ~nan) and np.array_equal(wf[np.isinf(wf)],
                                                                                        gf[np.isinf(wf)])
            if w.dtype.itemsize == 2:  # one float16/bfloat16 ulp
                with np.errstate(all="ignore"):
                    allowed = np.abs(np.spacing(w).astype(np.float64)) if w.dtype.kind == "f" else np.abs(wf) * 2.0 ** -7
            else:
                rtol, atol = tolerance(op).for_dtype(w.dtype)
                allowed = atol + rtol * np.abs(wf)
            fin = np.isfinite(wf)
            bad = np.zeros(wf.shape, bool)
            bad[fin] = np.abs(gf[fin] - wf[fin]) > allowed[fin]
            bad |= fin & (wf == 0) & (gf == 0) & (np.signbit(wf) != np.signbit(gf))
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        detail = [np.broadcast_to(a, bad.shape)[i] for a in args if isinstance(a, np.ndarray) and a.ndim]
        pytest.fail(f"{op}{kw or ''} at {i}: inputs {detail}, composite {g[i]!r}, kernel {w[i]!r}")


def _values(dt, lo=-10.0, hi=10.0, n=4000, seed=0):
    """Uniform values in [lo, hi], values across the whole exponent range of both signs, and the edges."""
    dt = np.dtype(dt)
    rng = np.random.default_rng(seed)
    if dt.kind == "b":
        return np.array([True, False])
    if dt.kind in "iu":
        info = np.iinfo(dt)
        v = rng.integers(max(info.min, -200), min(info.max, 200), n // 4, endpoint=True)
        return np.concatenate([v.astype(dt), np.array([info.min, info.max, 0, 1], dt)])
    f = np.finfo(np.float32 if dt.kind == "V" else dt)
    e = rng.uniform(np.log10(float(f.smallest_subnormal)) if hasattr(f, "smallest_subnormal") else -40,
                    np.log10(float(f.max)), n)
    spread = 10.0 ** e * rng.choice([-1.0, 1.0], n)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, float(f.max), -float(f.max),
             float(f.tiny), -float(f.tiny)]
    with np.errstate(all="ignore"):
        return np.concatenate([rng.uniform(lo, hi, n), spread, edges]).astype(dt)


UNARY = [("arctan", -10, 10), ("arcsin", -1.1, 1.1), ("arccos", -1.1, 1.1), ("sinh", -30, 30), ("cosh", -30, 30),
         ("arcsinh", -10, 10), ("arccosh", 0.5, 10), ("arctanh", -1.1, 1.1), ("cbrt", -10, 10), ("i0", -30, 30)]


@pytest.mark.parametrize("dt", FLOATS + _bf16() + INTS, ids=str)
@pytest.mark.parametrize("op,lo,hi", UNARY, ids=[u[0] for u in UNARY])
def test_transcendental_unary_within_tolerance(op, lo, hi, dt):
    if op == "i0" and np.dtype(dt) == np.float16:
        pytest.skip("NumPy's i0 evaluates float16 in float16 arithmetic (0.3% off I0); the composite rounds I0 once")
    _check(op, _values(dt, lo, hi), exact=False)


@pytest.mark.parametrize("op,lo,hi", UNARY, ids=[u[0] for u in UNARY])
def test_transcendental_unary_near_the_edges_float64(op, lo, hi):
    rng = np.random.default_rng(1)
    pts = np.array([1.0, -1.0, 0.0, 20.0, 22.0, 2.0 ** 28, 709.0, 710.5, 713.0])
    near = (pts[:, None] * (1 + rng.uniform(-1e-6, 1e-6, (pts.size, 200)))).ravel()
    tiny = 10.0 ** rng.uniform(-323, -5, 500) * rng.choice([-1.0, 1.0], 500)
    _check(op, np.concatenate([near, tiny, 1.0 - 2.0 ** -np.arange(1, 54), -1.0 + 2.0 ** -np.arange(1, 54)]),
           exact=False)


BINARY = ["arctan2", "hypot", "logaddexp2"]


@pytest.mark.parametrize("dt", FLOATS + _bf16() + INTS, ids=str)
@pytest.mark.parametrize("op", BINARY)
def test_transcendental_binary_within_tolerance(op, dt):
    v = _values(dt, -5, 5)
    edges = v[-16:] if np.dtype(dt).kind in "fV" else v[-4:]
    _check(op, v, np.random.default_rng(2).permutation(v), exact=False)
    _check(op, edges[:, None], edges[None, :], exact=False)  # every pair of special values


@pytest.mark.parametrize("op", BINARY + ["copysign", "nextafter", "heaviside"])
def test_binary_python_scalars_and_mixed_dtypes(op):
    exact = op not in BINARY
    x = _values(np.float32, -4, 4, n=200)
    for s in (2.5, 3, -0.0, float("nan"), float("inf")):
        _check(op, x, s, exact=exact)
        _check(op, s, x, exact=exact)
        _check(op, _values(np.int8, n=200), s, exact=exact)
    _check(op, _values(np.float16, n=200), _values(np.int32, n=200)[:1], exact=exact)
    _check(op, np.array(1.5, np.float32), np.array(-2.0, np.float64), exact=exact)
    _check(op, np.zeros((0, 3)), np.zeros((1, 3)), exact=exact)


@pytest.mark.parametrize("dt", FLOATS + _bf16(), ids=str)
@pytest.mark.parametrize("op", ["copysign", "nextafter", "heaviside"])
def test_sign_and_step_ops_bitwise(op, dt):
    v = _values(dt, -3, 3)
    _check(op, v, np.random.default_rng(3).permutation(v))
    edges = np.concatenate([v[-16:], np.array([-np.nan], dt)])
    _check(op, edges[:, None], edges[None, :])


def test_nextafter_every_float16():
    bits = np.arange(65536, dtype=np.uint16).view(np.float16)
    for target in (np.inf, -np.inf, 0.0, -0.0, 1.0, np.nan):
        _check("nextafter", bits, np.float16(target) * np.ones(1, np.float16))


@pytest.mark.parametrize("dt", FLOATS + _bf16() + INTS, ids=str)
def test_signbit(dt):
    _check("signbit", _values(dt))
    if np.dtype(dt).kind in "fV":
        _check("signbit", np.array([-np.nan, np.nan, -0.0], dt))
        _check("signbit", np.array(-0.0, dt))  # 0-d


@pytest.mark.parametrize("dt", FLOATS + _bf16() + [np.bool_, np.int8, np.int32, np.int64, np.uint8], ids=str)
@pytest.mark.parametrize("decimals", [0, 1, 2, -1, -2, 5, 25, -25])
def test_round_half_to_even_bitwise(dt, decimals):
    v = _values(dt, -1000, 1000)
    if np.dtype(dt).kind in "fV":
        v = np.concatenate([v, (np.arange(-40, 41) / 2.0).astype(dt)])  # the ties
    _check("round", v, decimals=decimals) if decimals else _check("round", v)


@pytest.mark.parametrize("dt", FLOATS + _bf16() + [np.int8, np.int16, np.int64, np.bool_], ids=str)
@pytest.mark.parametrize("edt", [np.int8, np.int32, np.int64, np.uint32, np.uint64, np.bool_], ids=str)
def test_ldexp_rounds_once(dt, edt):
    v = _values(dt)
    rng = np.random.default_rng(4)
    if np.dtype(edt).kind == "b":
        e = rng.integers(0, 2, v.size).astype(bool)
    else:
        info = np.iinfo(edt)
        e = rng.integers(max(info.min, -2500), min(info.max, 2500), v.size).astype(edt)
        e[: v.size // 2] = rng.integers(max(info.min, -60), min(info.max, 60), v.size // 2)
    _check("ldexp", v, e)


def test_ldexp_subnormal_results_float64():
    rng = np.random.default_rng(5)
    m = rng.uniform(1, 2, 20000) * 2.0 ** rng.integers(-60, 60, 20000)
    _check("ldexp", m, rng.integers(-1160, -1000, 20000))
    _check("ldexp", np.float64(5e-324) * np.ones(3), np.array([2097, 2098, 2099]))
    _check("ldexp", np.array([1.5, -3.0]), -1075)
    _check("ldexp", 2.5, np.arange(-5, 5, dtype=np.int32))


@pytest.mark.parametrize("dt", FLOATS + _bf16() + [np.int32, np.bool_], ids=str)
def test_erfinv_bitwise(dt):
    v = _values(dt, -1.0, 1.0)
    if np.dtype(dt).kind in "fV":
        v = np.concatenate([v, np.array([1.0, -1.0, 0.9999, -0.9999, 1e-30], dt)])
    _check("erfinv", v)
