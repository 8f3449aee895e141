"""Bad input gets a clear error, never a silent wrong answer or a bare NumPy traceback: the most used layers,
losses and ops of both faces, given invalid sizes, ranks, channel counts, labels and indices. Each case says
which words the message must carry (the layer or op, and what is wrong)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_keras as keras
from unidl_mxnet import gluon, nd

L = keras.layers
F32 = "float32"


def _x(*shape):
    return np.random.RandomState(0).rand(*shape).astype(F32)


def _built(layer, shape):
    layer(_x(*shape))
    return layer


def _gluon(block, shape):
    block.initialize()
    block(nd.array(_x(*shape)))
    return block


KERAS_CASES = {
    "Dense negative units": (lambda: L.Dense(-3), ["units", "-3"]),
    "Dense input features changed": (lambda: _built(L.Dense(4), (2, 3))(_x(2, 5)), ["dense", "3", "5"]),
    "Conv2D negative filters": (lambda: L.Conv2D(-1, 3), ["filters"]),
    "Conv2D rank-3 input": (lambda: L.Conv2D(4, 3)(_x(2, 8, 8)), ["conv2d", "ndim"]),
    "Conv2D kernel larger than input": (lambda: L.Conv2D(4, 5)(_x(1, 3, 3, 1)), ["output size", "kernel shape"]),
    "Conv2D channels changed": (lambda: _built(L.Conv2D(4, 3), (1, 6, 6, 2))(_x(1, 6, 6, 3)), ["conv2d", "3"]),
    "MaxPooling2D zero pool": (lambda: L.MaxPooling2D(0), ["pool_size"]),
    "Embedding negative input_dim": (lambda: L.Embedding(-1, 4), ["input_dim"]),
    "Embedding index out of range": (lambda: L.Embedding(10, 4)(np.array([[1, 12]])), ["embedding", "12"]),
    "LSTM negative units": (lambda: L.LSTM(-2), ["units"]),
    "LSTM rank-2 input": (lambda: L.LSTM(4)(_x(2, 5)), ["lstm", "ndim"]),
    "BatchNormalization channels changed": (
        lambda: _built(L.BatchNormalization(), (2, 4))(_x(2, 5)), ["batch_normalization", "4", "5"]),
    "Dropout rate above 1": (lambda: L.Dropout(1.5), ["rate"]),
    "Reshape incompatible": (lambda: L.Reshape((5,))(_x(2, 6)), ["total size", "target_shape"]),
    "Concatenate mismatched": (lambda: L.Concatenate()([_x(2, 3), _x(3, 3)]), ["concatenate"]),
    "Input negative dim": (lambda: keras.Input(shape=(-3,)), ["negative"]),
    "Dense on strings": (lambda: L.Dense(2)(np.array([["a", "b"]])), ["dtype", "<u1"]),
    "SparseCE label out of range": (
        lambda: keras.losses.SparseCategoricalCrossentropy()(np.array([0, 5]), _x(2, 3)), ["labels", "[0, 3)"]),
    "SparseCE logits label negative": (
        lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, -1]), _x(2, 3)),
        ["labels", "[0, 3)"]),
    "CategoricalCE shape mismatch": (
        lambda: keras.losses.CategoricalCrossentropy()(_x(2, 4), _x(2, 3)), ["shape"]),
    "MSE shapes that do not broadcast": (lambda: keras.losses.MeanSquaredError()(_x(2, 4), _x(2, 3)), ["shape"]),
    "ops.matmul inner mismatch": (lambda: keras.ops.matmul(_x(2, 3), _x(4, 2)), ["matmul", "3", "4"]),
    "ops.reshape impossible": (lambda: keras.ops.reshape(_x(2, 3), (4, 2)), ["reshape"]),
    "ops.take index out of range": (lambda: keras.ops.take(_x(3), np.array([5])), ["5"]),
}

GLUON_CASES = {
    "Dense negative units": (lambda: gluon.nn.Dense(-1), ["units"]),
    "Dense input features changed": (
        lambda: _gluon(gluon.nn.Dense(4, in_units=3), (2, 3))(nd.array(_x(2, 5))), ["5", "3"]),
    "Conv2D rank-3 input": (lambda: _gluon(gluon.nn.Conv2D(4, 3), (2, 8, 8)), ["conv2d", "dims"]),
    "Conv2D kernel larger than input": (lambda: _gluon(gluon.nn.Conv2D(4, 5), (1, 1, 3, 3)), ["conv"]),
    "Conv2D channels changed": (
        lambda: _gluon(gluon.nn.Conv2D(4, 3, in_channels=2), (1, 2, 6, 6))(nd.array(_x(1, 3, 6, 6))), ["conv"]),
    "Conv2D negative channels": (lambda: gluon.nn.Conv2D(-4, 3), ["channels"]),
    "MaxPool2D zero pool": (lambda: gluon.nn.MaxPool2D(0), ["pool_size"]),
    # (an out-of-range Embedding index is not an error in MXNet: it is clipped, see test_embedding_clip.py)
    "Embedding non-integer weight shape": (lambda: gluon.nn.Embedding(10.5, 4), ["input_dim"]),
    "Embedding negative input_dim": (lambda: gluon.nn.Embedding(-1, 4), ["input_dim"]),
    "LSTM rank-2 input": (lambda: _gluon(gluon.rnn.LSTM(4), (2, 5)), ["lstm", "rank-3"]),
    "LSTM negative hidden size": (lambda: gluon.rnn.LSTM(-4), ["hidden_size"]),
    "BatchNorm channels changed": (
        lambda: _gluon(gluon.nn.BatchNorm(in_channels=4), (2, 4))(nd.array(_x(2, 5))), ["batch", "4", "5"]),
    "Dropout rate above 1": (lambda: gluon.nn.Dropout(1.5), ["rate"]),
    "SoftmaxCE label out of range": (
        lambda: gluon.loss.SoftmaxCrossEntropyLoss()(nd.array(_x(2, 3)), nd.array([0, 5])), ["labels", "[0, 3)"]),
    "L2Loss shapes that do not broadcast": (
        lambda: gluon.loss.L2Loss()(nd.array(_x(2, 4)), nd.array(_x(3, 5))), ["shape"]),
    "nd.reshape impossible": (lambda: nd.array(_x(2, 3)).reshape((4, 2)), ["reshape"]),
    "nd.dot inner mismatch": (lambda: nd.dot(nd.array(_x(2, 3)), nd.array(_x(4, 2))), ["dot", "3", "4"]),
    "nd.take index out of range (raise mode)": (
        lambda: nd.take(nd.array(_x(3)), nd.array([5]), mode="raise"), ["5"]),
}

CLEAR = (ValueError, TypeError, IndexError, RuntimeError, KeyError)


def _check(fn, words):
    with pytest.raises(CLEAR) as ei:
        fn()
    e = ei.value
    msg = str(e).lower()
    assert not type(e).__module__.startswith("numpy"), f"a bare NumPy error: {type(e).__name__}: {e}"
    missing = [w for w in words if w.lower() not in msg]
    assert not missing, f"the message lacks {missing}: {type(e).__name__}: {e}"


@pytest.mark.parametrize("case", list(KERAS_CASES))
def test_keras_face(case):
    fn, words = KERAS_CASES[case]
    _check(fn, words)


@pytest.mark.parametrize("case", list(GLUON_CASES))
def test_gluon_face(case):
    fn, words = GLUON_CASES[case]
    _check(fn, words)


# -- empty batches and non-finite values: no crash, the framework's answer ---------------------------------
EMPTY_KERAS = {
    "Dense": (lambda: L.Dense(4), (0, 3), (0, 4)),
    "Conv2D": (lambda: L.Conv2D(2, 3), (0, 5, 5, 1), (0, 3, 3, 2)),
    "MaxPooling2D": (lambda: L.MaxPooling2D(2), (0, 4, 4, 1), (0, 2, 2, 1)),
    "LSTM": (lambda: L.LSTM(3), (0, 4, 2), (0, 3)),
    "Embedding": (lambda: L.Embedding(5, 2), (0, 3), (0, 3, 2)),
    "Flatten": (lambda: L.Flatten(), (0, 2, 3), (0, 6)),
}

EMPTY_GLUON = {
    "Dense": (lambda: gluon.nn.Dense(4, in_units=3), (0, 3), (0, 4)),
    "Conv2D": (lambda: gluon.nn.Conv2D(2, 3, in_channels=1), (0, 1, 5, 5), (0, 2, 3, 3)),
    "MaxPool2D": (lambda: gluon.nn.MaxPool2D(2), (0, 1, 4, 4), (0, 1, 2, 2)),
    "LSTM": (lambda: gluon.rnn.LSTM(3, input_size=2), (4, 0, 2), (4, 0, 3)),
    "Flatten": (lambda: gluon.nn.Flatten(), (0, 2, 3), (0, 6)),
}


@pytest.mark.parametrize("name", list(EMPTY_KERAS))
def test_keras_layers_take_an_empty_batch(name):
    make, shape, want = EMPTY_KERAS[name]
    x = np.zeros(shape, "int32" if name == "Embedding" else F32)
    assert tuple(make()(x).shape) == want


@pytest.mark.parametrize("name", list(EMPTY_GLUON))
def test_gluon_blocks_take_an_empty_batch(name):
    make, shape, want = EMPTY_GLUON[name]
    block = make()
    block.initialize()
    assert block(nd.zeros(shape)).shape == want


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_non_finite_values_propagate_as_in_the_frameworks():
    x = _x(2, 3)
    x[0, 1] = np.nan
    y = L.Dense(2)(x).numpy()
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()
    logits = _x(2, 3)
    logits[1, 0] = np.inf
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(np.array([0, 1]), logits)
    assert np.isfinite(loss.numpy()[0]) and not np.isfinite(loss.numpy()[1])
    dense = gluon.nn.Dense(2, in_units=3)
    dense.initialize()
    yg = dense(nd.array(x)).asnumpy()
    assert np.isnan(yg[0]).all() and np.isfinite(yg[1]).all()
