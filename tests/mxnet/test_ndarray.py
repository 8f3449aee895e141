"""mx.nd: MXNet 1.x semantics of NDArray creation, operators, reductions and shapes, against NumPy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl_mxnet as mx
from unidl.testing.strategies import arrays, broadcastable_shapes, shapes
from unidl_mxnet import nd


def test_array_defaults_to_float32_unless_told():
    assert nd.array([1, 2, 3]).dtype is np.float32
    assert nd.array(np.array([1.5, 2.5])).dtype is np.float32  # MXNet casts NumPy float64 input
    assert nd.array([1, 2], dtype="int32").dtype is np.int32
    src = nd.array([1, 2], dtype="int64")
    assert nd.array(src).dtype is np.int64  # an NDArray source keeps its dtype
    assert nd.zeros((2, 3)).dtype is np.float32 and nd.arange(3).dtype is np.float32


def test_creation_matches_numpy():
    np.testing.assert_array_equal(nd.zeros((2, 3)).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(nd.ones(4).asnumpy(), np.ones(4))
    np.testing.assert_array_equal(nd.full((2, 2), 7).asnumpy(), np.full((2, 2), 7))
    np.testing.assert_array_equal(nd.arange(2, 8, 2).asnumpy(), np.arange(2, 8, 2))
    np.testing.assert_array_equal(nd.arange(3, repeat=2).asnumpy(), np.repeat(np.arange(3), 2))
    np.testing.assert_array_equal(nd.eye(3, k=1).asnumpy(), np.eye(3, k=1))
    x = nd.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(nd.zeros_like(x).asnumpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(nd.one_hot(nd.array([0, 2]), 3).asnumpy(), np.eye(3)[[0, 2]])


def test_repr_and_context():
    x = nd.array([[1, 2]])
    assert repr(x).endswith("<NDArray 1x2 @cpu(0)>")
    assert str(x.context) == "cpu(0)" and x.context == mx.cpu()
    assert repr(mx.gpu(1)) == "gpu(1)"
    assert mx.current_context() == mx.cpu(0)


def test_gpu_context_without_a_gpu_is_a_clear_error():
    if mx.num_gpus() > 0:
        pytest.skip("a GPU is present")
    with pytest.raises(mx.MXNetError, match="gpu\\(0\\) is not available"):
        nd.zeros((2,), ctx=mx.gpu(0))


def test_full_reductions_and_scalar_indexing_have_shape_1():
    x = nd.array([[1, 2], [3, 4]])
    assert nd.sum(x).shape == (1,) and nd.sum(x).asscalar() == 10
    assert x.sum(axis=1).shape == (2,)
    assert x[0][1].shape == (1,) and x[0][1].asscalar() == 2
    with pytest.raises(ValueError, match="not a scalar"):
        x.asscalar()


@given(pair=broadcastable_shapes(2, min_side=1, max_dims=3), data=st.data())
def test_arithmetic_broadcasts_like_numpy(pair, data):
    a = data.draw(arrays(np.float32, pair[0], -5, 5))
    b = data.draw(arrays(np.float32, pair[1], 0.5, 5))
    A, B = nd.array(a), nd.array(b)
    for got, want in [(A + B, a + b), (A - B, a - b), (A * B, a * b), (A / B, a / b), (B ** 2, b ** 2),
                      (2 - A, 2 - a), (1 / B, 1 / b)]:
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


@given(a=arrays(np.float32, shapes(min_dims=1, max_dims=3, min_side=1)), data=st.data())
def test_comparisons_return_zero_one_in_operand_dtype(a, data):
    b = data.draw(arrays(np.float32, a.shape))
    A, B = nd.array(a), nd.array(b)
    for got, want in [(A > B, a > b), (A >= B, a >= b), (A < B, a < b), (A <= B, a <= b), (A == B, a == b),
                      (A != B, a != b), (A > 0, a > 0)]:
        assert got.dtype is np.float32
        np.testing.assert_array_equal(got.asnumpy(), want.astype(np.float32))


def test_mixed_dtypes_are_refused_and_scalars_take_the_array_dtype():
    with pytest.raises(mx.MXNetError, match="same dtype.*float32.*int32"):
        nd.array([1.0]) + nd.array([1], dtype="int32")
    i = nd.array([1, 2], dtype="int32") + 1
    assert i.dtype is np.int32
    assert (nd.array([1.0, 2.0]) * 0.5).dtype is np.float32


def test_inplace_operators_write_into_the_array():
    x = nd.array([1.0, 2.0])
    view = x[0:1]
    x += 1
    x *= 2
    np.testing.assert_array_equal(x.asnumpy(), [4, 6])
    np.testing.assert_array_equal(view.asnumpy(), [4])  # basic slices share memory, as MXNet's do
    x[1] = 10
    x[:] = x + 1
    np.testing.assert_array_equal(x.asnumpy(), [5, 11])


@pytest.mark.parametrize("src,spec,want", [
    # the examples of MXNet's reshape documentation
    ((2, 3, 4), (4, 0, 2), (4, 3, 2)), ((2, 3, 4), (2, 0, 0), (2, 3, 4)), ((2, 3, 4), (6, 1, -1), (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), (3, 1, 8)), ((2, 3, 4), (-1,), (24,)), ((2, 3, 4), (-2,), (2, 3, 4)),
    ((2, 3, 4), (2, -2), (2, 3, 4)), ((2, 3, 4), (-2, 1, 1), (2, 3, 4, 1, 1)), ((2, 3, 4), (-3, 4), (6, 4)),
    ((2, 3, 4, 5), (-3, -3), (6, 20)), ((2, 3, 4), (0, -3), (2, 12)), ((2, 3, 4), (-3, -2), (6, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), (1, 2, 3, 4)), ((2, 3, 4), (2, -4, -1, 3, -2), (2, 1, 3, 4)),
])
def test_reshape_special_values(src, spec, want):
    x = nd.arange(int(np.prod(src))).reshape(src)
    y = x.reshape(spec)
    assert y.shape == want
    np.testing.assert_array_equal(y.asnumpy().ravel(), np.arange(int(np.prod(src))))


def test_reshape_reverse_and_errors():
    x = nd.zeros((10, 5, 4))
    assert x.reshape((-1, 0), reverse=True).shape == (50, 4)  # the documented reverse example
    assert x.reshape((-1, 0)).shape == (40, 5)
    with pytest.raises(mx.MXNetError, match=r"reshape.*\(10, 5, 4\)"):
        x.reshape((3, -1))


@given(a=arrays(np.float32, shapes(min_dims=2, max_dims=3, min_side=1)), keep=st.booleans())
def test_reductions_axis_keepdims_exclude(a, keep):
    x = nd.array(a)
    for name in ("sum", "mean", "max", "min", "prod"):
        fn = getattr(nd, name)
        np.testing.assert_allclose(fn(x, axis=1, keepdims=keep).asnumpy(),
                                   getattr(np, name)(a, axis=1, keepdims=keep), rtol=1e-5, atol=1e-5)
        others = tuple(i for i in range(a.ndim) if i != 0)
        np.testing.assert_allclose(fn(x, axis=0, exclude=True).asnumpy(), getattr(np, name)(a, axis=others),
                                   rtol=1e-5, atol=1e-5)


def test_argmax_returns_float_indices():
    x = nd.array([[1, 5, 2], [7, 0, 3]])
    r = nd.argmax(x, axis=1)
    assert r.dtype is np.float32
    np.testing.assert_array_equal(r.asnumpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0).asnumpy(), [0, 1, 0])


def test_dot_batch_dot_and_fully_connected():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(nd.dot(nd.array(a), nd.array(b)).asnumpy(), np.tensordot(a, b, 1), rtol=1e-5)
    m = rng.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(nd.dot(nd.array(m), nd.array(m), transpose_b=True).asnumpy(), m @ m.T, rtol=1e-5)
    p, q = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((2, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(nd.batch_dot(nd.array(p), nd.array(q)).asnumpy(), p @ q, rtol=1e-5)
    w, bias = rng.standard_normal((6, 12)).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    got = nd.FullyConnected(nd.array(p), nd.array(w), nd.array(bias), num_hidden=6)
    np.testing.assert_allclose(got.asnumpy(), p.reshape(2, -1) @ w.T + bias, rtol=1e-5)
    with pytest.raises(mx.MXNetError, match="dot.*\\(3, 4\\).*\\(5,"):
        nd.dot(nd.array(m), nd.array(rng.standard_normal((5, 2))))


def test_shape_ops_follow_mxnet_defaults():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = nd.array(a)
    np.testing.assert_array_equal(nd.concat(x, x).asnumpy(), np.concatenate([a, a], axis=1))  # dim=1
    parts = nd.split(x, num_outputs=3, axis=1)
    assert len(parts) == 3 and parts[0].shape == (2, 1, 4)
    assert nd.split(x, 3, axis=1, squeeze_axis=True)[0].shape == (2, 4)
    np.testing.assert_array_equal(nd.flatten(x).asnumpy(), a.reshape(2, -1))
    np.testing.assert_array_equal(nd.transpose(x).asnumpy(), a.T)
    np.testing.assert_array_equal(nd.slice_axis(x, axis=2, begin=1, end=None).asnumpy(), a[:, :, 1:])
    np.testing.assert_array_equal(nd.slice(x, begin=(0, 1), end=(1, 3)).asnumpy(), a[0:1, 1:3])
    np.testing.assert_array_equal(nd.broadcast_to(nd.array([[1], [2]]), (0, 3)).asnumpy(),
                                  np.broadcast_to([[1], [2]], (2, 3)))
    idx = nd.array([0, 5, -1])
    np.testing.assert_array_equal(nd.take(nd.array(a[0]), idx).asnumpy(), a[0][[0, 2, 0]])  # mode='clip'
    np.testing.assert_array_equal(nd.pick(nd.array(a[0]), nd.array([0, 1, 3]), axis=1).asnumpy(),
                                  a[0][[0, 1, 2], [0, 1, 3]])
    np.testing.assert_array_equal(nd.where(nd.array([1, 0]), nd.array([1, 2]), nd.array([3, 4])).asnumpy(), [1, 4])


def test_activation_and_softmax():
    a = np.array([[-1.0, 0.5, 2.0]], np.float32)
    x = nd.array(a)
    np.testing.assert_allclose(nd.Activation(x, act_type="relu").asnumpy(), np.maximum(a, 0))
    np.testing.assert_allclose(nd.Activation(x, act_type="softrelu").asnumpy(), np.log1p(np.exp(a)), rtol=1e-6)
    e = np.exp(a - a.max())
    np.testing.assert_allclose(nd.softmax(x).asnumpy(), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(nd.LeakyReLU(x, slope=0.1).asnumpy(), np.where(a > 0, a, 0.1 * a), rtol=1e-6)
    with pytest.raises(mx.MXNetError, match="act_type 'bogus'"):
        nd.Activation(x, act_type="bogus")


def test_copies_and_contexts():
    x = nd.array([1.0, 2.0])
    y = x.copy()
    y[0] = 5
    assert x.asnumpy()[0] == 1
    z = nd.zeros((2,))
    assert x.copyto(z) is z and z.asnumpy().tolist() == [1, 2]
    assert x.as_in_context(mx.cpu()) is x
    assert x.copyto(mx.cpu()).asnumpy().tolist() == [1, 2]
    assert x.astype("float64").dtype is np.float64


def test_random_seed_reproducible():
    mx.random.seed(42)
    a = nd.random.uniform(shape=(3,)).asnumpy()
    b = nd.random.normal(0, 1, shape=(2, 2)).asnumpy()
    mx.random.seed(42)
    np.testing.assert_array_equal(nd.random.uniform(shape=(3,)).asnumpy(), a)
    np.testing.assert_array_equal(nd.random.normal(0, 1, shape=(2, 2)).asnumpy(), b)
    assert ((a >= 0) & (a < 1)).all()


def test_integer_division_keeps_dtype_and_truncates_toward_zero():
    # MXNet 1.9.1: int32 [-3, 3, 7, -7] / 2 -> [-1, 1, 3, -3]; 7 / a -> [-2, 2, 1, -1]
    a = nd.array([-3, 3, 7, -7], dtype="int32")
    q = a / 2
    assert q.dtype is np.int32
    np.testing.assert_array_equal(q.asnumpy(), np.trunc(np.array([-3, 3, 7, -7]) / 2))
    np.testing.assert_array_equal((7 / a).asnumpy(), [-2, 2, 1, -1])
    np.testing.assert_array_equal(nd.broadcast_div(a, nd.array([2], dtype="int32")).asnumpy(), [-1, 1, 3, -3])
    b = nd.array([5, -5], dtype="int32")
    b /= 2
    assert b.dtype is np.int32 and b.asnumpy().tolist() == [2, -2]
    f = nd.array([1.0, 3.0]) / 2
    assert f.dtype is np.float32 and f.asnumpy().tolist() == [0.5, 1.5]


def test_float_index_arrays_select_rows_as_integers():
    x = nd.array([[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(x[nd.array([2, 0])].asnumpy(), [[5, 6], [1, 2]])
    np.testing.assert_array_equal(x[nd.array([1.7, 0])].asnumpy(), [[3, 4], [1, 2]])  # truncated
    np.testing.assert_array_equal(x[nd.array([2, 0]), nd.array([1, 0])].asnumpy(), [6, 1])
    x[nd.array([0, 2])] = 0
    np.testing.assert_array_equal(x.asnumpy(), [[0, 0], [3, 4], [0, 0]])


# Whether a basic-indexing result shares memory with its source, as real MXNet 1.9.1 answers it
# (checked there by writing to the source afterwards): views only for contiguous regions.
_SHARES_IN_MXNET = [
    ((4, 6), lambda x: x[1], True), ((4, 6), lambda x: x[1:3], True), ((4, 6), lambda x: x[:, 1], False),
    ((4, 6), lambda x: x[1:, 1:3], False), ((4, 6), lambda x: x[::2], False),
    ((4, 6), lambda x: x[1, 2:4], True), ((4, 6), lambda x: x[1:3, :], True),
    ((4, 6), lambda x: x[1:3, 0:6], True), ((4, 6), lambda x: x[-1], True),
    ((4, 6), lambda x: x[..., 1], False), ((2, 3, 4), lambda x: x[1, 1:3], True),
    ((2, 3, 4), lambda x: x[0:1, 1], True),
]


@pytest.mark.parametrize("shape, index, shares", _SHARES_IN_MXNET)
def test_basic_indexing_shares_memory_only_where_mxnet_does(shape, index, shares):
    x = nd.arange(int(np.prod(shape))).reshape(shape)
    before = index(x).asnumpy()
    y = index(x)
    x[:] = -1
    if shares:
        assert (y.asnumpy() == -1).all()
    else:
        np.testing.assert_array_equal(y.asnumpy(), before)


def test_copied_slice_still_passes_gradients():
    x = nd.arange(12).reshape((3, 4))
    x.attach_grad()
    with mx.autograd.record():
        y = (x[:, 1:3] * 2).sum()
    y.backward()
    want = np.zeros((3, 4), np.float32)
    want[:, 1:3] = 2
    np.testing.assert_array_equal(x.grad.asnumpy(), want)
