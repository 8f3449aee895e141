"""Elementwise math, activations, maximum/minimum/clip, rounding, logical ops and Tensor operators,
compared with plain NumPy (and ``math.erf``), with gradients checked by finite differences."""
from __future__ import annotations

import math
import operator
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.testing import assert_grad_close
from unidl.testing.strategies import arrays, broadcastable_shapes, float_dtypes, shapes, small_float64

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _tol(dt):
    return dict(rtol=2e-5, atol=1e-6) if np.dtype(dt) == np.float32 else dict(rtol=1e-12, atol=1e-14)


def _t(a, **kw):
    return unidl.tensor(a, **kw)


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


# name -> (unidl function, NumPy reference on float64, domain lo, hi (exact in float32))
UNARY = {
    "negative": (ops.negative, np.negative, -10, 10),
    "exp": (ops.exp, np.exp, -10, 10),
    "log": (ops.log, np.log, 0.125, 10),
    "abs": (ops.abs, np.abs, -10, 10),
    "sign": (ops.sign, np.sign, -10, 10),
    "square": (ops.square, np.square, -10, 10),
    "sqrt": (ops.sqrt, np.sqrt, 0, 10),
    "reciprocal": (ops.reciprocal, np.reciprocal, 0.125, 10),
    "expm1": (ops.expm1, np.expm1, -10, 10),
    "log1p": (ops.log1p, np.log1p, -0.875, 10),
    "log2": (ops.log2, np.log2, 0.125, 10),
    "log10": (ops.log10, np.log10, 0.125, 10),
    "sin": (ops.sin, np.sin, -10, 10),
    "cos": (ops.cos, np.cos, -10, 10),
    "tan": (ops.tan, np.tan, -1.375, 1.375),
    "tanh": (ops.tanh, np.tanh, -10, 10),
    "erf": (ops.erf, _erf, -10, 10),
    "erfc": (ops.erfc, _erfc, -10, 10),
    "sigmoid": (ops.sigmoid, _np_sigmoid, -30, 30),
    "relu": (ops.relu, lambda x: np.maximum(x, 0), -10, 10),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(x)), -30, 30),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), -10, 10),
    "elu": (ops.elu, lambda x: np.where(x > 0, x, np.expm1(x)), -10, 10),
    "selu": (ops.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), -10, 10),
    "gelu": (ops.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), -10, 10),
    "gelu_tanh": (lambda x: ops.gelu(x, approximate=True), _np_gelu_tanh, -10, 10),
    "silu": (ops.silu, lambda x: x * _np_sigmoid(x), -30, 30),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), -10, 10),
    "floor": (ops.floor, np.floor, -10, 10),
    "ceil": (ops.ceil, np.ceil, -10, 10),
    "round": (ops.round, np.round, -10, 10),
    "trunc": (ops.trunc, np.trunc, -10, 10),
}

# Gradient-check domains away from kinks, poles and jumps: (lo, hi, keep |x| >= this).
GRAD_DOMAIN = {
    "log": (0.2, 3, 0), "sqrt": (0.2, 3, 0), "reciprocal": (0.3, 3, 0), "log1p": (-0.5, 3, 0),
    "log2": (0.2, 3, 0), "log10": (0.2, 3, 0), "tan": (-1.2, 1.2, 0), "abs": (-3, 3, 0.05),
    "sign": (-3, 3, 0.05), "relu": (-3, 3, 0.05), "leaky_relu": (-3, 3, 0.05), "elu": (-3, 3, 0.05),
    "selu": (-3, 3, 0.05), "hard_sigmoid": (-2.2, 2.2, 0), "floor": (-3, 3, 0), "ceil": (-3, 3, 0),
    "round": (-3, 3, 0), "trunc": (-3, 3, 0),
}
ZERO_GRAD = {"sign", "floor", "ceil", "round", "trunc"}


