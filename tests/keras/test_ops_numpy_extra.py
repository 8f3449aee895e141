"""keras.ops statistics / ranges / splits / search ops against NumPy (values) and Keras 3.15.1 (dtypes,
symbolic shapes, argument errors; the literals were read off real Keras with the torch backend or
from Keras's own output specs)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import unidl_keras as keras
from unidl.testing import assert_grad_close

ops = keras.ops
KT = keras.KerasTensor


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _close(got, want, **kw):
    np.testing.assert_allclose(_np(got), want, rtol=kw.get("rtol", 1e-5), atol=kw.get("atol", 1e-6))


X_NAN = np.array([[1.0, np.nan, 3.0, 7.0], [np.nan, np.nan, np.nan, np.nan], [4.0, 2.0, np.nan, -1.0]], "float32")


# -- NaN reductions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod",
                                  "nanmedian"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_nan_reductions_match_numpy(name, axis):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = getattr(np, name)(X_NAN, axis=axis)
    _close(getattr(ops, name)(X_NAN, axis=axis), want)
    kd = getattr(ops, name)(X_NAN, axis=axis, keepdims=True)
    axes = range(X_NAN.ndim) if axis is None else np.atleast_1d(axis)
    assert tuple(kd.shape) == tuple(1 if i in axes else d for i, d in enumerate(X_NAN.shape))


def test_nanarg_and_nancum():
    x = np.array([[np.nan, 2.0, 5.0], [np.nan, np.nan, np.nan]], "float32")
    np.testing.assert_array_equal(_np(ops.nanargmax(x, axis=1)), [2, -1])  # Keras: -1 for an all-NaN slice
    np.testing.assert_array_equal(_np(ops.nanargmin(x, axis=1)), [1, -1])
    assert ops.nanargmax(x).dtype == "int32"
    _close(ops.nancumsum(x), np.nancumsum(x))
    _close(ops.nancumprod(x, axis=1), np.nancumprod(x, axis=1))
    assert ops.nancumsum(np.ones(3, "int8")).dtype == "int8"  # Keras keeps the dtype; bools give int32
    assert ops.nancumsum(np.ones(3, bool)).dtype == "int32"


def test_nan_reduction_dtypes_follow_keras():
    assert ops.nansum(np.ones(3, "uint8")).dtype == "uint32"
    assert ops.nansum(np.ones(3, "int8")).dtype == "int32"
    assert ops.nanprod(np.ones(3, "int16")).dtype == "int32"
    assert ops.nanmean(np.ones(3, "int32")).dtype == "float32"
    assert ops.nanmax(np.ones(3, "int16")).dtype == "int16"
    assert ops.nanvar(np.ones(3, "float16")).dtype == "float16"


# -- quantiles ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_methods(method):
    x = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    q = np.array([0.0, 0.25, 0.501, 1.0], "float32")
    _close(ops.quantile(x, q, method=method), np.quantile(x, q, method=method))
    _close(ops.quantile(x, q, axis=1, method=method), np.quantile(x, q, axis=1, method=method))
    _close(ops.quantile(x, 0.3, axis=(0, 2), method=method, keepdims=True),
           np.quantile(x, 0.3, axis=(0, 2), method=method, keepdims=True))
    _close(ops.percentile(x, [10.0, 90.0], axis=2, method=method),
           np.percentile(x, [10.0, 90.0], axis=2, method=method))


def test_nanquantile_and_dtypes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.nanquantile(X_NAN, [0.5, 0.9], axis=1)
        wantp = np.nanpercentile(X_NAN, 30.0, axis=1)
    _close(ops.nanquantile(X_NAN, np.array([0.5, 0.9], "float32"), axis=1), want)
    _close(ops.nanpercentile(X_NAN, 30.0, axis=1), wantp)
    assert np.isnan(_np(ops.quantile(X_NAN, 0.5, axis=1))).tolist() == [True, True, True]
    assert ops.quantile(np.arange(4, dtype="int32"), 0.5).dtype == "float32"
    assert ops.quantile(np.arange(4, dtype="float16"), 0.5).dtype == "float16"
    np.testing.assert_allclose(_np(ops.quantile(np.arange(4, dtype="int64"), 0.5)), 1.5)


def test_quantile_gradient_and_ptp():
    a = np.random.default_rng(1).standard_normal((3, 6))
    assert_grad_close(lambda x: ops.quantile(x, np.array([0.3, 0.8]), axis=1), a)
    x = np.array([[3, -1, 4], [1, 5, 9]], "int32")
    np.testing.assert_array_equal(_np(ops.ptp(x, axis=1)), np.ptp(x, axis=1))
    assert ops.ptp(x).dtype == "int32" and int(_np(ops.ptp(x))) == 10


# -- ranges ------------------------------------------------------------------------------------------

def test_linspace_logspace_geomspace_scalars_and_tensors():
    _close(ops.linspace(0, 10, 5, endpoint=False), np.linspace(0, 10, 5, endpoint=False))
    start, stop = np.zeros((2, 3), "float32"), np.array([[1, 2, 3], [4, 5, 6]], "float32")
    _close(ops.linspace(start, stop, 4), np.linspace(start, stop, 4))
    _close(ops.linspace(start, stop, 4, axis=1), np.linspace(start, stop, 4, axis=1))
    _close(ops.linspace(start, stop, 4, axis=-1, endpoint=False), np.linspace(start, stop, 4, axis=-1, endpoint=False))
    samples, step = ops.linspace(start, stop, 5, retstep=True)
    _close(step, np.linspace(start, stop, 5, retstep=True)[1])
    _close(ops.logspace(0, 3, 4), np.logspace(0, 3, 4))
    _close(ops.logspace(start, stop, 3, base=2.0), np.logspace(start, stop, 3, base=2.0))
    _close(ops.geomspace(1, 1000, 4), np.geomspace(1, 1000, 4))
    g0, g1 = np.array([1.0, -2.0], "float32"), np.array([1000.0, -2000.0], "float32")
    _close(ops.geomspace(g0, g1, 4, endpoint=False), np.geomspace(g0, g1, 4, endpoint=False), rtol=1e-5)
    # Keras's dtype rule: result_type(start, stop, float)
    assert ops.linspace(np.array([0, 1], "int32"), np.array([10, 20], "int32"), 5).dtype == "float32"
    assert ops.linspace(0, 10, 5, dtype="float16").dtype == "float16"
    assert ops.linspace(np.zeros(2, "float64"), np.ones(2, "float64"), 3).dtype == "float64"


def test_range_symbolic_shapes():
    out = ops.linspace(KT((None, 3, 4)), KT((2, 3, 4)), 10, axis=1)
    assert out.shape == (2, 10, 3, 4)
    assert ops.logspace(KT((None, 3)), 2, 10, axis=1).shape == (None, 10, 3)
    with pytest.raises(ValueError):
        ops.geomspace(KT((2, 3, 4)), KT((2, 3, 5)), 10)


# -- statistics, products, arrangement ---------------------------------------------------------------

def test_corrcoef_correlate_trapezoid():
    x = np.random.default_rng(2).standard_normal((3, 7)).astype("float32")
    _close(ops.corrcoef(x), np.corrcoef(x), rtol=1e-5, atol=1e-6)
    assert ops.corrcoef(np.ones((2, 3), "int64")).dtype == "float64"
    a, v = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32"), np.array([0.0, 1.0, 0.5], "float32")
    for mode in ("valid", "same", "full"):
        _close(ops.correlate(a, v, mode=mode), np.correlate(a, v, mode=mode))
    _close(ops.correlate(v, a, mode="full"), np.correlate(v, a, mode="full"))
    assert ops.correlate(np.ones(3, "int32"), np.ones(3, "int32")).dtype == "float32"
    assert ops.correlate(np.ones(3, "int64"), np.ones(3, "int64")).dtype == "float64"
    assert ops.correlate(KT((3,)), KT((3,)), mode="full").shape == (5,)
    with pytest.raises(ValueError):
        ops.correlate(KT((3,)), KT((3, 4)))
    y = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 1.0]], "float32")
    _close(ops.trapezoid(y), np.trapezoid(y) if hasattr(np, "trapezoid") else np.trapz(y))
    xs = np.array([0.0, 1.0, 3.0], "float32")
    _close(ops.trapezoid(y, x=xs, axis=1), np.trapezoid(y, x=xs, axis=1) if hasattr(np, "trapezoid")
           else np.trapz(y, x=xs, axis=1))
    _close(ops.trapezoid(y, dx=0.5, axis=0), [0.25, 1.25, 1.25])
    assert ops.trapezoid(np.ones(3, "int32")).dtype == "float32"


def test_vander_kron_diagflat_rot90_cross():
    v = np.array([2, 3, -1], "int32")
    np.testing.assert_array_equal(_np(ops.vander(v)), np.vander(v))
    np.testing.assert_array_equal(_np(ops.vander(v, 4, increasing=True)), np.vander(v, 4, increasing=True))
    with pytest.raises(TypeError):
        ops.vander(v, N=2.0)
    a, b = np.array([[1, 2], [3, 4]]), np.array([[0, 5, 1], [6, 7, 2]])
    np.testing.assert_array_equal(_np(ops.kron(a, b)), np.kron(a, b))
    np.testing.assert_array_equal(_np(ops.kron(np.array([1, 2]), b)), np.kron(np.array([1, 2]), b))
    assert ops.kron(KT((None, 3)), KT((2, None))).shape == (None, None)
    np.testing.assert_array_equal(_np(ops.diagflat(a, k=-1)), np.diagflat(a, k=-1))
    assert ops.diagflat(KT((2, 3)), k=2).shape == (8, 8)
    x = np.arange(24).reshape(2, 3, 4)
    for k in (-1, 0, 1, 2, 3, 5):
        np.testing.assert_array_equal(_np(ops.rot90(x, k=k, axes=(1, 2))), np.rot90(x, k=k, axes=(1, 2)))
    with pytest.raises(ValueError, match="two different dimensions"):
        ops.rot90(x, axes=(1, 1))
    p, q = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]), np.array([[4.0, 5.0, 6.0], [1.0, 0.0, 0.0]])
    _close(ops.cross(p, q), np.cross(p, q))
    _close(ops.cross(p[:, :2], q), [[12.0, -6.0, -3.0], [0.0, 0.0, -1.0]])  # z = 0 for the 2-vectors


def test_splits_stacks_flips():
    x = np.arange(24).reshape(2, 4, 3)
    for got, want in zip(ops.hsplit(x, [1, 3]), np.hsplit(x, [1, 3])):
        np.testing.assert_array_equal(_np(got), want)
    for got, want in zip(ops.dsplit(x, 3), np.dsplit(x, 3)):
        np.testing.assert_array_equal(_np(got), want)
    for got, want in zip(ops.vsplit(x, [1]), np.vsplit(x, [1])):
        np.testing.assert_array_equal(_np(got), want)
    for got, want in zip(ops.array_split(np.arange(7), 3), np.array_split(np.arange(7), 3)):
        np.testing.assert_array_equal(_np(got), want)
    with pytest.raises(TypeError):
        ops.array_split(x, [1, 2])
    np.testing.assert_array_equal(_np(ops.dstack([np.array([1, 2]), np.array([3, 4])])),
                                  np.dstack([np.array([1, 2]), np.array([3, 4])]))
    np.testing.assert_array_equal(_np(ops.fliplr(x)), np.fliplr(x))
    np.testing.assert_array_equal(_np(ops.flipud(x)), np.flipud(x))
    parts = ops.vsplit(KT((None, 3, 3)), [1, 3])
    assert [p.shape for p in parts] == [(1, 3, 3), (2, 3, 3), (None, 3, 3)]
    assert [p.shape for p in ops.array_split(KT((7, 2)), 3, axis=0)] == [(3, 2), (2, 2), (2, 2)]
    assert ops.dstack([KT((None, 3)), KT((None, None))]).shape == (None, 3, 2)


def test_pad_symmetric():
    x = np.arange(6).reshape(2, 3)
    for pw in (((1, 2), (2, 1)), ((3, 0), (0, 5)), 1):
        np.testing.assert_array_equal(_np(ops.pad(x, pw, mode="symmetric")), np.pad(x, pw, mode="symmetric"))
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(x, 1, mode="symmetric", constant_values=2)


# -- searching, counting, sets -----------------------------------------------------------------------

def test_histogram_bincount_searchsorted():
    x = np.array([0.0, 0.5, 1.0, 2.5, 4.0, 4.0, -1.0], "float32")
    counts, edges = ops.histogram(x, bins=4)
    wc, we = np.histogram(x, bins=4)
    _close(counts, wc)
    _close(edges, we)
    counts, edges = ops.histogram(x, bins=3, range=(0.0, 3.0))
    wc, we = np.histogram(x, bins=3, range=(0.0, 3.0))
    _close(counts, wc)
    _close(edges, we)
    with pytest.raises(TypeError):
        ops.histogram(x, bins=2.0)
    with pytest.raises(ValueError):
        ops.histogram(x, bins=2, range=(3.0, 1.0))
    ints = np.array([1, 1, 2, 5, 0], "int32")
    np.testing.assert_array_equal(_np(ops.bincount(ints)), np.bincount(ints))
    w = np.array([0.5, 1.0, 2.0, 3.0, 4.0], "float32")
    _close(ops.bincount(ints, weights=w, minlength=8), np.bincount(ints, weights=w, minlength=8))
    assert ops.bincount(ints).dtype == "int32"
    rows = np.array([[0, 1, 1], [2, 2, 0]], "int32")
    np.testing.assert_array_equal(_np(ops.bincount(rows)), [[1, 2, 0], [1, 0, 2]])
    seq = np.array([1.0, 2.0, 2.0, 5.0], "float32")
    vals = np.array([[0.0, 2.0], [3.0, 9.0]], "float32")
    for side in ("left", "right"):
        got = ops.searchsorted(seq, vals, side=side)
        np.testing.assert_array_equal(_np(got), np.searchsorted(seq, vals, side=side))
        assert got.dtype == "int32"
    assert ops.searchsorted(KT((None,)), KT((2, 3))).shape == (2, 3)


def test_unique_isin_unravel_argpartition():
    x = np.array([3, 1, 2, 1, 3, 3])
    v, idx, inv, cnt = ops.unique(x, return_index=True, return_inverse=True, return_counts=True)
    wv, widx, winv, wcnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, want in ((v, wv), (idx, widx), (inv, winv), (cnt, wcnt)):
        np.testing.assert_array_equal(_np(got), want)
    padded = ops.unique(x, size=5, fill_value=-1)
    np.testing.assert_array_equal(_np(padded), [1, 2, 3, -1, -1])
    m = np.array([[1, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(_np(ops.unique(m, axis=0)), np.unique(m, axis=0))
    assert ops.unique(KT((None, 3))).shape == (None,)
    a, b = np.array([[1, 2, 3], [3, 2, 1]]), np.array([2, 9])
    np.testing.assert_array_equal(_np(ops.isin(a, b)), np.isin(a, b))
    np.testing.assert_array_equal(_np(ops.isin(a, b, invert=True)), np.isin(a, b, invert=True))
    assert ops.isin(KT((None, 3)), KT((2, None))).shape == (None, 3)
    flat = np.array([0, 5, 11, 7], "int32")
    for got, want in zip(ops.unravel_index(flat, (3, 4)), np.unravel_index(flat, (3, 4))):
        np.testing.assert_array_equal(_np(got), want)
        assert got.dtype == "int32"
    y = np.array([[5, 1, 4, 2, 3], [0, 9, 8, 7, 6]])
    part = _np(ops.argpartition(y, 2, axis=1))
    picked = np.take_along_axis(y, part, axis=1)
    assert (picked[:, :2] <= picked[:, 2:3]).all() and (picked[:, 3:] >= picked[:, 2:3]).all()
    with pytest.raises(ValueError):
        ops.argpartition(KT((2, 3)), (1, 3))


def test_allclose_empty_like_windows_eye():
    assert bool(_np(ops.allclose(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7]))))
    assert not bool(_np(ops.allclose(np.array([1, 2]), np.array([1, 3]))))
    e = ops.empty_like(np.ones((2, 3), "int16"))
    assert tuple(e.shape) == (2, 3) and e.dtype == "int16"
    assert ops.empty_like(np.ones((2,)), dtype="float16").dtype == "float16"
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        _close(getattr(ops, name)(7), getattr(np, name)(7), atol=1e-6)
        assert getattr(ops, name)(1).shape == (1,)
    _close(ops.kaiser(9, 14.0), np.kaiser(9, 14.0), rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError):
        ops.hamming(KT((3,)))
    with pytest.raises(TypeError):
        ops.eye(3.0)
    with pytest.raises(TypeError):
        ops.eye(3, 2.0)
    np.testing.assert_array_equal(_np(ops.eye(3, 4, k=1)), np.eye(3, 4, k=1))


# -- symbolic shapes of earlier ops ------------------------------------------------------------------

def test_symbolic_shapes_of_shape_ops():
    x = KT((None, 3))
    assert ops.einsum("ii", x).shape == ()
    assert ops.einsum("ij,jk->ik", x, KT((3, 4))).shape == (None, 4)
    assert ops.einsum("...,...j->...j", KT((None, 3, 4)), KT((None, 4, 5))).shape == (None, 3, 4, 5)
    assert ops.einsum("i...,...j", KT((2, 3, 4)), KT((3, 4, 5))).shape == (3, 4, 2, 5)
    assert ops.diag(x).shape == (None,)
    assert ops.diff(x, n=4).shape == (None, 0)
    assert [t.shape for t in ops.meshgrid(x, x)] == [(None, None), (None, None)]
    with pytest.raises(ValueError):
        ops.meshgrid(x, x, indexing="kk")
    assert ops.reshape(KT((None, 20)), KT((2,), dtype="int32")).shape == (None, None)
    assert ops.reshape(x, (3, -1)).shape == (3, None)
    assert ops.squeeze(KT((None, 1))).shape == (None,)
    with pytest.raises(ValueError):
        ops.squeeze(KT((None, 1)), axis=0)
    assert ops.repeat(KT((2, 3)), [1, 2], axis=0).shape == (3, 3)
    with pytest.raises(ValueError):
        ops.repeat(KT((2, 3)), [1, 1])
    assert ops.quantile(x, KT((2,)), axis=1, keepdims=True).shape == (2, None, 1)
    assert ops.nanmax(x, axis=1, keepdims=True).shape == (None, 1)
    assert [t.shape for t in ops.nonzero(KT((None, 5, 6)))] == [(None,)] * 3


def test_einsum_implicit_and_scalar_operands():
    a = np.arange(9.0, dtype="float32").reshape(3, 3)
    _close(ops.einsum("ii", a), np.einsum("ii", a))
    _close(ops.einsum(",ij", 5.0, a), np.einsum(",ij", 5.0, a))
    assert ops.einsum("ij,jk", np.ones((2, 2), "int8"), np.ones((2, 2), "int8")).dtype == "int32"


def test_reshape_and_diff_rules():
    with pytest.raises(ValueError, match="non-negative integer"):
        ops.reshape(np.zeros(20), (-2, 5))
    with pytest.raises(ValueError, match="at most one unknown dimension"):
        ops.reshape(np.zeros(20), (-1, -1, 5))
    b = np.array([True, False, False, True])
    np.testing.assert_array_equal(_np(ops.diff(b)), np.diff(b))
    d = ops.diagonal(np.arange(9, dtype="int8").reshape(3, 3))
    assert d.dtype == "int8"
    np.testing.assert_array_equal(_np(d), [0, 4, 8])


def test_shape_helpers_and_vectorize():
    from unidl_keras.ops import numpy as knp

    assert knp.broadcast_shapes((None, 3), (5, 1)) == [5, 3]
    with pytest.raises(ValueError, match="Cannot broadcast shape"):
        knp.broadcast_shapes((5, 3, 2), (1, 3))
    assert knp.shape_equal((3, 4, None), (3, 4, 5))
    assert not knp.shape_equal((3, 4, None), (3, 4, 5), allow_none=False)
    assert knp.shape_equal((3, 4, 5), (3, 6, 7), axis=(1, 2))
    f = ops.vectorize(lambda a, b: ops.sum(ops.multiply(a, b)), signature="(d),(d)->()")
    _close(f(np.ones((4, 3), "float32"), np.arange(3.0, dtype="float32")), np.full(4, 3.0))
    with pytest.raises(ValueError):
        ops.vectorize(3)


def test_slogdet():
    rng = np.random.default_rng(3)
    for a in (rng.standard_normal((4, 4)), rng.standard_normal((2, 3, 5, 5)), np.array([[0.0, 1.0], [1.0, 0.0]]),
              np.ones((3, 3))):
        sign, logdet = ops.slogdet(a.astype("float32"))
        want_sign, want_logdet = np.linalg.slogdet(a)
        np.testing.assert_array_equal(_np(sign), want_sign)
        np.testing.assert_allclose(_np(logdet), want_logdet, rtol=1e-4)
    assert [t.shape for t in ops.slogdet(KT((2, 4, 3, 3)))] == [(), (2, 4)]
    m = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    assert_grad_close(lambda x: ops.slogdet(x)[1], m)  # d log|det| / dA = inv(A).T


def test_symbolic_axis_checks_and_shapes():
    a = KT((3, 4))
    for fn in (lambda: ops.sort(a, axis=10), lambda: ops.argsort(a, axis=10), lambda: ops.cumsum(a, axis=10),
               lambda: ops.concatenate([a, a], axis=10), lambda: ops.split(a, 2, axis=10),
               lambda: ops.diff(a, axis=10), lambda: ops.stack([a, a], axis=10),
               lambda: ops.take_along_axis(a, KT((3, 2), dtype="int32"), axis=10)):
        with pytest.raises(ValueError, match="axis 10 is out of bounds"):
            fn()
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        ops.swapaxes(a, axis1=5, axis2=0)
    with pytest.raises(ValueError, match="valid permutation"):
        ops.transpose(KT((2, 3, 4)), axes=[0, 0, 0])
    with pytest.raises(ValueError, match=r"integer in \[-3, 3\)"):
        ops.transpose(KT((2, 3, 4)), axes=[0, 1, 5])
    assert ops.transpose(KT((None, 3, 4)), axes=[2, 0, 1]).shape == (4, None, 3)
    assert ops.stack([a, a], axis=2).shape == (3, 4, 2)
    x, y = KT((None, 3)), KT((None, None))
    assert ops.concatenate([x, y], axis=1).shape == (None, None)
    assert ops.concatenate([KT((2, 3), sparse=True), KT((2, 3), sparse=True)], axis=1).sparse
    with pytest.raises(ValueError):
        ops.concatenate([KT((None, 3, 5)), KT((None, 4, 6))], axis=1)
    assert ops.vstack([x, y]).shape == (None, 3)
    assert ops.hstack([x, y]).shape == (None, None)
    assert ops.take_along_axis(KT((None, 3, 3)), KT((1, 3, None)), axis=1).shape == (None, 3, 3)


def test_argsort_scalar_and_empty_extremes():
    np.testing.assert_array_equal(_np(ops.argsort(np.array(1))), np.argsort(np.array(1)))
    e = np.zeros((1, 0), "float32")
    np.testing.assert_array_equal(_np(ops.max(e, initial=1)), np.max(e, initial=1))
    np.testing.assert_array_equal(_np(ops.min(e, axis=1, initial=-2, keepdims=True)),
                                  np.min(e, axis=1, initial=-2, keepdims=True))
    np.testing.assert_array_equal(_np(ops.max(np.array([1.0, 7.0]), initial=4.0)), 7.0)


def test_full_op_class_takes_shape_first():
    from unidl_keras.ops import numpy as knp

    np.testing.assert_array_equal(_np(knp.Full([2, 3])(0.5)), np.full([2, 3], 0.5))
    np.testing.assert_array_equal(_np(knp.Full([2, 3])(np.array([1, 4, 5]))), np.full([2, 3], np.array([1, 4, 5])))


def test_symbolic_broadcast_to_dot_get_item():
    assert ops.broadcast_to(KT((None, 3)), (2, 3, 3)).shape == (2, 3, 3)
    with pytest.raises(ValueError):
        ops.broadcast_to(KT((3, 3)), (2, 2, 3))
    assert ops.dot(KT((None, 3)), KT((None, None, 2))).shape == (None, None, 2)
    assert ops.dot(KT((None,)), KT((5,))).shape == ()
    assert ops.dot(KT((None, 3)), 2).shape == (None, 3)
    x = KT((None, 5, 16))
    assert ops.get_item(x, 5).shape == (5, 16)
    assert ops.get_item(x, np.s_[..., -1]).shape == (None, 5)
    assert ops.get_item(x, np.s_[:, np.newaxis, ...]).shape == (None, 1, 5, 16)
    assert ops.get_item(x, np.s_[:5, 3:, 3:12:2]).shape == (None, 2, 5)
    for bad in (np.s_[:, 17, :], np.s_[..., 5, ...], np.s_[:, :, :, :]):
        with pytest.raises(ValueError):
            ops.get_item(x, bad)


def test_search_and_sets_on_random_data_with_ties():
    rng = np.random.default_rng(5)
    seq = np.sort(rng.integers(0, 50, 200)).astype("float32")
    vals = rng.integers(-5, 55, (7, 30)).astype("float32")
    for side in ("left", "right"):
        np.testing.assert_array_equal(_np(ops.searchsorted(seq, vals, side=side)), np.searchsorted(seq, vals, side=side))
    a, t = rng.integers(0, 40, (5, 9)), rng.integers(0, 40, 25)
    np.testing.assert_array_equal(_np(ops.isin(a, t)), np.isin(a, t))
    np.testing.assert_array_equal(_np(ops.isin(a, np.array([], "int64"))), np.zeros(a.shape, bool))
    x = rng.standard_normal(500).astype("float32")
    x[3] = np.nan
    counts, edges = ops.histogram(x, bins=7, range=(-2.0, 2.0))
    wc, we = np.histogram(x, bins=7, range=(-2.0, 2.0))
    _close(counts, wc)
    _close(edges, we)
    ints = rng.integers(0, 100, (3, 400))
    want = np.stack([np.bincount(r, minlength=100) for r in ints])
    np.testing.assert_array_equal(_np(ops.bincount(ints, minlength=100)), want)


def test_nan_ops_on_bfloat16():
    x = ops.array(np.array([1.0, np.nan, 3.0]), dtype="bfloat16")
    assert ops.nanmax(x).dtype == "bfloat16"
    np.testing.assert_array_equal(_np(ops.cast(ops.nanmax(x), "float32")), 3.0)
    np.testing.assert_array_equal(_np(ops.cast(ops.nansum(x), "float32")), 4.0)
    np.testing.assert_array_equal(_np(ops.cast(ops.nanmean(x), "float32")), 2.0)
    np.testing.assert_array_equal(_np(ops.nanargmax(x)), 2)


def test_keras_tensor_rejects_a_non_iterable_shape():
    with pytest.raises(ValueError, match="Cannot convert '3' to a shape"):
        KT(3)
    with pytest.raises(ValueError, match="Undefined shapes"):
        KT(None)
