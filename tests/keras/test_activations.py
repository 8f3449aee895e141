"""keras.activations: each function against a NumPy formula, gradients, lookup and serialization."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close

A = keras.activations
X = np.linspace(-5.0, 5.0, 41)
_erf = np.vectorize(math.erf)


def sig(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


REF = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(np.expm1(x), 0),
    "sigmoid": sig,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "log_sigmoid": lambda x: np.log(sig(x)),
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "softplus": softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * sig(x),
    "swish": lambda x: x * sig(x),
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "mish": lambda x: x * np.tanh(softplus(x)),
    "exponential": np.exp,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
}


@pytest.mark.parametrize("name", sorted(REF))
def test_activation_matches_numpy_and_get(name):
    fn = A.get(name)
    assert fn is getattr(A, name)
    out = fn(unidl.tensor(X))
    np.testing.assert_allclose(np.asarray(out.numpy() if hasattr(out, "numpy") else out), REF[name](X),
                               rtol=1e-6, atol=1e-7)


def test_softmax_family_and_glu():
    x = np.random.default_rng(0).standard_normal((3, 6))
    e = np.exp(x - x.max(-1, keepdims=True))
    sm = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(A.softmax(unidl.tensor(x)).numpy(), sm, rtol=1e-6)
    np.testing.assert_allclose(A.log_softmax(unidl.tensor(x)).numpy(), np.log(sm), rtol=1e-6)
    np.testing.assert_allclose(A.softmax(unidl.tensor(x), axis=0).numpy(),
                               np.exp(x) / np.exp(x).sum(0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(A.glu(unidl.tensor(x)).numpy(), x[:, :3] * sig(x[:, 3:]), rtol=1e-6)
    with pytest.raises(ValueError, match="divisible by 2"):
        A.glu(unidl.tensor(x[:, :5]))


def test_gelu_approximate():
    ref = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(A.gelu(unidl.tensor(X), approximate=True).numpy(), ref, rtol=1e-6, atol=1e-7)


def np_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    pos = np.where(x > threshold, x, 0.0) if threshold else np.maximum(x, 0)
    if max_value is not None:
        pos = np.clip(pos, 0, max_value)
    return pos - negative_slope * np.maximum(threshold - x, 0)


@pytest.mark.parametrize("kw", [{"negative_slope": 0.1}, {"max_value": 6.0}, {"max_value": 2.5, "threshold": -1.0},
                                {"threshold": 1.5, "negative_slope": 0.3},
                                {"negative_slope": 0.2, "max_value": 3.0, "threshold": 2.0}])
def test_relu_options(kw):
    np.testing.assert_allclose(A.relu(unidl.tensor(X), **kw).numpy(), np_relu(X, **kw), rtol=1e-7)


def test_parameterised_forms():
    np.testing.assert_allclose(A.leaky_relu(unidl.tensor(X), negative_slope=0.05).numpy(),
                               np.where(X >= 0, X, 0.05 * X), rtol=1e-7)
    np.testing.assert_allclose(A.elu(unidl.tensor(X), alpha=0.5).numpy(), np.where(X > 0, X, 0.5 * np.expm1(X)),
                               rtol=1e-7)
    np.testing.assert_allclose(A.celu(unidl.tensor(X), alpha=2.0).numpy(),
                               np.maximum(X, 0) + np.minimum(2 * np.expm1(X / 2), 0), rtol=1e-7)
    np.testing.assert_allclose(A.threshold(unidl.tensor(X), 0.5, -1.0).numpy(), np.where(X > 0.5, X, -1.0))


SMOOTH = ["elu", "selu", "sigmoid", "tanh", "softplus", "softsign", "silu", "gelu", "mish", "exponential",
          "log_sigmoid", "celu", "squareplus", "tanh_shrink"]


@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_match_finite_differences(name):
    x = np.array([-2.3, -0.7, 0.4, 1.9])
    assert_grad_close(getattr(A, name), x, rtol=1e-4, atol=1e-7)


def test_log_softmax_gradient():
    x = np.random.default_rng(1).standard_normal((2, 4))
    assert_grad_close(A.log_softmax, x, rtol=1e-4, atol=1e-7)


def test_get_serialize_deserialize():
    assert A.get(None) is A.linear
    assert A.get("swish") is A.silu and A.get("hard_swish") is A.hard_silu
    for name in ("relu", "gelu", "hard_sigmoid", "leaky_relu"):
        assert A.serialize(A.get(name)) == name
        assert A.deserialize(A.serialize(A.get(name))) is A.get(name)
    assert A.deserialize({"class_name": "function", "config": "mish"}) is A.mish
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        A.get("nope")
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        A.get(3)


def test_accepts_numpy_and_keeps_dtype():
    out = A.relu(np.array([-1.0, 2.0], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0])


@given(st.lists(st.floats(-30, 30), min_size=1, max_size=16))
def test_bounded_activations_stay_in_range(values):
    x = unidl.tensor(np.array(values))
    for name, lo, hi in [("sigmoid", 0, 1), ("hard_sigmoid", 0, 1), ("tanh", -1, 1), ("softsign", -1, 1),
                         ("relu6", 0, 6), ("sparse_sigmoid", 0, 1)]:
        y = getattr(A, name)(x).numpy()
        assert np.all(y >= lo) and np.all(y <= hi), name
    np.testing.assert_allclose(A.silu(x).numpy(), np.array(values) * A.sigmoid(x).numpy(), rtol=1e-9, atol=1e-12)