# -- unary ops: forward ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=8)
@given(shape=shapes(max_dims=3), dt=float_dtypes(), data=st.data())
def test_unary_matches_numpy(name, shape, dt, data):
    fn, ref, lo, hi = UNARY[name]
    x = data.draw(arrays(dt, shape, lo, hi))
    got = fn(_t(x))
    want = ref(x.astype(np.float64))
    assert got.shape == x.shape and got.dtype == x.dtype
    if name in ("floor", "ceil", "round", "trunc", "sign"):
        np.testing.assert_array_equal(got.numpy(), ref(x))
    else:
        np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


@pytest.mark.parametrize("name", ["exp", "log", "sigmoid", "relu", "tanh", "erf", "gelu", "abs", "floor"])
def test_unary_zero_d_keeps_dtype(name):
    fn, ref, lo, hi = UNARY[name]
    for dt in (np.float32, np.float64):
        x = np.asarray(0.5 * (lo + hi) + 0.25, dtype=dt)
        got = fn(_t(x))
        assert got.shape == () and got.dtype == dt
        np.testing.assert_allclose(got.numpy(), ref(x.astype(np.float64)), **_tol(dt))


def test_integer_inputs_follow_numpy():
    xi = np.array([-3, -1, 0, 2, 5], dtype=np.int64)
    for fn, ref in ((ops.abs, np.abs), (ops.sign, np.sign), (ops.square, np.square),
                    (ops.relu, lambda v: np.maximum(v, 0)), (ops.negative, np.negative)):
        got = fn(_t(xi))
        assert got.dtype == ref(xi).dtype
        np.testing.assert_array_equal(got.numpy(), ref(xi))
    got = ops.sigmoid(_t(xi))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.numpy(), _np_sigmoid(xi.astype(np.float64)), rtol=1e-12)
    np.testing.assert_allclose(ops.reciprocal(_t(np.array([1, 2, 4]))).numpy(), [1.0, 0.5, 0.25])


# -- erf -------------------------------------------------------------------------------------------

def test_erf_matches_math_erf():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(3000) * 3, rng.uniform(-30, 30, 1000),
                        np.logspace(-300, 1.5, 300), -np.logspace(-300, 1.5, 300),
                        [0.0, -0.0, 0.46875, np.nextafter(0.46875, 1), 4.0, np.nextafter(4.0, 5), 5.9, 6.0,
                         26.5, 27.0, 28.0, 1e300, -1e300]])
    got = ops.erf(_t(x)).numpy()
    np.testing.assert_allclose(got, _erf(x), rtol=1e-15, atol=0)
    got = ops.erfc(_t(x)).numpy()
    np.testing.assert_allclose(got, _erfc(x), rtol=2e-15, atol=1e-300)


def test_erf_special_values_and_float32():
    got = ops.erf(_t(np.array([np.inf, -np.inf, np.nan, 0.0]))).numpy()
    np.testing.assert_array_equal(got[[0, 1, 3]], [1.0, -1.0, 0.0])
    assert np.isnan(got[2])
    np.testing.assert_array_equal(ops.erfc(_t(np.array([np.inf, -np.inf]))).numpy(), [0.0, 2.0])
    x = np.linspace(-6, 6, 101, dtype=np.float32)
    got = ops.erf(_t(x))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), _erf(x.astype(np.float64)), rtol=1e-6, atol=1e-7)


# -- numerical stability ---------------------------------------------------------------------------

