"""keras.ops against NumPy (values, broadcasting, Keras's dtype rules), gradients through a few ops,
and symbolic ops inside functional models."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
import unidl_keras as keras
from unidl.testing import assert_grad_close
from unidl.testing.strategies import arrays, broadcastable_shapes, shapes

ops = keras.ops

BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "maximum": np.maximum,
    "minimum": np.minimum, "greater": np.greater, "less_equal": np.less_equal, "equal": np.equal,
}
UNARY = {
    "abs": np.abs, "negative": np.negative, "square": np.square, "exp": np.exp, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "sign": np.sign, "floor": np.floor, "log1p": lambda a: np.log1p(np.abs(a)),
}


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@settings(max_examples=25)
@given(name=st.sampled_from(sorted(BINARY)), shp=broadcastable_shapes(2, max_dims=3, max_side=4), data=st.data())
def test_binary_ops_broadcast_like_numpy(name, shp, data):
    a = data.draw(arrays(np.float32, shp[0]))
    b = data.draw(arrays(np.float32, shp[1]))
    got = getattr(ops, name)(a, b)
    want = BINARY[name](a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(_np(got), want, rtol=1e-6, atol=1e-6)


@settings(max_examples=25)
@given(name=st.sampled_from(sorted(UNARY)), shape=shapes(max_dims=3, max_side=4), data=st.data())
def test_unary_ops_match_numpy(name, shape, data):
    a = data.draw(arrays(np.float32, shape, -3, 3))
    x = np.abs(a) if name == "log1p" else a
    fn = getattr(ops, name)
    np.testing.assert_allclose(_np(fn(x)), UNARY[name](x), rtol=2e-6, atol=2e-6)


@settings(max_examples=25)
@given(shape=shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), data=st.data(),
       name=st.sampled_from(["sum", "mean", "max", "min", "prod", "var", "std"]), keepdims=st.booleans())
def test_reductions_match_numpy(shape, data, name, keepdims):
    a = data.draw(arrays(np.float32, shape, -2, 2))
    axis = data.draw(st.sampled_from([None] + list(range(-len(shape), len(shape)))))
    got = getattr(ops, name)(a, axis=axis, keepdims=keepdims)
    want = getattr(np, name)(a, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(_np(got), want, rtol=1e-5, atol=1e-5)


@settings(max_examples=15)
@given(shape=shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data())
def test_argsort_sort_argmax_match_numpy(shape, data):
    a = data.draw(arrays(np.float32, shape, -5, 5))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_array_equal(_np(ops.argsort(a, axis=axis)), np.argsort(a, axis=axis, kind="stable"))
    np.testing.assert_array_equal(_np(ops.sort(a, axis=axis)), np.sort(a, axis=axis))
    np.testing.assert_array_equal(_np(ops.argmax(a, axis=axis)), np.argmax(a, axis=axis))


def test_shape_ops_match_numpy():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    cases = [
        (ops.reshape(a, (4, -1)), a.reshape(4, -1)),
        (ops.transpose(a, (2, 0, 1)), a.transpose(2, 0, 1)),
        (ops.moveaxis(a, 0, -1), np.moveaxis(a, 0, -1)),
        (ops.swapaxes(a, 0, 2), np.swapaxes(a, 0, 2)),
        (ops.expand_dims(a, 1), np.expand_dims(a, 1)),
        (ops.squeeze(a[:1]), np.squeeze(a[:1])),
        (ops.concatenate([a, a], axis=1), np.concatenate([a, a], axis=1)),
        (ops.stack([a, a], axis=-1), np.stack([a, a], axis=-1)),
        (ops.hstack([a, a]), np.hstack([a, a])),
        (ops.vstack([a[0, 0], a[1, 1]]), np.vstack([a[0, 0], a[1, 1]])),
        (ops.tile(a, (1, 2, 1)), np.tile(a, (1, 2, 1))),
        (ops.repeat(a, 2, axis=2), np.repeat(a, 2, axis=2)),
        (ops.flip(a, 1), np.flip(a, 1)),
        (ops.pad(a, ((0, 0), (1, 2), (0, 1))), np.pad(a, ((0, 0), (1, 2), (0, 1)))),
        (ops.broadcast_to(a[0, 0], (3, 4)), np.broadcast_to(a[0, 0], (3, 4))),
        (ops.take(a, [2, -1], axis=2), np.take(a, [2, -1], axis=2)),
        (ops.take_along_axis(a, np.argsort(-a, axis=2), axis=2), np.take_along_axis(a, np.argsort(-a, axis=2), 2)),
        (ops.tril(a[0], 1), np.tril(a[0], 1)), (ops.triu(a[0], -1), np.triu(a[0], -1)),
        (ops.diag(np.arange(3.0), 1), np.diag(np.arange(3.0), 1)), (ops.diag(a[0], -1), np.diag(a[0], -1)),
        (ops.roll(a, 3, axis=2), np.roll(a, 3, axis=2)), (ops.cumsum(a, axis=1), np.cumsum(a, axis=1)),
        (ops.cumprod(a[0] / 10, axis=1), np.cumprod(a[0] / 10, axis=1)),
        (ops.where(a > 5, a, -a), np.where(a > 5, a, -a)), (ops.clip(a, 3, 7), np.clip(a, 3, 7)),
        (ops.einsum("ijk,ilk->ijl", a, a), np.einsum("ijk,ilk->ijl", a, a)),
        (ops.matmul(a, a.transpose(0, 2, 1)), a @ a.transpose(0, 2, 1)),
        (ops.dot(a[0], a[0].T), a[0] @ a[0].T), (ops.eye(3, 4, 1), np.eye(3, 4, 1)),
        (ops.linspace(0, 1, 5), np.linspace(0, 1, 5)), (ops.arange(2, 9, 3), np.arange(2, 9, 3)),
        (ops.identity(3), np.identity(3)), (ops.full((2, 2), 7), np.full((2, 2), 7.0)),
    ]
    for got, want in cases:
        assert tuple(got.shape) == want.shape
        np.testing.assert_allclose(_np(got), want, rtol=1e-5, atol=1e-5)
    parts = ops.split(a, [1, 3], axis=2)
    for g, w in zip(parts, np.split(a, [1, 3], axis=2)):
        np.testing.assert_array_equal(_np(g), w)


def test_keras_dtype_rules():
    i32 = np.arange(3, dtype=np.int32)
    f32 = np.ones(3, np.float32)
    assert ops.add(i32, f32).dtype == np.float32          # NumPy would say float64
    assert ops.add(i32, 2).dtype == np.int32              # Python ints are weak
    assert ops.add(i32, 0.5).dtype == np.float32          # but a float promotes to floatx
    assert ops.add(np.arange(3), f32).dtype == np.float32
    assert ops.divide(i32, i32 + 1).dtype == np.float32
    assert ops.mean(i32).dtype == np.float32
    assert ops.sum(np.array([True, False, True])).dtype == np.int32
    assert int(ops.sum(np.array([True, False, True]))) == 2
    assert ops.exp(i32).dtype == np.float32
    assert ops.argmax(f32).dtype == np.int32
    assert ops.arange(3).dtype == np.int32 and ops.arange(3.0).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([1.0]).dtype == np.float32
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64
    assert ops.one_hot(np.array([0, 2, -1]), 3).dtype == np.float32
    np.testing.assert_array_equal(_np(ops.one_hot(np.array([0, 2, -1]), 3)), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])


def test_accepts_variables_tensors_arrays_and_scalars():
    v = keras.Variable(np.array([1.0, -2.0], np.float32))
    t = unidl.tensor(np.array([3.0, 4.0], np.float32))
    np.testing.assert_allclose(_np(ops.add(v, t)), [4.0, 2.0])
    np.testing.assert_allclose(_np(ops.multiply(2, v)), [2.0, -4.0])
    np.testing.assert_allclose(_np(ops.maximum(v, 0)), [1.0, 0.0])
    assert ops.is_tensor(v) and not ops.is_tensor(np.ones(2))
    assert ops.shape(t) == (2,)


def test_nn_ops_match_hand_formulas():
    x = np.array([[-2.0, 0.0, 1.5]], np.float32)
    np.testing.assert_allclose(_np(ops.relu(x)), [[0, 0, 1.5]])
    np.testing.assert_allclose(_np(ops.sigmoid(x)), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.softplus(x)), np.log1p(np.exp(x)), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.leaky_relu(x)), [[-0.4, 0, 1.5]], rtol=1e-6)
    np.testing.assert_allclose(_np(ops.elu(x)), [[np.exp(-2.0) - 1, 0, 1.5]], rtol=1e-6)
    np.testing.assert_allclose(_np(ops.silu(x)), x / (1 + np.exp(-x)), rtol=1e-6)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(_np(ops.softmax(x)), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.log_softmax(x)), np.log(e / e.sum()), rtol=1e-5)
    np.testing.assert_allclose(_np(ops.logsumexp(x, axis=1)), [np.log(np.exp(x).sum())], rtol=1e-6)


def test_crossentropies():
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]], np.float32)
    np.testing.assert_allclose(_np(ops.categorical_crossentropy(t, p)), [-np.log(0.7), -np.log(0.5)], rtol=1e-5)
    np.testing.assert_allclose(_np(ops.sparse_categorical_crossentropy(np.array([1, 0]), p)),
                               [-np.log(0.7), -np.log(0.5)], rtol=1e-5)
    logits = np.log(p)
    np.testing.assert_allclose(_np(ops.categorical_crossentropy(t, logits, from_logits=True)),
                               [-np.log(0.7), -np.log(0.5)], rtol=1e-5)
    y, q = np.array([0.0, 1.0], np.float32), np.array([0.25, 0.8], np.float32)
    np.testing.assert_allclose(_np(ops.binary_crossentropy(y, q)), [-np.log(0.75), -np.log(0.8)], rtol=1e-5)
    z = np.log(q / (1 - q))
    np.testing.assert_allclose(_np(ops.binary_crossentropy(y, z, from_logits=True)),
                               [-np.log(0.75), -np.log(0.8)], rtol=1e-5)


def test_conv_and_pool_channels_last():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    k = np.ones((2, 2, 1, 1), np.float32)
    got = _np(ops.conv(x, k))  # valid, stride 1: sums of 2x2 windows
    want = np.array([[x[0, i:i + 2, j:j + 2, 0].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(got[0, :, :, 0], want)
    assert ops.conv(x, np.ones((3, 3, 1, 5), np.float32), padding="same").shape == (1, 4, 4, 5)
    mp = _np(ops.max_pool(x, 2))
    np.testing.assert_allclose(mp[0, :, :, 0], [[5, 7], [13, 15]])
    ap = _np(ops.average_pool(x, 2))
    np.testing.assert_allclose(ap[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    assert ops.conv_transpose(x, np.ones((3, 3, 2, 1), np.float32), 2, padding="same").shape == (1, 8, 8, 2)


def test_moments_batch_norm_top_k_segment_sum():
    a = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    m, v = ops.moments(a, axes=[0])
    np.testing.assert_allclose(_np(m), [2.0, 4.0])
    np.testing.assert_allclose(_np(v), [1.0, 4.0])
    bn = ops.batch_normalization(a, np.array([2.0, 4.0]), np.array([1.0, 4.0]), axis=-1, epsilon=0.0)
    np.testing.assert_allclose(_np(bn), [[-1, -1], [1, 1]], rtol=1e-6)
    vals, idx = ops.top_k(np.array([3.0, 1.0, 4.0, 1.5], np.float32), 2)
    np.testing.assert_array_equal(_np(vals), [4.0, 3.0])
    np.testing.assert_array_equal(_np(idx), [2, 0])
    seg = ops.segment_sum(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 2, 1]), num_segments=3)
    np.testing.assert_allclose(_np(seg), [3.0, 4.0, 3.0])


def test_slice_update_scatter_and_slice():
    base = np.zeros((3, 4), np.float32)
    got = _np(ops.slice_update(base, (1, 2), np.ones((2, 2), np.float32)))
    want = base.copy()
    want[1:3, 2:4] = 1
    np.testing.assert_array_equal(got, want)
    s = _np(ops.scatter(np.array([[0, 1], [2, 3], [0, 1]]), np.array([1.0, 2.0, 5.0], np.float32), (3, 4)))
    want = np.zeros((3, 4), np.float32)
    want[0, 1], want[2, 3] = 6.0, 2.0
    np.testing.assert_array_equal(s, want)
    a = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(_np(ops.slice(a, (1, 1), (2, 2))), a[1:3, 1:3])


def test_gradients_through_ops():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4,))
    assert_grad_close(lambda x, y: ops.multiply(ops.tanh(x), ops.exp(y)), a, b)
    assert_grad_close(lambda x: ops.softmax(x, axis=-1), a)
    assert_grad_close(lambda x: ops.sort(x, axis=-1), a)  # values differentiable, indices host-side
    assert_grad_close(lambda x: ops.tril(x, 0), a)
    assert_grad_close(lambda x: ops.cumprod(x, axis=1), a)
    assert_grad_close(lambda x: ops.slice_update(x, (1, 1), ops.ones((2, 2), dtype="float64") * 3), a)


def test_stop_gradient_blocks_the_gradient():
    x = unidl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with unidl.record():
        y = ops.sum(ops.add(ops.square(x), ops.stop_gradient(ops.square(x))))
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_symbolic_ops_inside_functional_model():
    inp = keras.Input((4,))
    y = ops.relu(inp) * 2
    z = ops.concatenate([y, ops.sum(inp, axis=-1, keepdims=True)], axis=-1)
    assert isinstance(z, keras.KerasTensor) and z.shape == (None, 5)
    model = keras.Model(inp, [z, inp[:, :2]])
    x = np.array([[-1.0, 2.0, 3.0, -4.0], [1.0, 1.0, 1.0, 1.0]], np.float32)
    out, head = model(x)
    want = np.concatenate([np.maximum(x, 0) * 2, x.sum(-1, keepdims=True)], -1)
    np.testing.assert_allclose(_np(out), want)
    np.testing.assert_allclose(_np(head), x[:, :2])


def test_symbolic_operators_and_dense_layer_mix():
    inp = keras.Input((3,))
    h = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")(inp)
    out = ops.sigmoid(h) - 0.5 + abs(-h) / 2
    model = keras.Model(inp, out)
    x = np.array([[1.0, 0.0, -3.0]], np.float32)
    s = x.sum()
    np.testing.assert_allclose(_np(model(x)), [[1 / (1 + np.exp(-s)) - 0.5 + abs(s) / 2] * 2], rtol=1e-6)


def test_wrong_where_arguments_raise():
    with pytest.raises(ValueError):
        ops.where(np.array([True]), 1.0)
