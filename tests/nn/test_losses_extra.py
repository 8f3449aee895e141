"""unidl.nn.losses_extra (MXNet flavours): logistic_loss, kl_divergence_log_input, triplet_loss, poisson_nll,
cosine_embedding_loss and sdml_loss against NumPy formulas written here, and finite-difference gradients."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
from unidl.nn import losses_extra as LX
from unidl.testing import assert_grad_close

T = unidl.tensor


def test_values_against_numpy():
    rng = np.random.RandomState(1)
    x, t = rng.randn(3, 4), (rng.rand(3, 4) > 0.5).astype("float64")
    np.testing.assert_allclose(LX.logistic_loss(T(t), T(x), label_format="binary").numpy(),
                               (np.log1p(np.exp(x)) - x * t).mean(-1), rtol=1e-10)
    lab = rng.dirichlet(np.ones(4), 3)
    lp = np.log(rng.dirichlet(np.ones(4), 3))
    np.testing.assert_allclose(LX.kl_divergence_log_input(T(lab), T(lp)).numpy(),
                               lab * (np.log(lab + 1e-12) - lp), rtol=1e-10)
    np.testing.assert_allclose(LX.poisson_nll(T(t), T(x)).numpy(), np.exp(x) - t * x, rtol=1e-10)
    p = np.abs(x) + 0.1
    np.testing.assert_allclose(LX.poisson_nll(T(t), T(p), from_logits=False).numpy(), p - t * np.log(p + 1e-8),
                               rtol=1e-10)
    a, b = rng.randn(3, 4), rng.randn(3, 4)
    d = ((a[:, None] - b[None]) ** 2).sum(-1)
    logp = -d - np.log(np.exp(-d).sum(1, keepdims=True))
    labels = np.full((3, 3), 0.3 / 2) + np.eye(3) * (0.7 - 0.15)
    np.testing.assert_allclose(LX.sdml_loss(T(a), T(b)).numpy(),
                               (labels * (np.log(labels + 1e-12) - logp)).sum(1), rtol=1e-9)


def test_gradients():
    rng = np.random.RandomState(2)
    x, s = rng.randn(3, 4), np.sign(rng.randn(3, 4))
    assert_grad_close(lambda x, t: LX.logistic_loss(t, x), x, s, wrt=[0])
    a, p, n = rng.randn(3, 4), rng.randn(3, 4), rng.randn(3, 4)
    assert_grad_close(lambda a, p, n: LX.triplet_loss(a, p, n, margin=5.0), a, p, n)
    assert_grad_close(lambda a, p: LX.cosine_embedding_loss(a, p, np.array([1.0, -1.0, 1.0]), margin=-1.0), a, p)
    assert_grad_close(lambda a, b: LX.sdml_loss(a, b), a, p)


def test_errors():
    with pytest.raises(ValueError, match="label_format can only be signed or binary"):
        LX.logistic_loss(T(np.ones(2)), T(np.ones(2)), label_format="x")
    with pytest.raises(ValueError, match="triplet_loss: anchor, positive and negative must have one shape"):
        LX.triplet_loss(T(np.ones((2, 3))), T(np.ones((2, 3))), T(np.ones((3, 3))))