@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_activations_stable_for_large_inputs(dt):
    x = np.array([-1e4, -800.0, -40.0, 0.0, 40.0, 800.0, 1e4], dtype=dt)
    xd = x.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ops.sigmoid(_t(x)).numpy()
        sp = ops.softplus(_t(x)).numpy()
        si = ops.silu(_t(x)).numpy()
        el = ops.elu(_t(x)).numpy()
        se = ops.selu(_t(x)).numpy()
        ge = ops.gelu(_t(x)).numpy()
    with np.errstate(over="ignore"):
        want_s = np.where(xd >= 0, 1 / (1 + np.exp(-np.abs(xd))), np.exp(-np.abs(xd)) / (1 + np.exp(-np.abs(xd))))
    np.testing.assert_allclose(s, want_s, **_tol(dt))
    assert s[2] > 0 and abs(s[2] - math.exp(-40) / (1 + math.exp(-40))) <= 1e-5 * math.exp(-40)
    np.testing.assert_allclose(sp, np.logaddexp(0, xd), **_tol(dt))
    np.testing.assert_allclose(si, xd * want_s, **_tol(dt))
    np.testing.assert_allclose(el, np.where(xd > 0, xd, np.expm1(np.minimum(xd, 0))), **_tol(dt))
    np.testing.assert_allclose(se, SELU_SCALE * np.where(xd > 0, xd, SELU_ALPHA * np.expm1(np.minimum(xd, 0))),
                               **_tol(dt))
    np.testing.assert_allclose(ge, np.where(xd > 0, xd, 0.0), **_tol(dt))
    # gelu's exact form keeps relative accuracy in the far negative tail
    np.testing.assert_allclose(ops.gelu(_t(np.array([-10.0]))).numpy(), -10.0 * 0.5 * math.erfc(10 / math.sqrt(2)),
                               rtol=1e-13)


# -- unary ops: gradients --------------------------------------------------------------------------

@st.composite
def _grad_input(draw, name):
    lo, hi, gap = GRAD_DOMAIN.get(name, (-3, 3, 0))
    x = draw(small_float64(draw(shapes(max_dims=3, max_side=3)), lo, hi))
    if gap:
        x = np.where(np.abs(x) < gap, np.where(x < 0, -gap, gap), x)
    return x


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=6)
@given(data=st.data())
def test_unary_gradients(name, data):
    fn = UNARY[name][0]
    x = data.draw(_grad_input(name))
    if name in ("floor", "ceil", "round", "trunc"):
        frac = x - np.floor(x)  # keep finite differences off the jumps
        assume(np.all((np.abs(frac - 0.5) > 0.01) & (frac > 0.01) & (frac < 0.99)))
    if name == "hard_sigmoid":
        assume(np.all(np.abs(np.abs(x) - 2.5) > 0.01))
    assert_grad_close(fn, x)
    if name in ZERO_GRAD:
        xt = _t(x, requires_grad=True)
        with unidl.record():
            y = fn(xt)
        y.backward()
        np.testing.assert_array_equal(xt.grad.numpy(), np.zeros_like(x))


@pytest.mark.parametrize("kw", [dict(negative_slope=0.01), dict(negative_slope=1.5)])
def test_leaky_relu_slope(kw):
    x = np.array([[-2.0, -0.5, 0.5], [3.0, -1.0, 0.25]])
    np.testing.assert_allclose(ops.leaky_relu(_t(x), **kw).numpy(), np.where(x > 0, x, kw["negative_slope"] * x))
    assert_grad_close(lambda t: ops.leaky_relu(t, **kw), x)


def test_elu_alpha_and_hard_sigmoid_params():
    x = np.array([-2.0, -0.5, 0.5, 3.3, -4.0, 2.7])  # away from hard_sigmoid's kinks at +-2.5 and +-3
    np.testing.assert_allclose(ops.elu(_t(x), alpha=0.5).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-12)
    assert_grad_close(lambda t: ops.elu(t, alpha=0.5), x)
    want = np.clip(x / 6 + 0.5, 0, 1)
    np.testing.assert_allclose(ops.hard_sigmoid(_t(x), alpha=1 / 6, beta=0.5).numpy(), want, rtol=1e-12)
    assert_grad_close(lambda t: ops.hard_sigmoid(t, 1 / 6, 0.5), x)
    np.testing.assert_allclose(ops.gelu(_t(x), approximate="tanh").numpy(), _np_gelu_tanh(x), rtol=1e-12)
    assert_grad_close(lambda t: ops.gelu(t, approximate="tanh"), x)


