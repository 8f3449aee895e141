"""unidl.nn.layers_extra: prelu, swish, instance_norm and group_norm against NumPy formulas written here
(hypothesis over shapes) and finite-difference gradients."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
from unidl.errors import OpError
from unidl.nn import layers_extra as L
from unidl.testing import assert_grad_close

T = unidl.tensor


def np_group_norm(x, g, gamma=None, beta=None, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape((n, g, -1))
    y = ((xg - xg.mean(2, keepdims=True)) / np.sqrt(xg.var(2, keepdims=True) + eps)).reshape(x.shape)
    extra = (1,) * (x.ndim - 2)
    if gamma is not None:
        y = y * (np.repeat(gamma, c // g) if gamma.shape[0] == g else gamma).reshape((c,) + extra)
    if beta is not None:
        y = y + (np.repeat(beta, c // g) if beta.shape[0] == g else beta).reshape((c,) + extra)
    return y


@given(n=st.integers(1, 3), g=st.integers(1, 3), per=st.integers(1, 3), s=st.integers(1, 5),
       per_group=st.booleans(), seed=st.integers(0, 2**16))
def test_group_norm_matches_numpy(n, g, per, s, per_group, seed):
    rng = np.random.RandomState(seed)
    c = g * per
    x = rng.randn(n, c, s)
    k = g if per_group else c
    gamma, beta = rng.rand(k) + 0.5, rng.randn(k)
    got = L.group_norm(T(x), g, T(gamma), T(beta)).numpy()
    np.testing.assert_allclose(got, np_group_norm(x, g, gamma, beta), rtol=1e-9, atol=1e-9)


@given(n=st.integers(1, 3), c=st.integers(1, 4), s=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_instance_norm_matches_numpy(n, c, s, seed):
    rng = np.random.RandomState(seed)
    x, gamma, beta = rng.randn(n, c, s, 2), rng.rand(c) + 0.5, rng.randn(c)
    mean, var = x.mean((2, 3), keepdims=True), x.var((2, 3), keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-5) * gamma[:, None, None] + beta[:, None, None]
    np.testing.assert_allclose(L.instance_norm(T(x), T(gamma), T(beta)).numpy(), want, rtol=1e-9, atol=1e-9)
    # channels last: axis=-1
    xl = np.moveaxis(x, 1, -1)
    got = L.instance_norm(T(xl), T(gamma), T(beta), axis=-1).numpy()
    np.testing.assert_allclose(np.moveaxis(got, -1, 1), want, rtol=1e-9, atol=1e-9)


def test_prelu_and_swish_values():
    x = np.linspace(-2, 2, 9).reshape(1, 1, 9)
    np.testing.assert_allclose(L.prelu(T(x), T(np.array([0.3]))).numpy(), np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(L.swish(T(x), 0.5).numpy(), x / (1 + np.exp(-0.5 * x)), rtol=1e-12)


def test_gradients():
    rng = np.random.RandomState(0)
    x = rng.randn(2, 4, 3)
    assert_grad_close(lambda x, g, b: L.group_norm(x, 2, g, b), x, rng.rand(2) + 0.5, rng.randn(2))
    assert_grad_close(lambda x, g, b: L.instance_norm(x, g, b), x, rng.rand(4) + 0.5, rng.randn(4))
    assert_grad_close(lambda x, a: L.prelu(x, a), x + 0.05, rng.rand(4, 1))
    assert_grad_close(lambda x: L.swish(x, 1.5), x)


def test_errors():
    with pytest.raises(OpError, match="group_norm.*divisible by num_groups=3"):
        L.group_norm(T(np.ones((1, 4, 2))), 3)
    with pytest.raises(OpError, match=r"group_norm: gamma must have shape \(2,\) .* or \(4,\)"):
        L.group_norm(T(np.ones((1, 4, 2))), 2, T(np.ones(3)))
    with pytest.raises(OpError, match="instance_norm: expected an input with batch, channel and >= 1 other"):
        L.instance_norm(T(np.ones((2, 3))))
    with pytest.raises(OpError, match=r"instance_norm: gamma must have shape \(3,\)"):
        L.instance_norm(T(np.ones((2, 3, 4))), T(np.ones(4)))
