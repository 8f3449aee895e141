"""gluon.loss HuberLoss, HingeLoss, SquaredHingeLoss, LogisticLoss, TripletLoss, KLDivLoss, PoissonNLLLoss,
CosineEmbeddingLoss and SDMLLoss: outputs and input gradients equal to the real MXNet 1.9.1's (fixtures written
by tests/mxnet/data/layers_make_fixtures.py), weights / sample weights / batch_axis as MXNet, and a NumPy check
of the core functions in unidl.nn.losses_extra."""
from __future__ import annotations

import os

import numpy as np
import pytest

import unidl
from unidl.nn import losses_extra
from unidl_mxnet import autograd, nd
from unidl_mxnet.gluon import loss as gloss

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
FIX = np.load(os.path.join(DATA, "layers_mxnet191.npz"))

CASES = [
    ("huber", lambda: gloss.HuberLoss(rho=0.5, weight=2.0)),
    ("huber_default", lambda: gloss.HuberLoss()),
    ("huber_axis1", lambda: gloss.HuberLoss(batch_axis=1)),
    ("hinge", lambda: gloss.HingeLoss(margin=1.5)),
    ("sqhinge", lambda: gloss.SquaredHingeLoss()),
    ("logistic_signed", lambda: gloss.LogisticLoss()),
    ("logistic_binary", lambda: gloss.LogisticLoss(label_format="binary", weight=0.5)),
    ("triplet", lambda: gloss.TripletLoss(margin=0.7)),
    ("kldiv", lambda: gloss.KLDivLoss()),
    ("kldiv_logits", lambda: gloss.KLDivLoss(from_logits=False, axis=1)),
    ("poisson", lambda: gloss.PoissonNLLLoss()),
    ("poisson_prob", lambda: gloss.PoissonNLLLoss(from_logits=False, compute_full=True)),
    ("cosine", lambda: gloss.CosineEmbeddingLoss(margin=0.2)),
    ("sdml", lambda: gloss.SDMLLoss()),
]


@pytest.mark.parametrize("name, make", CASES)
def test_matches_real_mxnet(name, make):
    n = sum(1 for k in FIX.files if k.startswith(f"{name}__in"))
    xs = [nd.array(FIX[f"{name}__in{i}"]) for i in range(n)]
    xs[0].attach_grad()
    with autograd.record():
        out = make()(*xs)
    np.testing.assert_allclose(out.asnumpy(), FIX[f"{name}__out"], rtol=1e-5, atol=1e-6)
    assert out.shape == FIX[f"{name}__out"].shape
    if f"{name}__g0" in FIX.files:
        out.backward()
        # gradients: the conformance tolerance (relative 1e-4; float32 cancellation in SDML reaches ~4e-6)
        np.testing.assert_allclose(xs[0].grad.asnumpy(), FIX[f"{name}__g0"], rtol=1e-4, atol=1e-5)


def test_per_sample_shapes_and_reprs():
    p, t = nd.ones((4, 3, 2)), nd.zeros((4, 6))  # label reshaped to pred's shape, as MXNet
    assert gloss.HuberLoss()(p, t).shape == (4,)
    assert gloss.HingeLoss(batch_axis=1)(p, nd.ones((4, 3, 2))).shape == (3,)
    assert gloss.CosineEmbeddingLoss()(nd.ones((5, 2)), nd.ones((5, 2)), nd.ones((5,))).shape == (5, 1)
    assert gloss.PoissonNLLLoss()(nd.ones((5, 2)), nd.ones((5, 2))).shape == (1,)  # MXNet's mean of everything
    assert repr(gloss.HuberLoss(weight=2.0)) == "HuberLoss(batch_axis=0, w=2.0)"
    assert gloss.TripletLoss().prefix.startswith("tripletloss")


def test_errors():
    with pytest.raises(ValueError, match="label_format can only be signed or binary"):
        gloss.LogisticLoss(label_format="multi")
    with pytest.raises(ValueError, match=r"sdml_loss: expected x1 and x2 of one shape \(N, D\) with N >= 2"):
        gloss.SDMLLoss()(nd.ones((1, 3)), nd.ones((1, 3)))
    with pytest.raises(AssertionError, match="SDMLLoss: x1 and x2 must have one shape"):
        gloss.SDMLLoss()(nd.ones((2, 3)), nd.ones((3, 3)))


def test_core_functions_against_numpy():
    rng = np.random.RandomState(5)
    x, t = rng.randn(3, 4).astype("float32"), np.sign(rng.randn(3, 4)).astype("float32")
    got = losses_extra.logistic_loss(unidl.tensor(t), unidl.tensor(x), axis=None).numpy()
    np.testing.assert_allclose(got, np.log1p(np.exp(-t * x)), rtol=1e-5, atol=1e-6)
    a, p, n = (rng.randn(3, 4).astype("float32") for _ in range(3))
    got = losses_extra.triplet_loss(unidl.tensor(a), unidl.tensor(p), unidl.tensor(n), margin=0.5).numpy()
    np.testing.assert_allclose(got, np.maximum(((p - a) ** 2 - (n - a) ** 2).sum(-1) + 0.5, 0), rtol=1e-5,
                               atol=1e-6)
    lab = np.array([1.0, -1.0, 1.0], "float32")
    cos = (a * p).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(p, axis=-1))
    want = np.where(lab == 1, 1 - cos, np.maximum(cos - 0.1, 0))
    got = losses_extra.cosine_embedding_loss(unidl.tensor(a), unidl.tensor(p), unidl.tensor(lab), margin=0.1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    # compute_full is finite where the target is 0 (MXNet 1.9 gives NaN there: 0 * log 0)
    full = losses_extra.poisson_nll(unidl.tensor(np.array([0.0, 1.0, 3.0], "float32")),
                                    unidl.tensor(np.array([0.5, 0.5, 0.5], "float32")), compute_full=True)
    want = np.exp(0.5) - np.array([0.0, 1.0, 3.0]) * 0.5 + np.array([0, 0, 3 * np.log(3) - 3 + 0.5 * np.log(6 * np.pi)])
    np.testing.assert_allclose(full.numpy(), want, rtol=1e-5)