def test_relu_gradient_at_zero_is_zero():
    x = _t(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    with unidl.record():
        y = ops.relu(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


@given(shape=shapes(max_dims=3), dtype=float_dtypes(), data=st.data())
def test_relu_grad_is_g_times_sign_of_the_output_bitwise(shape, dtype, data):
    """relu's backward is one fused kernel, ``relu_grad(g, out)``: the bits of ``g * sign(out)`` for relu
    outputs (zeros, signed zeros of g, inf, NaN included), and relu's gradient goes through it."""
    from unidl.trace import kernel_trace

    from hypothesis.extra import numpy as hnp

    dtype = np.dtype(dtype)
    x = data.draw(hnp.arrays(dtype, shape, elements=st.sampled_from([-2.0, -0.0, 0.0, 0.5, 3.0, np.inf, np.nan])))
    g = data.draw(hnp.arrays(dtype, shape, elements=st.sampled_from([-1.5, -0.0, 0.0, 2.0, -np.inf, np.nan])))
    out = np.maximum(x, dtype.type(0))
    got = ops.relu_grad(_t(g), _t(out)).numpy()
    want = g * np.sign(out)
    assert got.dtype == want.dtype
    same = (got.view(f"u{dtype.itemsize}") == want.view(f"u{dtype.itemsize}")) | (np.isnan(got) & np.isnan(want))
    assert same.all()
    xt = _t(x, requires_grad=True)
    with kernel_trace() as calls:
        with unidl.record():
            y = ops.relu(xt)
        y.backward(_t(g))
    assert [c.op for c in calls if c.depth == 0] == ["relu", "relu_grad"]  # (composites nest their own calls)
    np.testing.assert_array_equal(xt.grad.numpy(), got)


def test_relu_grad_differentiates_in_g_only():
    out = np.array([0.0, 1.0, 2.0, 0.0])
    assert_grad_close(lambda t: ops.relu_grad(t, _t(out)), np.array([1.0, -2.0, 0.5, 3.0]))
    gt, ot = _t(np.ones(4), requires_grad=True), _t(out, requires_grad=True)
    with unidl.record():
        r = ops.relu_grad(gt, ot)
    r.backward(_t(np.array([1.0, 2.0, 3.0, 4.0])))
    np.testing.assert_array_equal(gt.grad.numpy(), [0.0, 2.0, 3.0, 0.0])
    assert ot.grad is None  # the mask is a constant


def _second_order(fn):
    """The squared-norm of ``fn``'s input gradient (with a fixed head weight): double backward."""
    def g(x):
        x.requires_grad = True
        with unidl.record():
            y = fn(x)
            w = _t(np.random.default_rng(3).standard_normal(y.shape))
            (gx,) = unidl.autograd.grad(ops.sum(ops.multiply(y, w)), [x], create_graph=True)
        return ops.multiply(gx, gx)
    return g


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus", "gelu", "gelu_tanh", "silu", "elu", "selu", "erf",
                                  "sin", "sqrt", "reciprocal", "log", "expm1", "square"])
def test_second_order_gradients(name):
    x = np.array([[0.3, -1.2, 0.8], [1.7, -0.4, 0.6]])
    if name in ("sqrt", "log", "reciprocal"):
        x = np.abs(x) + 0.2
    assert_grad_close(_second_order(UNARY[name][0]), x, rtol=1e-4, atol=1e-6)


def test_relu_gradient_is_not_differentiable_again():
    # relu's gradient is a constant mask: its second derivative is 0, so the gradient has no graph
    x = _t(np.array([0.3, -1.2, 0.8]), requires_grad=True)
    with unidl.record():
        (gx,) = unidl.autograd.grad(ops.sum(ops.relu(x)), [x], create_graph=True)
    np.testing.assert_array_equal(gx.numpy(), [1.0, 0.0, 1.0])
    assert not gx.requires_grad


# -- binary ops ------------------------------------------------------------------------------------

BINARY = {
    "add": (ops.add, np.add), "subtract": (ops.subtract, np.subtract), "multiply": (ops.multiply, np.multiply),
    "divide": (ops.divide, np.true_divide), "floor_divide": (ops.floor_divide, np.floor_divide),
    "mod": (ops.mod, np.mod), "power": (ops.power, np.power), "maximum": (ops.maximum, np.maximum),
    "minimum": (ops.minimum, np.minimum),
}
_NONZERO_B = {"divide", "floor_divide", "mod"}


