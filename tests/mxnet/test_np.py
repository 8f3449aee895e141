"""mx.np: MXNet 1.9.1's NumPy-compatible arrays — results, dtypes and reprs against fixtures made by the real
MXNet (tests/mxnet/data/np_make_fixtures.py), broadcasting against NumPy, autograd and conversions."""
from __future__ import annotations

import os
import sys

import numpy as onp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl_mxnet as mx
from unidl.testing.strategies import arrays, broadcastable_shapes
from unidl_mxnet import np, npx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
import np_cases  # noqa: E402
from np_check import META, check_case, scope as _scope  # noqa: E402


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.reset_np()


NP_CASES = [n for n in np_cases.CASES if not n.startswith("npx_")]


@pytest.mark.parametrize("name", NP_CASES)
def test_matches_mxnet(name):
    check_case(name)


@pytest.mark.parametrize("name", sorted(np_cases.REPRS))
def test_repr_matches_mxnet(name):
    assert repr(eval(np_cases.REPRS[name], _scope())) == META["repr"][name]


@pytest.mark.parametrize("name", [n for n in np_cases.ERRORS if not n.startswith("npx_")])
def test_rejects_what_mxnet_rejects(name):
    with pytest.raises(Exception):
        eval(np_cases.ERRORS[name], _scope())


def test_is_an_ndarray_subclass_with_numpy_facts():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    assert isinstance(x, mx.nd.NDArray)  # as in MXNet, so every mx.nd operator takes it
    assert x.shape == (2, 3) and x.size == 6 and x.ndim == 2 and len(x) == 2
    assert x.dtype == onp.dtype("float32") and isinstance(x.dtype, onp.dtype)
    assert x.ctx == mx.cpu() and x.context == mx.cpu()
    assert x.T.shape == (3, 2) and isinstance(x.T, np.ndarray)
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert np.sum(x).item() == 21.0 and isinstance(np.sum(x).item(), float)
    assert float(np.array(2.5)) == 2.5 and int(np.array([3])) == 3
    assert str(np.array([1.0, 2.0])) == "[1. 2.]"
    assert [r.tolist() for r in x] == [[1, 2, 3], [4, 5, 6]]


def test_host_conversions_and_copies():
    x = np.array([1.0, 2.0])
    h = x.asnumpy()
    h[0] = 9
    assert x[0].item() == 1.0  # asnumpy is a copy
    onp.testing.assert_array_equal(onp.asarray(x), [1.0, 2.0])  # __array__ gives the values
    c = x.copy()
    c[0] = 5
    assert x[0].item() == 1.0 and c[0].item() == 5.0
    assert x.as_in_ctx(mx.cpu()) is x and x.as_in_context(mx.cpu()) is x
    assert x.astype("float32", copy=False) is x and x.astype("int64").dtype == onp.int64
    y = np.array(onp.array([1, 2], dtype="int64"))
    assert y.dtype == onp.int64  # a host array keeps its dtype


def test_inplace_ops_and_setitem():
    x = np.array([1.0, 2.0, 3.0])
    ident = id(x)
    x += 1
    x *= np.array([1.0, 2.0, 1.0])
    assert id(x) == ident
    onp.testing.assert_array_equal(x.asnumpy(), [2.0, 6.0, 4.0])
    x[0] = 10
    x[x > 5] = 0
    onp.testing.assert_array_equal(x.asnumpy(), [0.0, 0.0, 4.0])
    x[:] = np.array([7.0, 8.0, 9.0])
    x[1:] = [1, 2]
    onp.testing.assert_array_equal(x.asnumpy(), [7.0, 1.0, 2.0])
    i = np.array([1, 2, 3], dtype="int32")
    i += 2.5  # MXNet: the scalar is cast to the array's dtype first
    onp.testing.assert_array_equal(i.asnumpy(), [3, 4, 5])
    assert i.dtype == onp.int32


def test_reshape_has_numpy_rules():
    x = np.arange(24)
    assert x.reshape(2, 3, 4).shape == (2, 3, 4)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.reshape(-1).shape == (24,)
    with pytest.raises(mx.MXNetError, match="npx.reshape"):
        x.reshape(-2, 4)
    with pytest.raises(mx.MXNetError, match="cannot reshape"):
        x.reshape(5, -1)


def test_autograd_on_np_arrays():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with mx.autograd.record():
        y = (x * x + np.sin(x)).sum()
    y.backward()
    assert isinstance(x.grad, np.ndarray) and y.shape == ()
    onp.testing.assert_allclose(x.grad.asnumpy(), 2 * onp.array([1.0, 2.0, 3.0]) + onp.cos([1.0, 2.0, 3.0]),
                                rtol=1e-6)
    with mx.autograd.record():
        z = x * 2
    z.backward(np.array([1.0, 10.0, 100.0]))
    onp.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 20.0, 200.0])
    assert isinstance(x.detach(), np.ndarray)


