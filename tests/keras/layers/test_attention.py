"""Attention layers of the Keras frontend (MultiHeadAttention, Attention, AdditiveAttention) and
EinsumDense, checked against NumPy written here."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close

L = keras.layers
RNG = np.random.default_rng(1)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _softmax(s, mask=None):
    if mask is not None:
        s = np.where(mask, s, -1e9)
    e = np.exp(s - s.max(-1, keepdims=True))
    w = e / e.sum(-1, keepdims=True)
    return w if mask is None else np.where(mask, w, 0.0)


def _randomize(layer):
    layer.set_weights([RNG.standard_normal(w.shape).astype(w.dtype) * 0.5 for w in layer.weights])
    return [w.numpy().astype(np.float64) for w in layer.weights]


def np_mha(q, v, k, w, key_dim, mask=None, causal=False):
    wq, bq, wk, bk, wv, bv, wo, bo = w
    Q = np.einsum("btd,dhk->bthk", q, wq) + bq
    K = np.einsum("bsd,dhk->bshk", k, wk) + bk
    V = np.einsum("bsd,dhk->bshk", v, wv) + bv
    s = np.einsum("bthk,bshk->bhts", Q / np.sqrt(key_dim), K)
    m = None if mask is None else mask[:, None]
    if causal:
        c = np.tril(np.ones((q.shape[1], v.shape[1]), bool))
        m = c if m is None else m & c
    a = _softmax(s, m)
    ctx = np.einsum("bhts,bshk->bthk", a, V)
    return np.einsum("bthk,hko->bto", ctx, wo) + bo, a


# -- MultiHeadAttention ------------------------------------------------------------------------------------

def test_mha_shapes_and_weights():
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    out, scores = mha(_x(2, 5, 4), _x(2, 7, 6), return_attention_scores=True)
    assert out.shape == (2, 5, 4) and scores.shape == (2, 2, 5, 7)
    # real Keras 3.15.1: the projections, then the Softmax and Dropout of the attention, then the output
    # (Softmax/Dropout take auto names: "softmax", "dropout" in a fresh session)
    assert [(type(d).__name__, d.name.split("_")[0] if type(d).__name__ != "EinsumDense" else d.name)
            for d in mha._layers] == [("EinsumDense", "query"), ("EinsumDense", "key"), ("EinsumDense", "value"),
                                      ("Softmax", "softmax"), ("Dropout", "dropout"),
                                      ("EinsumDense", "attention_output")]
    assert [w.shape for w in mha.weights] == [(4, 2, 3), (2, 3), (6, 2, 3), (2, 3), (6, 2, 3), (2, 3), (2, 3, 4),
                                              (4,)]
    assert mha.attention_axes == (1,)
    mha2 = L.MultiHeadAttention(2, 3, value_dim=5, output_shape=(2, 3), use_bias=False)
    assert mha2(_x(2, 5, 4), _x(2, 7, 6)).shape == (2, 5, 2, 3)
    assert [w.shape for w in mha2.weights] == [(4, 2, 3), (6, 2, 3), (6, 2, 5), (2, 5, 2, 3)]


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
def test_mha_matches_numpy(causal, use_mask):
    q, v, k = _x(2, 5, 4), _x(2, 5, 6), _x(2, 5, 3)
    mask = RNG.random((2, 5, 5)) > 0.4 if use_mask else None
    if use_mask:
        mask[0, 1] = False  # a query position with nothing to attend to
    mha = L.MultiHeadAttention(2, 3, value_dim=4, output_shape=7)
    mha(q, v, k)
    w = _randomize(mha)
    out, scores = mha(q, v, k, attention_mask=mask, use_causal_mask=causal, return_attention_scores=True)
    ref, ref_a = np_mha(q.astype(np.float64), v, k, w, 3, mask=mask, causal=causal)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), ref_a, rtol=1e-5, atol=1e-6)


def test_mha_uses_the_embedding_masks():
    ids = np.array([[3, 1, 4, 0], [2, 0, 0, 0]])
    emb = L.Embedding(10, 4, mask_zero=True)
    x = emb(ids)
    mha = L.MultiHeadAttention(2, 2)
    mha(x, x)
    w = _randomize(mha)
    m = ids != 0
    ref, _ = np_mha(x.numpy().astype(np.float64), x.numpy(), x.numpy(), w, 2, mask=m[:, :, None] & m[:, None, :])
    np.testing.assert_allclose(mha(x, x).numpy(), ref, rtol=1e-5, atol=1e-5)


def test_mha_attention_axes_on_rank4():
    x = _x(2, 3, 4, 5)
    mha = L.MultiHeadAttention(2, 3, attention_axes=(2,))
    out, scores = mha(x, x, return_attention_scores=True)
    assert out.shape == (2, 3, 4, 5) and scores.shape == (2, 3, 2, 4, 4)
    w = [v.numpy().astype(np.float64) for v in mha.weights]
    for i in range(3):  # attention over axis 2 only: each slice of axis 1 is independent
        ref, ref_a = np_mha(x[:, i].astype(np.float64), x[:, i], x[:, i], w, 3)
        np.testing.assert_allclose(out.numpy()[:, i], ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(scores.numpy()[:, i], ref_a, rtol=1e-5, atol=1e-6)
    out, scores = L.MultiHeadAttention(2, 3)(x, x, return_attention_scores=True)
    assert out.shape == (2, 3, 4, 5) and scores.shape == (2, 2, 3, 4, 3, 4)


def test_mha_dropout_only_in_training():
    q = _x(2, 4, 3)
    mha = L.MultiHeadAttention(2, 2, dropout=0.5, seed=3)
    ref = mha(q, q).numpy()
    np.testing.assert_array_equal(mha(q, q, training=False).numpy(), ref)
    assert not np.allclose(mha(q, q, training=True).numpy(), ref)


def test_mha_gradient():
    mha = L.MultiHeadAttention(2, 2, dtype="float64")
    q, v = RNG.standard_normal((1, 3, 2)), RNG.standard_normal((1, 2, 2))
    mha(unidl.tensor(q), unidl.tensor(v))
    _randomize(mha)
    assert_grad_close(lambda a, b: mha(a, b), q, v, rtol=1e-4, atol=1e-6)


def test_mha_in_functional_model_and_config():
    inp = keras.Input((None, 8))
    out, scores = L.MultiHeadAttention(2, 4, name="att")(inp, inp, return_attention_scores=True)
    assert out.shape == (None, None, 8) and scores.shape == (None, 2, None, None)
    model = keras.Model(inp, L.Dense(1)(out))
    assert model(_x(3, 6, 8)).shape == (3, 6, 1)
    mha = model.get_layer("att") if hasattr(model, "get_layer") else model.layers[1]
    cfg = mha.get_config()
    assert cfg["num_heads"] == 2 and cfg["key_dim"] == 4 and cfg["value_dim"] == 4 and cfg["output_shape"] is None
    clone = L.MultiHeadAttention.from_config(cfg)
    assert clone.get_config() == cfg


def test_mha_errors():
    with pytest.raises(TypeError):
        L.MultiHeadAttention(2, 3)(_x(2, 3, 4))
    with pytest.raises(ValueError, match="`num_heads`.*positive integer"):
        L.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="same rank"):
        L.MultiHeadAttention(2, 3)(_x(2, 3, 4), _x(2, 3, 2, 4))
    mha = L.MultiHeadAttention(2, 3)
    mha(_x(2, 3, 4), _x(2, 5, 4))
    with pytest.raises(ValueError, match="built for query of shape .*received query of shape \\(2, 3, 6\\)"):
        mha(_x(2, 3, 6), _x(2, 5, 4))
    with pytest.raises(ValueError, match="All dimensions of `value` and `key`, except the last one, must be equal"):
        mha(_x(2, 3, 4), _x(2, 5, 4), _x(2, 4, 4))


# -- Attention / AdditiveAttention -------------------------------------------------------------------------

def np_attention(q, v, k, scores_fn, q_mask=None, v_mask=None, causal=False):
    s = scores_fn(q, k)
    m = None if v_mask is None else np.broadcast_to(v_mask[:, None, :], s.shape)
    if causal:
        c = np.tril(np.ones(s.shape[-2:], bool))
        m = c if m is None else m & c
    if m is not None:
        s = s - 1e9 * (~m)
    e = np.exp(s - s.max(-1, keepdims=True))
    w = e / e.sum(-1, keepdims=True)
    out = w @ v
    if q_mask is not None:
        out = out * q_mask[..., None]
    return out, w


@pytest.mark.parametrize("kind", ["dot", "dot_scale", "concat", "additive", "additive_noscale"])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_layers_match_numpy(kind, masked):
    q, v, k = _x(2, 5, 3), _x(2, 4, 6), _x(2, 4, 3)
    layer = {"dot": lambda: L.Attention(), "dot_scale": lambda: L.Attention(use_scale=True),
             "concat": lambda: L.Attention(use_scale=True, score_mode="concat"),
             "additive": lambda: L.AdditiveAttention(), "additive_noscale": lambda: L.AdditiveAttention(False)}[kind]()
    layer([q, v, k])
    w = _randomize(layer) if layer.weights else []
    if kind.startswith("dot"):
        fn = lambda a, b: (a @ b.transpose(0, 2, 1)) * (w[0] if w else 1.0)  # noqa: E731
    elif kind == "concat":
        fn = lambda a, b: w[1] * np.tanh(w[0] * (a[:, :, None] + b[:, None])).sum(-1)  # noqa: E731
    else:
        fn = lambda a, b: ((w[0] if w else 1.0) * np.tanh(a[:, :, None] + b[:, None])).sum(-1)  # noqa: E731
    q_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool) if masked else None
    v_mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool) if masked else None
    kw = {"mask": [q_mask, v_mask]} if masked else {}
    out, weights = layer([q, v, k], return_attention_scores=True, **kw)
    ref, ref_w = np_attention(q.astype(np.float64), v, k, fn, q_mask, v_mask)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(weights.numpy(), ref_w, rtol=1e-5, atol=1e-6)
    out = layer([q, q], use_causal_mask=True)
    np.testing.assert_allclose(out.numpy(), np_attention(q.astype(np.float64), q, q, fn, causal=True)[0],
                               rtol=1e-5, atol=1e-5)


def test_attention_masks_from_embedding_and_output_mask():
    ids = np.array([[3, 1, 0], [2, 5, 6]])
    emb = L.Embedding(10, 4, mask_zero=True)
    x = emb(ids)
    out = L.Attention()([x, x])
    np.testing.assert_array_equal(out.numpy()[0, 2], 0.0)
    from unidl_keras.backend.masks import get_mask

    np.testing.assert_array_equal(get_mask(out).numpy(), ids != 0)


def test_attention_gradient_and_functional():
    layer = L.AdditiveAttention(dtype="float64")
    q, v = RNG.standard_normal((1, 3, 2)), RNG.standard_normal((1, 2, 2))
    layer([unidl.tensor(q), unidl.tensor(v)])
    assert_grad_close(lambda a, b: layer([a, b]), q, v, rtol=1e-4, atol=1e-6)
    qi, vi = keras.Input((None, 4)), keras.Input((None, 4))
    out = L.Attention(use_scale=True)([qi, vi])
    assert out.shape == (None, None, 4)
    model = keras.Model([qi, vi], out)
    assert model([_x(2, 3, 4), _x(2, 5, 4)]).shape == (2, 3, 4)


def test_attention_config_and_errors():
    cfg = L.Attention(use_scale=True, score_mode="concat", dropout=0.1).get_config()
    assert {k: cfg[k] for k in ("use_scale", "score_mode", "dropout", "seed")} == {
        "use_scale": True, "score_mode": "concat", "dropout": 0.1, "seed": None}
    assert L.Attention.from_config(cfg).get_config() == cfg
    acfg = L.AdditiveAttention(use_scale=False).get_config()
    assert "score_mode" not in acfg and L.AdditiveAttention.from_config(acfg).get_config() == acfg
    with pytest.raises(ValueError, match="must be called on a list of inputs, namely \\[query, value\\]"):
        L.Attention()(_x(2, 3, 4))
    with pytest.raises(ValueError, match="Invalid value for argument score_mode"):
        L.Attention(score_mode="bad")
    with pytest.raises(ValueError, match="mask must be a list"):
        L.Attention()([_x(2, 3, 4), _x(2, 3, 4)], mask=np.ones((2, 3), bool))


# -- EinsumDense -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("eq,out_shape,bias_axes,in_shape,kernel,bias,out", [
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,), (2, 4)),
    ("abc,cd->abd", (None, 7), "d", (2, 5, 3), (3, 7), (7,), (2, 5, 7)),
    ("abc,cde->abde", (None, 2, 4), "de", (2, 5, 3), (3, 2, 4), (2, 4), (2, 5, 2, 4)),
    ("abc,cde->abde", (None, 2, 4), "d", (2, 5, 3), (3, 2, 4), (2, 1), (2, 5, 2, 4)),
    ("abcd,cde->abe", (None, 6), "e", (2, 5, 2, 4), (2, 4, 6), (6,), (2, 5, 6)),
    ("...b,bc->...c", 7, "c", (2, 5, 3), (3, 7), (7,), (2, 5, 7)),
    ("ab...,bc->ac...", (7,), "c", (2, 3, 4, 5), (3, 7), (7, 1, 1), (2, 7, 4, 5)),
])
def test_einsum_dense(eq, out_shape, bias_axes, in_shape, kernel, bias, out):
    layer = L.EinsumDense(eq, output_shape=out_shape, bias_axes=bias_axes)
    x = _x(*in_shape)
    y = layer(x)
    assert layer.kernel.shape == kernel and layer.bias.shape == bias and y.shape == out
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    b = b + 0.5
    layer.bias.assign(b)
    np.testing.assert_allclose(layer(x).numpy(), np.einsum(eq, x, k) + b, rtol=1e-5, atol=1e-5)
    cfg = layer.get_config()
    assert L.EinsumDense.from_config(cfg).get_config() == cfg


def test_einsum_dense_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation 'ab->b'"):
        L.EinsumDense("ab->b", output_shape=3)(_x(2, 3))
    with pytest.raises(ValueError, match="Bias dimension 'x' was requested"):
        L.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="x")(_x(2, 3))
    with pytest.raises(ValueError, match="Weight dimension 'z' did not have a match"):
        L.EinsumDense("ab,bz->ab", output_shape=3)(_x(2, 3))


def test_fully_masked_query_rows_follow_keras():
    """A query row that may attend to nothing: MultiHeadAttention (Keras's masked Softmax) gives zero
    weights, so the output is the output bias; Attention (scores - 1e9) gives a uniform row."""
    q, v = _x(2, 3, 4), _x(2, 2, 4)
    mask = np.array([[[1, 0], [0, 0], [1, 1]], [[0, 0], [0, 0], [0, 1]]], bool)
    mha = L.MultiHeadAttention(2, 3)
    mha(q, v)
    w = _randomize(mha)
    out, scores = mha(q, v, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_array_equal(scores.numpy()[0, :, 1], 0.0)
    np.testing.assert_array_equal(scores.numpy()[1, :, :2], 0.0)
    np.testing.assert_allclose(out.numpy()[0, 1], w[7], rtol=1e-6)  # the output bias alone
    ref, ref_a = np_mha(q.astype(np.float64), v, v, w, 3, mask=mask)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)
    # no gradient flows into a query row that attends to nothing
    qt = unidl.tensor(q)
    qt.requires_grad = True
    with unidl.autograd.record():
        y = mha(qt, v, attention_mask=mask)
    y.backward(unidl.ones_like(y))
    g = qt.grad.numpy()
    assert np.all(np.isfinite(g)) and np.all(g[0, 1] == 0) and np.any(g[0, 2] != 0)

    a_out, a_w = L.Attention()([q, v], mask=[None, np.array([[0, 0], [1, 0]], bool)],
                               return_attention_scores=True)
    np.testing.assert_allclose(a_w.numpy()[0], 0.5, rtol=1e-6)
    np.testing.assert_allclose(a_out.numpy()[0], np.broadcast_to(v[0].mean(0), (3, 4)), rtol=1e-5, atol=1e-6)


def test_softmax_layer_with_array_mask_and_fully_masked_row():
    x = _x(2, 3)
    for mask in (np.array([[1, 0, 1], [0, 0, 0]], bool), np.array([[0.9, 0.2, 1.0], [0.0, 0.5, 0.1]], "float32")):
        out = L.Softmax()(x, mask=mask).numpy()
        np.testing.assert_allclose(out, _softmax(x.astype(np.float64), np.asarray(mask) > 0.5), rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(out[1], 0.0)