def _binary_inputs(name, dt, sa, sb, data):
    if name == "power":
        a = data.draw(arrays(dt, sa, 0.125, 3))
        b = data.draw(arrays(dt, sb, -3, 3))
    else:
        a = data.draw(arrays(dt, sa))
        b = data.draw(arrays(dt, sb, 0.5, 10))
        if name not in _NONZERO_B:
            b = b * np.where(data.draw(arrays(np.bool_, sb)), 1, -1).astype(dt)
    return a, b


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=10)
@given(shapes_=broadcastable_shapes(2, max_dims=3), dt=float_dtypes(), data=st.data())
def test_binary_matches_numpy_with_broadcasting(name, shapes_, dt, data):
    fn, ref = BINARY[name]
    a, b = _binary_inputs(name, dt, *shapes_, data)
    got = fn(_t(a), _t(b))
    want = ref(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=8)
@given(shape=shapes(max_dims=3), dt=float_dtypes(), s=st.sampled_from([2, 0.5, 3.0, 1.5]), data=st.data())
def test_binary_with_scalar_on_either_side(name, shape, dt, s, data):
    fn, ref = BINARY[name]
    x = data.draw(arrays(dt, shape, 0.5, 4))
    for got, want in ((fn(_t(x), s), ref(x, np.asarray(s, dt))), (fn(s, _t(x)), ref(np.asarray(s, dt), x))):
        assert got.dtype == dt and got.shape == x.shape
        np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "floor_divide", "mod", "power", "maximum", "minimum"])
@settings(max_examples=10)
@given(shapes_=broadcastable_shapes(2, max_dims=3), data=st.data())
def test_binary_integers(name, shapes_, data):
    fn, ref = BINARY[name]
    a = data.draw(arrays(np.int64, shapes_[0], -20, 20))
    b = data.draw(arrays(np.int64, shapes_[1], 1, 5))
    got = fn(_t(a), _t(b))
    want = ref(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


def test_floor_divide_and_mod_follow_python_signs():
    a = np.array([7.0, -7.0, 7.0, -7.0, 5.5])
    b = np.array([2.0, 2.0, -2.0, -2.0, 1.5])
    np.testing.assert_array_equal(ops.floor_divide(_t(a), _t(b)).numpy(), [x // y for x, y in zip(a, b)])
    np.testing.assert_array_equal(ops.mod(_t(a), _t(b)).numpy(), [x % y for x, y in zip(a, b)])
    xt = _t(a, requires_grad=True)
    with unidl.record():
        y = ops.floor_divide(xt, 2.0)
    assert not y.requires_grad


@settings(max_examples=10)
@given(shapes_=broadcastable_shapes(2, max_dims=3, max_side=3), data=st.data())
def test_power_gradients(shapes_, data):
    a = data.draw(small_float64(shapes_[0], 0.3, 2))
    b = data.draw(small_float64(shapes_[1], -2, 2))
    assert_grad_close(ops.power, a, b)
    assert_grad_close(lambda t: ops.power(t, 2.5), a)
    assert_grad_close(lambda t: ops.power(1.7, t), b)


@pytest.mark.parametrize("e", [0, 1, 2, 3, -1, 0.5])
def test_power_scalar_exponents(e):
    x = np.array([[0.5, -1.5, 2.0], [1.2, -0.7, 3.0]])
    if e == 0.5:
        x = np.abs(x)
    np.testing.assert_allclose(ops.power(_t(x), e).numpy(), np.power(x, e), rtol=1e-12)
    assert_grad_close(lambda t: ops.power(t, e), x)


def test_power_exponent_gradient_at_zero_base():
    a = _t(np.array([0.0, 2.0]))
    b = _t(np.array([2.0, 3.0]), requires_grad=True)
    with unidl.record():
        y = ops.power(a, b)
    y.backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 8.0 * math.log(2.0)])


@st.composite
def _mod_pair(draw):
    """``(a, b)`` with ``a / b`` kept 0.1 away from integers (mod jumps there)."""
    sa, sb = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    b = draw(small_float64(sb, 0.5, 2)) * np.where(draw(arrays(np.bool_, sb)), 1, -1)
    k = draw(arrays(np.int64, sa, -3, 3)).astype(np.float64)
    f = draw(small_float64(sa, 0.1, 0.9))
    return (k + f) * b, b


@settings(max_examples=10)
@given(pair=_mod_pair())
def test_mod_gradients(pair):
    a, b = pair
    q = np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) / b
    assume(np.all(np.abs(q - np.round(q)) > 0.05))
    assert_grad_close(ops.mod, a, b)