def test_0d_results_and_truth_values():
    s = np.sum(np.array([1.0, 2.0]))
    assert s.shape == () and s.ndim == 0 and bool(s)
    with pytest.raises(TypeError):
        len(s)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(np.array([1.0, 2.0]))
    assert np.array([1.0, 2.0])[np.array(1, dtype="int64")].item() == 2.0


def test_random_shapes_dtypes_ranges_and_seed():
    u = np.random.uniform(2, 3, size=(1000,))
    assert u.dtype == onp.float32 and u.shape == (1000,)
    assert 2 <= u.min().item() and u.max().item() < 3
    n = np.random.normal(0, 1, (2000,))
    assert n.dtype == onp.float32 and abs(n.mean().item()) < 0.1 and 0.9 < n.std().item() < 1.1
    r = np.random.randint(0, 5, (500,))
    assert r.dtype == onp.int64 and set(onp.unique(r.asnumpy())) == {0, 1, 2, 3, 4}
    assert np.random.uniform().shape == () and np.random.rand(2, 3).shape == (2, 3)
    assert np.random.randn(4).dtype == onp.float32
    c = np.random.choice(5, 3)
    assert c.dtype == onp.int64 and c.shape == (3,) and 0 <= c.min().item() and c.max().item() < 5
    perm = np.random.choice(np.arange(6), 6, replace=False).asnumpy()
    assert sorted(perm.tolist()) == list(range(6))
    p = np.random.choice(3, 200, p=[0.0, 0.5, 0.5]).asnumpy()
    assert set(p.tolist()) <= {1, 2}
    x = np.arange(10)
    np.random.shuffle(x)
    assert sorted(x.asnumpy().tolist()) == list(range(10))
    mx.random.seed(7)
    a = np.random.uniform(size=4).asnumpy()
    np.random.seed(7)
    onp.testing.assert_array_equal(np.random.uniform(size=4).asnumpy(), a)


def test_constants_and_dtype_names():
    assert np.pi == onp.pi and np.e == onp.e and np.newaxis is None
    assert np.float32 is onp.float32 and np.int64 is onp.int64
    assert np.zeros(2, dtype=np.int32).dtype == onp.int32


def test_bad_operands_have_clear_errors():
    with pytest.raises(TypeError, match="add"):
        np.add(np.ones(2), "a")
    with pytest.raises(Exception, match="broadcast|shape"):
        np.ones(2) + np.ones(3)


_SETTINGS = settings(max_examples=40, deadline=None)


@_SETTINGS
@given(st.data(), broadcastable_shapes(num=2, max_dims=3, min_side=1, max_side=4),
       st.sampled_from(["add", "subtract", "multiply", "divide", "maximum", "minimum", "greater", "equal"]))
def test_broadcasting_matches_numpy(data, shapes, op):
    a = data.draw(arrays(onp.float32, shapes[0], lo=-5, hi=5))
    b = data.draw(arrays(onp.float32, shapes[1], lo=0.5, hi=5))
    got = getattr(np, op)(np.array(a), np.array(b))
    want = getattr(onp, op)(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    onp.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


@_SETTINGS
@given(st.data(), broadcastable_shapes(num=2, max_dims=3, min_side=1, max_side=4))
def test_broadcast_gradient_sums_back(data, shapes):
    a = data.draw(arrays(onp.float32, shapes[0], lo=-3, hi=3))
    b = data.draw(arrays(onp.float32, shapes[1], lo=-3, hi=3))
    x, y = np.array(a), np.array(b)
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        z = (x * y).sum()
    z.backward()
    full = onp.broadcast_shapes(a.shape, b.shape)
    gx = onp.broadcast_to(b, full).astype(onp.float32)  # d(sum(x*y))/dx, then summed back to x's shape
    gx = gx.sum(axis=tuple(range(len(full) - a.ndim)))
    gx = gx.sum(axis=tuple(i for i, d in enumerate(a.shape) if d == 1 and gx.shape[i] != 1), keepdims=True)
    onp.testing.assert_allclose(x.grad.asnumpy(), gx.reshape(a.shape), rtol=1e-5, atol=1e-6)


def test_as_nd_ndarray_shares_data_with_legacy_array():
    a = np.array([[1.0, 2.0]])
    b = a.as_nd_ndarray()
    assert type(b) is mx.nd.NDArray and b.shape == (1, 2)
    b[:] = 5
    onp.testing.assert_array_equal(a.asnumpy(), [[5.0, 5.0]])
