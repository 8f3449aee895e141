"""unidl.nn.functional against formulas written out in NumPy here; gradients by finite differences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.errors import OpError
from unidl.nn import functional as F
from unidl.testing import assert_grad_close, grad_norm_fn


def T(a, grad=False):
    return unidl.tensor(np.asarray(a), requires_grad=grad)


def sig(x):
    return 1 / (1 + np.exp(-x))


def rnd(rng, *shape, s=1.0):
    return rng.standard_normal(shape) * s


# -- NumPy references ------------------------------------------------------------------------------------

def np_lstm_cell(x, h, c, W, U, b):
    z = x @ W + h @ U + b
    H = h.shape[-1]
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
    c2 = f * c + i * g
    return o * np.tanh(c2), c2


def np_gru_cell(x, h, W, U, bi, bh, reset_after, order):
    H = h.shape[-1]
    xz = x @ W + bi
    blocks = lambda a: (a[:, :H], a[:, H:2 * H], a[:, 2 * H:])  # noqa: E731
    xa, xb, xh = blocks(xz)
    if order == "zrh":
        xzz, xr = xa, xb
        Uz, Ur, Uh = U[:, :H], U[:, H:2 * H], U[:, 2 * H:]
        bz, br, bhh = bh[:H], bh[H:2 * H], bh[2 * H:]
    else:
        xzz, xr = xb, xa
        Ur, Uz, Uh = U[:, :H], U[:, H:2 * H], U[:, 2 * H:]
        br, bz, bhh = bh[:H], bh[H:2 * H], bh[2 * H:]
    z = sig(xzz + h @ Uz + bz)
    r = sig(xr + h @ Ur + br)
    if reset_after:
        hh = np.tanh(xh + r * (h @ Uh + bhh))
    else:
        hh = np.tanh(xh + (r * h) @ Uh + bhh)
    return z * h + (1 - z) * hh


def np_run(step, x, h0, mask, reverse, states=1):
    """Batch-first loop: x (N, T, F); mask (N, T) or None; returns (outputs (N, T, H), final states)."""
    N, Tn, _ = x.shape
    st_ = list(h0) if states > 1 else [h0]
    outs = [None] * Tn
    prev_out = np.zeros_like(st_[0])  # Keras: a masked step repeats the previous *output* (zeros at first)
    for t in (range(Tn - 1, -1, -1) if reverse else range(Tn)):
        new = step(x[:, t], *st_)
        new = list(new) if states > 1 else [new]
        out = new[0]
        if mask is not None:
            m = mask[:, t][:, None]
            new = [np.where(m, a, b) for a, b in zip(new, st_)]
            out = np.where(m, out, prev_out)
        st_ = new
        outs[t] = prev_out = out
    return np.stack(outs, 1), st_


# -- dense / conv ------------------------------------------------------------------------------------------

def test_dense_both_layouts():
    rng = np.random.default_rng(0)
    x, W, b = rnd(rng, 2, 3, 4), rnd(rng, 4, 5), rnd(rng, 5)
    np.testing.assert_allclose(F.dense(T(x), T(W), T(b)).numpy(), x @ W + b, rtol=1e-12)
    np.testing.assert_allclose(F.dense(T(x), T(W.T.copy()), T(b), transpose_kernel=True).numpy(), x @ W + b,
                               rtol=1e-12)
    np.testing.assert_allclose(F.dense(T(x), T(W)).numpy(), x @ W, rtol=1e-12)
    assert_grad_close(lambda x, w, b: F.dense(x, w, b, transpose_kernel=True), x, W.T.copy(), b)
    with pytest.raises(OpError, match="dense"):
        F.dense(T(x), T(W.T.copy()))


def np_conv2d_nhwc(x, k, stride, padding, dilation):
    """Direct NHWC conv with a Keras kernel (kh, kw, in, out); 'same' as TensorFlow pads."""
    N, Hh, Ww, C = x.shape
    kh, kw, _, O = k.shape
    if padding == "same":
        pads = []
        for n, kk in ((Hh, kh), (Ww, kw)):
            tot = max((-(-n // stride) - 1) * stride + dilation * (kk - 1) + 1 - n, 0)
            pads.append((tot // 2, tot - tot // 2))
    else:
        pads = [(0, 0), (0, 0)]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    Ho = (xp.shape[1] - dilation * (kh - 1) - 1) // stride + 1
    Wo = (xp.shape[2] - dilation * (kw - 1) - 1) // stride + 1
    out = np.zeros((N, Ho, Wo, O))
    for i in range(Ho):
        for j in range(Wo):
            for a in range(kh):
                for bb in range(kw):
                    out[:, i, j] += xp[:, i * stride + a * dilation, j * stride + bb * dilation] @ k[a, bb]
    return out


@pytest.mark.parametrize("padding,stride,dilation,size", [("same", 2, 1, (5, 6)), ("same", 1, 2, (4, 5)),
                                                          ("valid", 2, 1, (7, 5)), ("same", 3, 1, (4, 4))])
def test_conv_nd_channels_last_keras_kernel(padding, stride, dilation, size):
    rng = np.random.default_rng(1)
    x, k, b = rnd(rng, 2, *size, 3), rnd(rng, 3, 2, 3, 4), rnd(rng, 4)
    want = np_conv2d_nhwc(x, k, stride, padding, dilation) + b
    got = F.conv_nd(T(x), T(k), T(b), stride, padding, dilation, data_format="channels_last")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    # the same conv channels-first with the Gluon (O, I, kh, kw) weight
    got_cf = F.conv_nd(T(x.transpose(0, 3, 1, 2)), T(k.transpose(3, 2, 0, 1)), T(b), stride, padding, dilation)
    np.testing.assert_allclose(got_cf.numpy(), want.transpose(0, 3, 1, 2), rtol=1e-10, atol=1e-12)


def test_conv_nd_grad_channels_last():
    rng = np.random.default_rng(2)
    x, k, b = rnd(rng, 1, 4, 3, 2), rnd(rng, 2, 2, 2, 3), rnd(rng, 3)
    assert_grad_close(lambda x, k, b: F.conv_nd(x, k, b, 2, "same", data_format="channels_last"), x, k, b)


# -- cells ----------------------------------------------------------------------------------------------

def test_lstm_cell_one_and_two_biases():
    rng = np.random.default_rng(3)
    x, h, c = rnd(rng, 3, 4), rnd(rng, 3, 5), rnd(rng, 3, 5)
    W, U, bi, bh = rnd(rng, 4, 20), rnd(rng, 5, 20), rnd(rng, 20), rnd(rng, 20)
    h2, c2 = np_lstm_cell(x, h, c, W, U, bi + bh)
    gh, gc = F.lstm_cell(T(x), T(h), T(c), T(W), T(U), T(bi), T(bh))
    np.testing.assert_allclose(gh.numpy(), h2, rtol=1e-12)
    np.testing.assert_allclose(gc.numpy(), c2, rtol=1e-12)
    gh, _ = F.lstm_cell(T(x), T(h), T(c), T(W.T.copy()), T(U.T.copy()), T(bi + bh), weights_layout="oi")
    np.testing.assert_allclose(gh.numpy(), h2, rtol=1e-12)
    assert_grad_close(lambda *a: ops.concatenate(list(F.lstm_cell(*a)), -1), x, h, c, W, U, bi, bh)


@pytest.mark.parametrize("order", ["zrh", "rzn"])
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell(order, reset_after):
    rng = np.random.default_rng(4)
    x, h = rnd(rng, 3, 4), rnd(rng, 3, 5)
    W, U, bi, bh = rnd(rng, 4, 15), rnd(rng, 5, 15), rnd(rng, 15), rnd(rng, 15)
    want = np_gru_cell(x, h, W, U, bi, bh, reset_after, order)
    got = F.gru_cell(T(x), T(h), T(W), T(U), T(bi), T(bh), reset_after=reset_after, gate_order=order)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert_grad_close(lambda *a: F.gru_cell(*a, reset_after=reset_after, gate_order=order), x, h, W, U, bi, bh)


def test_gru_mxnet_order_is_keras_order_permuted():
    rng = np.random.default_rng(5)
    x, h = rnd(rng, 2, 3), rnd(rng, 2, 4)
    W, U, bi, bh = rnd(rng, 3, 12), rnd(rng, 4, 12), rnd(rng, 12), rnd(rng, 12)
    perm = lambda a: np.concatenate([a[..., 4:8], a[..., :4], a[..., 8:]], -1)  # noqa: E731  z,r,h -> r,z,n
    k = F.gru_cell(T(x), T(h), T(W), T(U), T(bi), T(bh), gate_order="keras")
    m = F.gru_cell(T(x), T(h), T(perm(W).T.copy()), T(perm(U).T.copy()), T(perm(bi)), T(perm(bh)),
                   gate_order="mxnet", weights_layout="oi")
    np.testing.assert_allclose(m.numpy(), k.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reverse,masked", [(False, False), (True, True)])
def test_gru_gate_orders_run_the_same_arithmetic(reverse, masked):
    # float32, where summation order shows: MXNet's r, z, n weights (Gluon's (3H, in) layout) are gathered into
    # the core's z, r, h order, so output, dx, dh0 and the (permuted) weight gradients are bitwise Keras's
    rng = np.random.default_rng(21)
    N, Tn, I, H = 4, 5, 6, 8
    f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
    x, h0 = f32(rnd(rng, N, Tn, I)), f32(rnd(rng, N, H))
    W, U, bi, bh = f32(rnd(rng, I, 3 * H)), f32(rnd(rng, H, 3 * H)), f32(rnd(rng, 3 * H)), f32(rnd(rng, 3 * H))
    mask = _mask(rng, N, Tn) if masked else None
    perm = lambda a: np.concatenate([a[..., H:2 * H], a[..., :H], a[..., 2 * H:]], -1)  # noqa: E731
    head = f32(rnd(rng, N, Tn, H))

    def run(args, **kw):
        ts = [T(a, grad=True) for a in args]
        with unidl.autograd.record():
            o, _ = F.gru(*ts, reverse=reverse, mask=mask, **kw)
            loss = ops.sum(ops.multiply(o, T(head)))
        loss.backward()
        return o.numpy(), [t.grad.numpy() for t in ts]

    ok, gk = run([x, h0, W, U, bi, bh], gate_order="zrh")
    om, gm = run([x, h0, perm(W).T.copy(), perm(U).T.copy(), perm(bi), perm(bh)], gate_order="rzn",
                 weights_layout="oi")
    assert om.tobytes() == ok.tobytes()
    assert gm[0].tobytes() == gk[0].tobytes() and gm[1].tobytes() == gk[1].tobytes()   # dx, dh0
    for a, b in zip(gm[2:4], gk[2:4]):
        assert a.T.tobytes() == perm(b).tobytes()
    for a, b in zip(gm[4:], gk[4:]):
        assert a.tobytes() == perm(b).tobytes()


def test_gru_gate_gather_gradient_keeps_signed_zeros():
    H = 2
    w = T(np.arange(6 * H, dtype=np.float32).reshape(2, 3 * H), grad=True)
    head = np.array([[-0.0, 1, 2, -0.0, 4, 5], [6, -0.0, 8, 9, -0.0, 11]], np.float32)
    with unidl.autograd.record():
        (y,) = F._gru_canonical("rzn", H, w)
        loss = ops.sum(ops.multiply(y, T(head)))
    loss.backward()
    assert np.array_equal(y.numpy(), np.concatenate([w.numpy()[:, H:2 * H], w.numpy()[:, :H], w.numpy()[:, 2 * H:]], 1))
    want = np.concatenate([head[:, H:2 * H], head[:, :H], head[:, 2 * H:]], 1)
    assert w.grad.numpy().tobytes() == want.tobytes()   # -0.0 stays -0.0 (no scatter-add into +0.0)


@pytest.mark.parametrize("act,fn", [("tanh", np.tanh), ("relu", lambda z: np.maximum(z, 0))])
def test_simple_rnn_cell(act, fn):
    rng = np.random.default_rng(6)
    x, h, W, U, b = rnd(rng, 3, 4), rnd(rng, 3, 5), rnd(rng, 4, 5), rnd(rng, 5, 5), rnd(rng, 5)
    got = F.simple_rnn_cell(T(x), T(h), T(W), T(U), T(b), activation=act)
    np.testing.assert_allclose(got.numpy(), fn(x @ W + h @ U + b), rtol=1e-12)
    assert_grad_close(lambda *a: F.simple_rnn_cell(*a, activation="tanh"), x, h, W, U, b)


# -- sequences ------------------------------------------------------------------------------------------

def _mask(rng, N, Tn):
    m = rng.random((N, Tn)) > 0.35
    m[0] = True
    return m


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("fused", [True, False])
def test_lstm_sequence(reverse, masked, fused):
    rng = np.random.default_rng(7)
    N, Tn, I, H = 3, 6, 4, 5
    x, h0, c0 = rnd(rng, N, Tn, I), rnd(rng, N, H), rnd(rng, N, H)
    W, U, b = rnd(rng, I, 4 * H, s=0.5), rnd(rng, H, 4 * H, s=0.5), rnd(rng, 4 * H)
    mask = _mask(rng, N, Tn) if masked else None
    outs, (hT, cT) = np_run(lambda xt, h, c: np_lstm_cell(xt, h, c, W, U, b), x, (h0, c0), mask, reverse, 2)
    o, h, c = F.lstm(T(x), T(h0), T(c0), T(W), T(U), T(b), reverse=reverse, mask=mask, fused=fused)
    np.testing.assert_allclose(o.numpy(), outs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), hT, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), cT, rtol=1e-10, atol=1e-12)
    last, _, _ = F.lstm(T(x), T(h0), T(c0), T(W), T(U), T(b), reverse=reverse, mask=mask, fused=fused,
                        return_sequences=False)
    np.testing.assert_allclose(last.numpy(), outs[:, 0 if reverse else -1], rtol=1e-10, atol=1e-12)
    # time-major input gives the same, transposed
    om, _, _ = F.lstm(T(x.transpose(1, 0, 2)), T(h0), T(c0), T(W), T(U), T(b), time_major=True, reverse=reverse,
                      mask=None if mask is None else mask.T, fused=fused)
    np.testing.assert_allclose(om.numpy(), outs.transpose(1, 0, 2), rtol=1e-10, atol=1e-12)


def test_lstm_zero_output_for_mask_and_default_state():
    rng = np.random.default_rng(8)
    N, Tn, I, H = 2, 4, 3, 2
    x, W, U = rnd(rng, N, Tn, I), rnd(rng, I, 4 * H), rnd(rng, H, 4 * H)
    mask = np.array([[True, False, True, False], [True, True, False, True]])
    z = np.zeros((N, H))
    outs, (hT, _) = np_run(lambda xt, h, c: np_lstm_cell(xt, h, c, W, U, 0.0), x, (z, z), mask, False, 2)
    o, h, _ = F.lstm(T(x), None, None, T(W), T(U), mask=mask, zero_output_for_mask=True)
    np.testing.assert_allclose(o.numpy(), np.where(mask[..., None], outs, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), hT, rtol=1e-10, atol=1e-12)  # the state is still carried


@pytest.mark.parametrize("reverse,masked", [(False, False), (True, True)])
def test_lstm_grad_fused(reverse, masked):
    rng = np.random.default_rng(9)
    N, Tn, I, H = 2, 4, 3, 2
    x, h0, c0 = rnd(rng, N, Tn, I), rnd(rng, N, H), rnd(rng, N, H)
    W, U, bi, bh = rnd(rng, I, 4 * H), rnd(rng, H, 4 * H), rnd(rng, 4 * H), rnd(rng, 4 * H)
    mask = _mask(rng, N, Tn) if masked else None

    def f(x, h0, c0, W, U, bi, bh):
        o, h, c = F.lstm(x, h0, c0, W, U, bi, bh, reverse=reverse, mask=mask)
        return ops.concatenate([ops.reshape(o, (-1,)), ops.reshape(h, (-1,)), ops.reshape(c, (-1,))], 0)

    assert_grad_close(f, x, h0, c0, W, U, bi, bh)


def test_lstm_fused_double_backward():
    rng = np.random.default_rng(10)
    N, Tn, I, H = 2, 3, 2, 2
    x, W, U = rnd(rng, N, Tn, I), rnd(rng, I, 4 * H), rnd(rng, H, 4 * H)
    g = grad_norm_fn(lambda x, W, U: F.lstm(x, None, None, W, U)[0])
    assert_grad_close(g, x, W, U, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("order,reset_after", [("zrh", True), ("zrh", False), ("rzn", True)])
@pytest.mark.parametrize("reverse,masked", [(False, False), (True, True), (False, True)])
def test_gru_sequence(order, reset_after, reverse, masked):
    rng = np.random.default_rng(11)
    N, Tn, I, H = 3, 5, 4, 3
    x, h0 = rnd(rng, N, Tn, I), rnd(rng, N, H)
    W, U, bi, bh = rnd(rng, I, 3 * H), rnd(rng, H, 3 * H), rnd(rng, 3 * H), rnd(rng, 3 * H)
    mask = _mask(rng, N, Tn) if masked else None
    outs, (hT,) = np_run(lambda xt, h: np_gru_cell(xt, h, W, U, bi, bh, reset_after, order), x, h0, mask, reverse)
    o, h = F.gru(T(x), T(h0), T(W), T(U), T(bi), T(bh), reset_after=reset_after, gate_order=order,
                 reverse=reverse, mask=mask)
    np.testing.assert_allclose(o.numpy(), outs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), hT, rtol=1e-10, atol=1e-12)


def test_gru_and_simple_rnn_grad():
    rng = np.random.default_rng(12)
    N, Tn, I, H = 2, 3, 2, 2
    x, h0 = rnd(rng, N, Tn, I), rnd(rng, N, H)
    mask = np.array([[True, False, True], [True, True, False]])
    W, U, bi, bh = rnd(rng, I, 3 * H), rnd(rng, H, 3 * H), rnd(rng, 3 * H), rnd(rng, 3 * H)
    assert_grad_close(lambda *a: F.gru(*a, mask=mask, reset_after=False)[0], x, h0, W, U, bi, bh)
    assert_grad_close(lambda x, h0, W, U, b: F.simple_rnn(x, h0, W, U, b, mask=mask, reverse=True)[0],
                      x, h0, rnd(rng, I, H), rnd(rng, H, H), rnd(rng, H))


def test_simple_rnn_sequence():
    rng = np.random.default_rng(13)
    N, Tn, I, H = 2, 4, 3, 3
    x, W, U, b = rnd(rng, N, Tn, I), rnd(rng, I, H), rnd(rng, H, H), rnd(rng, H)
    mask = _mask(rng, N, Tn)
    outs, (hT,) = np_run(lambda xt, h: np.maximum(xt @ W + h @ U + b, 0), x, np.zeros((N, H)), mask, False)
    o, h = F.simple_rnn(T(x), None, T(W.T.copy()), T(U.T.copy()), T(b), activation="relu", mask=mask,
                        weights_layout="oi")
    np.testing.assert_allclose(o.numpy(), outs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), hT, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(N=st.integers(1, 3), Tn=st.integers(1, 5), I=st.integers(1, 4), H=st.integers(1, 4), reverse=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_lstm_fused_matches_op_by_op_float32(N, Tn, I, H, reverse, seed):
    rng = np.random.default_rng(seed)
    x = rnd(rng, N, Tn, I).astype(np.float32)
    W, U, b = (rnd(rng, I, 4 * H).astype(np.float32), rnd(rng, H, 4 * H).astype(np.float32),
               rnd(rng, 4 * H).astype(np.float32))
    mask = rng.random((N, Tn)) > 0.3
    a = F.lstm(T(x), None, None, T(W), T(U), T(b), reverse=reverse, mask=mask)
    c = F.lstm(T(x), None, None, T(W), T(U), T(b), reverse=reverse, mask=mask, fused=False)
    for p, q in zip(a, c):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-5, atol=1e-6)


# -- attention --------------------------------------------------------------------------------------------

def np_softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_scaled_dot_product_attention():
    rng = np.random.default_rng(14)
    q, k, v = rnd(rng, 2, 3, 4), rnd(rng, 2, 5, 4), rnd(rng, 2, 5, 6)
    mask = rng.random((2, 3, 5)) > 0.3
    mask[..., 0] = True
    s = (q / 2.0) @ k.transpose(0, 2, 1) + np.where(mask, 0, -1e9)
    want_w = np_softmax(s)
    out, w = F.scaled_dot_product_attention(T(q), T(k), T(v), T(mask), return_weights=True)
    np.testing.assert_allclose(w.numpy(), want_w, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out.numpy(), want_w @ v, rtol=1e-10)
    assert_grad_close(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask), q, k, v)


def test_attention_dropout_uses_generator():
    rng = np.random.default_rng(15)
    q, k, v = (T(rnd(rng, 1, 4, 3)) for _ in range(3))
    a = F.scaled_dot_product_attention(q, k, v, dropout=0.5, generator=unidl.random.Generator(3), training=True)
    b = F.scaled_dot_product_attention(q, k, v, dropout=0.5, generator=unidl.random.Generator(3), training=True)
    c = F.scaled_dot_product_attention(q, k, v, dropout=0.5, training=False)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(c.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())


def test_multi_head_attention_keras_math():
    rng = np.random.default_rng(16)
    B, Tq, Tv, Dq, Dv, h, kd, vd, Do = 2, 3, 4, 5, 6, 2, 3, 2, 7
    query, value, key = rnd(rng, B, Tq, Dq), rnd(rng, B, Tv, Dv), rnd(rng, B, Tv, 4)
    wq, wk, wv, wo = rnd(rng, Dq, h, kd), rnd(rng, 4, h, kd), rnd(rng, Dv, h, vd), rnd(rng, h, vd, Do)
    bq, bk, bv, bo = rnd(rng, h, kd), rnd(rng, h, kd), rnd(rng, h, vd), rnd(rng, Do)
    mask = rng.random((B, Tq, Tv)) > 0.3
    mask[..., 0] = True
    # NumPy: per batch b and head j
    Q = np.einsum("btd,dhk->bthk", query, wq) + bq
    K = np.einsum("btd,dhk->bthk", key, wk) + bk
    V = np.einsum("btd,dhk->bthk", value, wv) + bv
    want = np.zeros((B, Tq, Do))
    causal = np.tril(np.ones((Tq, Tv), bool))
    want_c = np.zeros((B, Tq, Do))
    for bi in range(B):
        for j in range(h):
            s = (Q[bi, :, j] / np.sqrt(kd)) @ K[bi, :, j].T
            a = np_softmax(s + np.where(mask[bi], 0, -1e9))
            want[bi] += (a @ V[bi, :, j]) @ wo[j]
            a = np_softmax(s + np.where(mask[bi] & causal, 0, -1e9))
            want_c[bi] += (a @ V[bi, :, j]) @ wo[j]
    want += bo
    want_c += bo
    kw = dict(wq=T(wq), wk=T(wk), wv=T(wv), wo=T(wo), bq=T(bq), bk=T(bk), bv=T(bv), bo=T(bo), num_heads=h,
              key_dim=kd, value_dim=vd)
    got = F.multi_head_attention(T(query), T(value), T(key), attention_mask=mask, **kw)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    got_c = F.multi_head_attention(T(query), T(value), T(key), attention_mask=mask, use_causal_mask=True, **kw)
    np.testing.assert_allclose(got_c.numpy(), want_c, rtol=1e-10, atol=1e-12)

    def f(query, value, wq, wk, wv, wo):
        return F.multi_head_attention(query, value, wq=wq, wk=wk, wv=wv, wo=wo, num_heads=h, key_dim=kd)

    assert_grad_close(f, query[:1, :2], value[:1, :3, :Dq], wq, wq, rnd(rng, Dq, h, kd), rnd(rng, h, kd, 3))


def test_multi_head_attention_extra_leading_axes_and_scores():
    # (B, O, T, D): O is a batch axis (Keras folds non-attended axes there); each slice as its own batch
    rng = np.random.default_rng(17)
    B, O, Tq, Tv, D, h, kd = 2, 3, 4, 5, 6, 2, 3
    q, v = rnd(rng, B, O, Tq, D), rnd(rng, B, O, Tv, D)
    w = dict(wq=T(rnd(rng, D, h, kd)), wk=T(rnd(rng, D, h, kd)), wv=T(rnd(rng, D, h, kd)), wo=T(rnd(rng, h, kd, 4)),
             bq=T(rnd(rng, h, kd)), bk=T(rnd(rng, h, kd)), bv=T(rnd(rng, h, kd)), bo=T(rnd(rng, 4)),
             num_heads=h, key_dim=kd)
    mask = rng.random((B, O, Tq, Tv)) > 0.4
    out, sc = F.multi_head_attention(T(q), T(v), attention_mask=mask, return_attention_scores=True, **w)
    assert out.shape == (B, O, Tq, 4) and sc.shape == (B, O, h, Tq, Tv)
    for o in range(O):
        o1, s1 = F.multi_head_attention(T(q[:, o]), T(v[:, o]), attention_mask=mask[:, o],
                                        return_attention_scores=True, **w)
        np.testing.assert_allclose(out.numpy()[:, o], o1.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(sc.numpy()[:, o], s1.numpy(), rtol=1e-12, atol=1e-12)
    assert np.all(sc.numpy()[~np.broadcast_to(mask[:, :, None], sc.shape)] == 0)   # masked weights are 0
    np.testing.assert_allclose(sc.numpy().sum(-1)[mask.any(-1)[:, :, None].repeat(h, 2)], 1.0, rtol=1e-12)
    with pytest.raises(OpError, match=r"multi_head_attention.*bq must have shape \(2, 3\)"):
        F.multi_head_attention(T(q[:, 0]), T(v[:, 0]), **{**w, "bq": T(rnd(rng, 6))})


def test_bad_shapes_name_the_function():
    x = T(np.zeros((2, 3, 4)))
    with pytest.raises(OpError, match="lstm"):
        F.lstm(x, None, None, T(np.zeros((5, 8))), T(np.zeros((2, 8))))
    with pytest.raises(OpError, match="gate_order"):
        F.gru_cell(T(np.zeros((2, 4))), T(np.zeros((2, 2))), T(np.zeros((4, 6))), T(np.zeros((2, 6))),
                   gate_order="xyz")
    with pytest.raises(OpError, match="mask"):
        F.lstm(x, None, None, T(np.zeros((4, 8))), T(np.zeros((2, 8))), mask=np.ones((3, 2), bool))
