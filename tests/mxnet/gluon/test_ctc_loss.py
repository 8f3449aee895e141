"""CTC: gluon.loss.CTCLoss and nd.ctc_loss against MXNet 1.9.1 (loss and gradient), and the core
unidl.nn.ctc.ctc_loss against a brute-force sum over all alignments."""
import itertools
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
import unidl_mxnet as mx
from unidl import ops
from unidl.nn.ctc import ctc_loss

FIX = np.load(os.path.join(os.path.dirname(__file__), "..", "data", "porting_mxnet191.npz"))


@pytest.mark.parametrize("case", ["plain", "lengths"])
def test_gluon_ctc_loss_and_grad_match_mxnet(case):
    x = mx.nd.array(FIX["ctc_x"])
    x.attach_grad()
    args = (mx.nd.array([6, 4, 5]), mx.nd.array([3, 1, 2])) if case == "lengths" else ()
    with mx.autograd.record():
        loss = mx.gluon.loss.CTCLoss()(x, mx.nd.array(FIX["ctc_label"]), *args)
    loss.backward()
    assert loss.shape == (3,)
    np.testing.assert_allclose(loss.asnumpy(), FIX[f"ctc_{case}_loss"], rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), FIX[f"ctc_{case}_grad"], rtol=1e-4, atol=1e-6)


def test_tnc_layout_and_weights():
    x = FIX["ctc_x"]
    base = mx.gluon.loss.CTCLoss()(mx.nd.array(x), mx.nd.array(FIX["ctc_label"])).asnumpy()
    tnc = mx.gluon.loss.CTCLoss(layout="TNC", label_layout="TN", weight=2.0)(
        mx.nd.array(x.transpose(1, 0, 2)), mx.nd.array(FIX["ctc_label"].T)).asnumpy()
    np.testing.assert_allclose(tnc, 2 * base, rtol=1e-6)
    with pytest.raises(ValueError, match="layouts"):
        mx.gluon.loss.CTCLoss(layout="NCT")


def test_nd_ctc_loss_blank_first_matches_mxnet():
    out = mx.nd.ctc_loss(mx.nd.array(FIX["ctc_x"].transpose(1, 0, 2)), mx.nd.array(FIX["ctc_first_label"]))
    np.testing.assert_allclose(out.asnumpy(), FIX["ctc_first_loss"], rtol=1e-5)
    assert mx.nd.CTCLoss is mx.nd.ctc_loss
    with pytest.raises(mx.MXNetError, match=r"data \(T, N, C\) and label \(N, L\)"):
        mx.nd.ctc_loss(mx.nd.ones((2, 3)), mx.nd.ones((3, 1)))


def _brute_force(logp, label, blank):
    """-log of the summed probability of every frame path that collapses to ``label``."""
    T, C = logp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [k for i, k in enumerate(path) if k != blank and (i == 0 or path[i - 1] != k)]
        if collapsed == list(label):
            total += np.exp(sum(logp[t, k] for t, k in enumerate(path)))
    return -np.log(total)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(0, 3), st.integers(0, 2), st.integers(0, 10_000))
def test_core_ctc_matches_brute_force(T, L, blank, seed):
    C = 3
    rs = np.random.RandomState(seed)
    label = [k for k in rs.randint(0, C, size=L) if k != blank][:T]
    x = rs.randn(T, 1, C).astype(np.float64)
    logp = x - np.log(np.exp(x).sum(-1, keepdims=True))
    expected = _brute_force(logp[:, 0], label, blank)
    padded = np.array([label + [0] * (3 - len(label))])
    got = ctc_loss(unidl.tensor(logp), padded, None, [len(label)], blank=blank).numpy()[0]
    if np.isinf(expected):
        assert got > 1e29  # no alignment: the log(0) stand-in
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_core_ctc_gradient_matches_finite_differences():
    rs = np.random.RandomState(1)
    x = unidl.tensor(rs.randn(5, 2, 4), requires_grad=True)
    with unidl.autograd.record():
        loss = ops.sum(ctc_loss(ops.log_softmax(x, -1), [[1, 2], [3, 3]], [5, 4], [2, 2], blank=0))
    unidl.autograd.backward([loss])
    g = x.grad.numpy()
    base = x.numpy().copy()
    eps = 1e-6
    for idx in [(0, 0, 1), (2, 1, 3), (4, 1, 0)]:
        def f(v):
            arr = base.copy()
            arr[idx] = v
            t = unidl.tensor(arr)
            return float(ops.sum(ctc_loss(ops.log_softmax(t, -1), [[1, 2], [3, 3]], [5, 4], [2, 2], blank=0)).numpy())
        num = (f(base[idx] + eps) - f(base[idx] - eps)) / (2 * eps)
        np.testing.assert_allclose(g[idx], num, rtol=1e-4, atol=1e-7)
    assert np.all(g[4, 1] == 0)  # frames past sample 1's length get no gradient