@st.composite
def _untied_pair(draw):
    sa, sb = draw(broadcastable_shapes(2, max_dims=3, max_side=3))
    a = draw(small_float64(sa))
    b = draw(small_float64(sb))
    return a, b


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "minimum"])
@settings(max_examples=10)
@given(pair=_untied_pair())
def test_binary_gradients(name, pair):
    a, b = pair
    if name == "divide":
        b = np.where(np.abs(b) < 0.3, 0.5, b)
    if name in ("maximum", "minimum"):
        d = np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) - b
        assume(np.all(np.abs(d) > 0.05))
    assert_grad_close(BINARY[name][0], a, b)
    assert_grad_close(lambda t: BINARY[name][0](t, 0.7), a)
    assert_grad_close(lambda t: BINARY[name][0](-0.7, t), b)


@pytest.mark.parametrize("fn", [ops.maximum, ops.minimum])
def test_maximum_minimum_ties_send_gradient_to_a(fn):
    a = _t(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = _t(np.array([1.0, 0.0, 5.0]), requires_grad=True)
    with unidl.record():
        y = fn(a, b)
    y.backward(_t(np.array([10.0, 20.0, 30.0])))
    if fn is ops.maximum:
        np.testing.assert_array_equal(a.grad.numpy(), [10.0, 20.0, 0.0])
        np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0, 30.0])
    else:
        np.testing.assert_array_equal(a.grad.numpy(), [10.0, 0.0, 30.0])
        np.testing.assert_array_equal(b.grad.numpy(), [0.0, 20.0, 0.0])


def test_maximum_propagates_nan():
    got = ops.maximum(_t(np.array([np.nan, 1.0])), _t(np.array([0.0, np.nan]))).numpy()
    assert np.isnan(got).all()


# -- clip ------------------------------------------------------------------------------------------

@settings(max_examples=15)
@given(shape=shapes(max_dims=3), dt=float_dtypes(), lo=st.one_of(st.none(), st.floats(-5, 0)),
       hi=st.one_of(st.none(), st.floats(0, 5)), data=st.data())
def test_clip_matches_numpy(shape, dt, lo, hi, data):
    assume(lo is not None or hi is not None)
    x = data.draw(arrays(dt, shape))
    got = ops.clip(_t(x), lo, hi)
    want = np.clip(x, lo if lo is not None else -np.inf, hi if hi is not None else np.inf)
    assert got.dtype == dt and got.shape == x.shape
    np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


@settings(max_examples=10)
@given(x=shapes(max_dims=3, max_side=3).flatmap(lambda s: small_float64(s, -3, 3)),
       bounds=st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None), (0.0, 0.0)]))
def test_clip_gradient(x, bounds):
    lo, hi = bounds
    for b in (lo, hi):
        if b is not None:
            x = np.where(np.abs(x - b) < 0.05, b + 0.1, x)
    assert_grad_close(lambda t: ops.clip(t, lo, hi), x)


def test_clip_gradient_passes_at_bounds_and_tensor_bounds():
    x = _t(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), requires_grad=True)
    with unidl.record():
        y = ops.clip(x, -1.0, 1.0)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    lo = _t(np.array([[-1.0], [0.5]]))
    xs = np.array([-2.0, 0.0, 2.0])
    got = ops.clip(_t(xs), lo, 1.5)
    np.testing.assert_array_equal(got.numpy(), np.clip(xs, lo.numpy(), 1.5))
    assert_grad_close(lambda t: ops.clip(t, lo, 1.5), np.array([-2.0, 0.0, 2.0]))


