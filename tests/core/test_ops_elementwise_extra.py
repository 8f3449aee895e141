"""unidl.ops.elementwise_extra: two-argument float functions, bit and integer ops, cbrt, signbit, i0,
bitcast and the composites, compared with NumPy; gradients checked by finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
from unidl import ops
from unidl.errors import OpError
from unidl.testing import assert_grad_close

A = np.array([[1.5, -2.0, 0.25], [3.0, -0.5, 4.0]])
B = np.array([2.0, -1.25, 0.75])


def _t(a, **kw):
    return unidl.tensor(a, **kw)


@pytest.mark.parametrize("name", ["arctan2", "hypot", "copysign", "nextafter", "fmax", "fmin", "fmod",
                                  "heaviside", "logaddexp", "logaddexp2"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_float_ops_match_numpy(name, dtype):
    a, b = A.astype(dtype), B.astype(dtype)
    got = getattr(ops, name)(_t(a), _t(b))
    want = getattr(np, name)(a, b)
    assert got.dtype == want.dtype and got.shape == (2, 3)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6 if dtype == "float32" else 1e-14)
    # a Python scalar on either side keeps the tensor's dtype
    assert getattr(ops, name)(_t(a), 2.0).dtype == np.dtype(dtype)
    assert getattr(ops, name)(0.5, _t(b)).dtype == np.dtype(dtype)


def test_nan_handling_of_fmax_fmin_and_specials():
    a = np.array([1.0, np.nan, np.nan, -0.0])
    b = np.array([np.nan, 2.0, np.nan, 0.0])
    np.testing.assert_array_equal(ops.fmax(_t(a), _t(b)).numpy(), [1.0, 2.0, np.nan, 0.0])
    np.testing.assert_array_equal(ops.fmin(_t(a), _t(b)).numpy(), [1.0, 2.0, np.nan, -0.0])
    np.testing.assert_array_equal(ops.signbit(_t(np.array([0.0, -0.0, -1e-300, 2.0, -np.inf]))).numpy(),
                                  [False, True, True, False, True])
    np.testing.assert_array_equal(ops.heaviside(_t(np.array([-1.0, 0.0, 3.0, np.nan])), 0.5).numpy(),
                                  [0.0, 0.5, 1.0, np.nan])
    assert ops.nextafter(_t(np.float32(1.0)), 2.0).item() == np.nextafter(np.float32(1), np.float32(2))
    np.testing.assert_array_equal(ops.fmod(_t(np.array([-7, 7])), _t(np.array([3, -3]))).numpy(), [-1, 1])


def test_integer_and_bit_ops():
    x = np.array([12, -7, 255, 0], dtype=np.int32)
    y = np.array([18, 3, 16, 0], dtype=np.int32)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm"):
        got = getattr(ops, name)(_t(x), _t(y))
        np.testing.assert_array_equal(got.numpy(), getattr(np, name)(x, y))
        assert got.dtype == np.int32
    np.testing.assert_array_equal(ops.gcd(_t(x), _t(y)).numpy(), [6, 1, 1, 0])
    np.testing.assert_array_equal(ops.lcm(_t(x), _t(y)).numpy(), [36, 21, 4080, 0])
    np.testing.assert_array_equal(ops.bitwise_not(_t(x)).numpy(), [-13, 6, -256, -1])
    np.testing.assert_array_equal(ops.bitwise_not(_t(np.array([True, False]))).numpy(), [False, True])
    np.testing.assert_array_equal(ops.left_shift(_t(x), 2).numpy(), [48, -28, 1020, 0])
    np.testing.assert_array_equal(ops.right_shift(_t(x), 1).numpy(), [6, -4, 127, 0])


def test_unary_ops():
    x = np.array([-27.0, -1.0, 0.0, 8.0, 2.5], dtype=np.float32)
    np.testing.assert_allclose(ops.cbrt(_t(x)).numpy(), [-3.0, -1.0, 0.0, 2.0, np.cbrt(np.float32(2.5))],
                               rtol=1e-6)
    np.testing.assert_allclose(ops.i0(_t(x)).numpy(), np.i0(x), rtol=1e-6)
    assert ops.i0(_t(x)).dtype == np.float32
    assert ops.i0(_t(np.array([0.0]))).item() == 1.0
    np.testing.assert_allclose(ops.deg2rad(_t(np.array([180.0, -90.0]))).numpy(), [np.pi, -np.pi / 2])
    np.testing.assert_allclose(ops.rad2deg(_t(np.array([np.pi, 1.0]))).numpy(), [180.0, 57.29577951308232])
    inf = np.array([np.inf, -np.inf, np.nan, 1.0])
    np.testing.assert_array_equal(ops.isposinf(_t(inf)).numpy(), [True, False, False, False])
    np.testing.assert_array_equal(ops.isneginf(_t(inf)).numpy(), [False, True, False, False])
    s = np.array([0.0, 0.5, -1.0, 2.5, 1e-9])
    np.testing.assert_allclose(ops.sinc(_t(s)).numpy(), np.sinc(s), rtol=1e-14, atol=1e-15)
    ang = np.array([-2.0, 0.0, -0.0, 3.0, np.nan])
    np.testing.assert_array_equal(ops.angle(_t(ang)).numpy(), np.angle(ang))


def test_isclose_matches_numpy_with_infinities_and_nans():
    a = np.array([1.0, 1.0 + 1e-6, np.inf, np.inf, -np.inf, np.nan, 1e10, 0.0])
    b = np.array([1.0, 1.0, np.inf, -np.inf, 1.0, np.nan, 1.00001e10, 1e-9])
    for equal_nan in (False, True):
        got = ops.isclose(_t(a), _t(b), equal_nan=equal_nan).numpy()
        np.testing.assert_array_equal(got, np.isclose(a, b, equal_nan=equal_nan))
    np.testing.assert_array_equal(ops.isclose(_t(a[:2]), _t(b[:1]), rtol=0.0, atol=0.0).numpy(), [True, False])


def test_ldexp_is_exact_and_rejects_float_exponents():
    m = np.array([0.75, -3.0, 1.0], dtype=np.float32)
    e = np.array([3, -2, 20], dtype=np.int32)
    got = ops.ldexp(_t(m), _t(e))
    np.testing.assert_array_equal(got.numpy(), [6.0, -0.75, 1048576.0])
    assert got.dtype == np.float32
    with pytest.raises(OpError, match="ldexp.*integer"):
        ops.ldexp(_t(m), _t(np.array([1.0, 2.0, 3.0])))


def test_bitcast():
    x = np.array([[1, -2]], dtype=np.int32)
    got = ops.bitcast(_t(x), "int16")
    assert got.shape == (1, 4) and got.dtype == np.int16
    np.testing.assert_array_equal(got.numpy(), x.view(np.int16))
    f = ops.bitcast(_t(np.array([1.0], dtype=np.float32)), "uint32")
    assert f.item() == 0x3F800000
    assert ops.bitcast(_t(np.array([[1, 2, 3, 4]], dtype=np.int16)), "int64").shape == (1, 1)
    # 0-d stays 0-d; a non-contiguous input is read in its logical order
    h = ops.bitcast(_t(np.array(15360, dtype=np.int16)), "float16")
    assert h.shape == () and h.item() == 1.0
    t = ops.transpose(_t(np.array([[1, 2], [3, 4]], dtype=np.int32)))
    np.testing.assert_array_equal(ops.bitcast(t, "int16").numpy(), [[1, 0, 3, 0], [2, 0, 4, 0]])
    with pytest.raises(OpError, match="bitcast.*0-d"):
        ops.bitcast(_t(np.array(1, dtype=np.int16)), "int8")
    with pytest.raises(OpError, match="bitcast.*divisible by 4"):
        ops.bitcast(_t(np.array([1, 2, 3], dtype=np.int16)), "int32")


@pytest.mark.parametrize("name", ["arctan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "fmod"])
def test_binary_gradients(name):
    fn = getattr(ops, name)
    a = np.array([[0.7, -1.3, 2.1], [1.9, -0.4, 0.9]])
    b = np.array([1.1, 0.6, -1.7])
    assert_grad_close(fn, a, b)


def test_unary_and_one_sided_gradients():
    x = np.array([0.7, -1.3, 2.1, -3.3])
    assert_grad_close(ops.cbrt, x)
    assert_grad_close(lambda t: ops.multiply(ops.sinc(t), t), x)
    s = np.array([1.0, -1.0, -1.0, 1.0])
    assert_grad_close(lambda t: ops.multiply(ops.copysign(t, _t(s)), t), x)
    e = _t(np.array([2, -1, 0, 3]))
    assert_grad_close(lambda t: ops.ldexp(t, e), x)
    # sinc is smooth at 0: its derivative there is 0
    z = _t(np.array([0.0]), requires_grad=True)
    with unidl.autograd.record():
        y = ops.sum(ops.sinc(z))
    y.backward()
    assert z.grad.numpy()[0] == 0.0