# -- logical, classification -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@settings(max_examples=10)
@given(shapes_=broadcastable_shapes(2, max_dims=3), data=st.data())
def test_logical_binary(name, shapes_, data):
    a = data.draw(arrays(np.bool_, shapes_[0]))
    b = data.draw(arrays(np.float64, shapes_[1], -1, 1))
    got = getattr(ops, name)(_t(a), _t(b))
    want = getattr(np, name)(a, b)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), want)
    np.testing.assert_array_equal(getattr(ops, name)(True, _t(b)).numpy(), getattr(np, name)(True, b))


def test_logical_not_and_classification():
    x = np.array([0.0, 1.0, -np.inf, np.inf, np.nan, -0.0, 3.5])
    t = _t(x)
    for name in ("logical_not", "isnan", "isinf", "isfinite"):
        got = getattr(ops, name)(t)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), getattr(np, name)(x))
    xt = _t(x, requires_grad=True)
    with unidl.record():
        assert not ops.isnan(xt).requires_grad and not ops.logical_not(xt).requires_grad


# -- Tensor operators ------------------------------------------------------------------------------

@settings(max_examples=10)
@given(shapes_=broadcastable_shapes(2, max_dims=3), dt=float_dtypes(), data=st.data())
def test_python_operators(shapes_, dt, data):
    a = data.draw(arrays(dt, shapes_[0], 0.5, 4))
    b = data.draw(arrays(dt, shapes_[1], 0.5, 4))
    ta, tb = _t(a), _t(b)
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv, operator.mod,
               operator.pow, operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge):
        want = op(a, b)
        got = op(ta, tb)
        assert got.dtype == want.dtype, op
        np.testing.assert_allclose(got.numpy(), want, **_tol(dt), err_msg=str(op))
        for s in (2, 1.5):
            np.testing.assert_allclose(op(ta, s).numpy(), op(a, np.asarray(s, dt)), **_tol(dt), err_msg=str(op))
            np.testing.assert_allclose(op(s, ta).numpy(), op(np.asarray(s, dt), a), **_tol(dt), err_msg=str(op))
    np.testing.assert_allclose((-ta).numpy(), -a)
    np.testing.assert_allclose(abs(_t(-a)).numpy(), a)
    np.testing.assert_allclose(ta.pow(2).numpy(), a ** 2, **_tol(dt))


def test_bool_operators_and_methods():
    p = np.array([True, False, True, False])
    q = np.array([True, True, False, False])
    tp, tq = _t(p), _t(q)
    np.testing.assert_array_equal((tp & tq).numpy(), p & q)
    np.testing.assert_array_equal((tp | tq).numpy(), p | q)
    np.testing.assert_array_equal((tp ^ tq).numpy(), p ^ q)
    np.testing.assert_array_equal((~tp).numpy(), ~p)
    x = np.array([-1.5, 0.25, 2.0])
    t = _t(x)
    for name, ref in (("sqrt", lambda v: np.sqrt(np.abs(v))), ("sigmoid", _np_sigmoid), ("tanh", np.tanh),
                      ("relu", lambda v: np.maximum(v, 0)), ("square", np.square), ("sign", np.sign),
                      ("floor", np.floor), ("ceil", np.ceil), ("round", np.round), ("sin", np.sin), ("cos", np.cos)):
        arg = abs(t) if name == "sqrt" else t
        np.testing.assert_allclose(getattr(arg, name)().numpy(), ref(x), rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(t.clip(-1, 1).numpy(), np.clip(x, -1, 1))
    np.testing.assert_allclose(t.maximum(0.0).numpy(), np.maximum(x, 0.0))
    np.testing.assert_allclose(t.minimum(0.0).numpy(), np.minimum(x, 0.0))


def test_operator_gradients_scalar_left():
    x = np.array([[0.5, 1.5], [2.0, 0.8]])
    assert_grad_close(lambda t: 2.0 - t, x)
    assert_grad_close(lambda t: 2.0 / t, x)
    assert_grad_close(lambda t: 2.0 ** t, x)
    assert_grad_close(lambda t: t ** 3 - t * t + (-t), x)
    y = np.array([[0.7, 1.3], [2.2, 0.9]])  # 5 / y and y + 10.45 stay off integers (mod's jumps)
    assert_grad_close(lambda t: 5.0 % t, y)
    assert_grad_close(lambda t: (t + 10.45) % 1.0, y)


def test_round_decimals():
    x = np.array([1.2345, -2.5, 0.5, 1.5, 2.675])
    np.testing.assert_array_equal(ops.round(_t(x), 2).numpy(), np.round(x, 2))
    np.testing.assert_array_equal(ops.round(_t(x)).numpy(), np.round(x))


# -- errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BINARY) + ["logical_and", "greater"])
def test_binary_shape_mismatch_error(name):
    fn = getattr(ops, name)
    with pytest.raises(unidl.OpError, match=rf"^{name}: .*\(2, 3\).*\(4,\)"):
        fn(_t(np.ones((2, 3))), _t(np.ones(4)))


def test_bad_arguments_raise_op_error():
    x = _t(np.ones((2, 3)))
    with pytest.raises(unidl.OpError, match=r"clip: .*min and max.*\(2, 3\)"):
        ops.clip(x)
    with pytest.raises(unidl.OpError, match=r"clip: max must be"):
        ops.clip(x, 0, "1")
    with pytest.raises(unidl.OpError, match=r"leaky_relu: negative_slope must be a real number.*\(2, 3\)"):
        ops.leaky_relu(x, "0.1")
    with pytest.raises(unidl.OpError, match=r"elu: alpha"):
        ops.elu(x, None)
    with pytest.raises(unidl.OpError, match=r"hard_sigmoid: beta"):
        ops.hard_sigmoid(x, 0.2, [0.5])
    with pytest.raises(unidl.OpError, match=r"gelu: approximate"):
        ops.gelu(x, approximate="fast")
    with pytest.raises(unidl.OpError, match=r"power: .*\(3,\)"):
        ops.power(_t(np.array([1, 2, 3])), -1)
    with pytest.raises(unidl.OpError, match=r"maximum: expected a unidl Tensor"):
        ops.maximum(x, [1.0])


def test_where_with_a_numpy_condition_still_routes_gradients():
    """A raw (NumPy) condition is not a Tensor, but the backward needs it to split the gradient."""
    import numpy as np

    import unidl
    from unidl import ops

    cond = np.array([True, False, True])
    a = unidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = unidl.tensor([10.0, 20.0, 30.0], requires_grad=True)
    with unidl.record():
        y = ops.sum(ops.multiply(ops.where(cond, a, b), unidl.tensor([1.0, 2.0, 4.0])))
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 4.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 2.0, 0.0])
    c = unidl.tensor([5.0, 6.0], requires_grad=True)
    with unidl.record():
        z = ops.sum(ops.where(np.bool_(False), unidl.tensor([1.0, 1.0]), c))
    z.backward()
    np.testing.assert_array_equal(c.grad.numpy(), [1.0, 1.0])


def test_relu_gradient_is_a_step_that_keeps_nan():
    """MXNet's relu_grad: 1 where x > 0, 0 where x <= 0, NaN where x is NaN (never a silent 0 for NaN)."""
    import unidl

    x = unidl.tensor(np.array([-1.0, 0.0, 2.0, np.nan], dtype=np.float32))
    x.requires_grad_()
    with unidl.autograd.record():
        y = unidl.ops.sum(unidl.ops.relu(x))
    unidl.autograd.backward([y])
    g = x.grad.numpy()
    assert g[:3].tolist() == [0.0, 0.0, 1.0] and np.isnan(g[3])
