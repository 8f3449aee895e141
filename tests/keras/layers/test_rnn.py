"""Recurrent layers of the Keras frontend: RNN, SimpleRNN, LSTM, GRU, StackedRNNCells, Bidirectional,
TimeDistributed. Values are checked against NumPy loops written here (Keras's documented math)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close

L = keras.layers
RNG = np.random.default_rng(0)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# -- NumPy references (batch-first; mask True = real step; Keras carries state/output over masked steps) --

def np_loop(step, x, states, mask=None, go_backwards=False):
    n, t = x.shape[:2]
    order = range(t - 1, -1, -1) if go_backwards else range(t)
    outs, prev = [], np.zeros((n, states[0].shape[1]))
    for i in order:
        out, new = step(x[:, i], states)
        if mask is not None:
            m = mask[:, i][:, None]
            out = np.where(m, out, prev)
            new = [np.where(m, a, b) for a, b in zip(new, states)]
        outs.append(out)
        prev, states = out, new
    return np.stack(outs, 1), states  # outputs in processing order (Keras's go_backwards order)


def np_lstm(x, k, rk, b, h0=None, c0=None, mask=None, go_backwards=False, act=np.tanh, rec=_sig):
    n, u = x.shape[0], rk.shape[0]
    h0 = np.zeros((n, u)) if h0 is None else h0
    c0 = np.zeros((n, u)) if c0 is None else c0

    def step(xt, st):
        h, c = st
        z = xt @ k + h @ rk + b
        i, f, g, o = np.split(z, 4, axis=-1)
        c2 = rec(f) * c + rec(i) * act(g)
        h2 = rec(o) * act(c2)
        return h2, [h2, c2]

    return np_loop(step, x, [h0, c0], mask, go_backwards)


def np_gru(x, k, rk, b, h0=None, mask=None, go_backwards=False, reset_after=True):
    n, u = x.shape[0], rk.shape[0]
    h0 = np.zeros((n, u)) if h0 is None else h0

    def step(xt, st):
        h = st[0]
        bi, bh = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
        xz, xr, xh = np.split(xt @ k + bi, 3, axis=-1)
        if reset_after:
            rz, rr, rh = np.split(h @ rk + bh, 3, axis=-1)
            z, r = _sig(xz + rz), _sig(xr + rr)
            hh = np.tanh(xh + r * rh)
        else:
            z = _sig(xz + h @ rk[:, :u])
            r = _sig(xr + h @ rk[:, u:2 * u])
            hh = np.tanh(xh + (r * h) @ rk[:, 2 * u:])
        h2 = z * h + (1 - z) * hh
        return h2, [h2]

    return np_loop(step, x, [h0], mask, go_backwards)


def np_simple(x, k, rk, b, h0=None, mask=None, go_backwards=False, act=np.tanh):
    h0 = np.zeros((x.shape[0], rk.shape[0])) if h0 is None else h0

    def step(xt, st):
        h2 = act(xt @ k + st[0] @ rk + b)
        return h2, [h2]

    return np_loop(step, x, [h0], mask, go_backwards)


def _randomize(layer, scale=0.5):
    layer.set_weights([RNG.standard_normal(w.shape).astype(w.dtype) * scale for w in layer.weights])
    return [w.numpy().astype(np.float64) for w in layer.weights]


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


REFS = {"LSTM": np_lstm, "GRU": np_gru, "SimpleRNN": np_simple}


# -- shapes -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,n_states", [("LSTM", 2), ("GRU", 1), ("SimpleRNN", 1)])
@pytest.mark.parametrize("seq", [False, True])
@pytest.mark.parametrize("state", [False, True])
def test_output_shapes(cls, n_states, seq, state):
    layer = getattr(L, cls)(4, return_sequences=seq, return_state=state)
    out = layer(_x(2, 5, 3))
    want = (2, 5, 4) if seq else (2, 4)
    if state:
        assert len(out) == 1 + n_states
        assert out[0].shape == want and all(s.shape == (2, 4) for s in out[1:])
    else:
        assert out.shape == want


def test_weights_live_on_the_cell_in_keras_order():
    lstm, gru = L.LSTM(4), L.GRU(4)
    lstm(_x(2, 5, 3))
    gru(_x(2, 5, 3))
    assert [(w.name, w.shape) for w in lstm.weights] == [("kernel", (3, 16)), ("recurrent_kernel", (4, 16)),
                                                         ("bias", (16,))]
    assert lstm.cell.name == "lstm_cell" and gru.cell.name == "gru_cell"
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    g2 = L.GRU(4, reset_after=False)
    g2(_x(1, 2, 3))
    assert g2.weights[2].shape == (12,)
    # unit_forget_bias: forget-gate block of the bias starts at one
    np.testing.assert_array_equal(lstm.weights[2].numpy(), np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    # orthogonal recurrent kernel
    rk = lstm.weights[1].numpy()
    np.testing.assert_allclose(rk @ rk.T, np.eye(4), atol=1e-5)


# -- values against NumPy ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
def test_values_match_numpy(cls, go_backwards, use_mask):
    x = _x(3, 6, 4)
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0]], bool) if use_mask else None
    layer = getattr(L, cls)(5, return_sequences=True, return_state=True, go_backwards=go_backwards)
    layer(x[:, :2])
    w = _randomize(layer)
    out = layer(x, mask=None if mask is None else unidl.tensor(mask))
    ref_seq, ref_states = REFS[cls](x.astype(np.float64), *w, mask=mask, go_backwards=go_backwards)
    np.testing.assert_allclose(out[0].numpy(), ref_seq, rtol=1e-5, atol=1e-5)
    for got, ref in zip(out[1:], ref_states):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-5)
    last = getattr(L, cls).from_config({**layer.get_config(), "return_sequences": False, "return_state": False})
    last(x[:, :2])
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(last(x, mask=None if mask is None else unidl.tensor(mask)).numpy(), ref_seq[:, -1],
                               rtol=1e-5, atol=1e-5)


def test_gru_reset_before_matches_numpy():
    x = _x(2, 4, 3)
    layer = L.GRU(3, reset_after=False, return_sequences=True)
    layer(x)
    w = _randomize(layer)
    ref, _ = np_gru(x.astype(np.float64), *w, reset_after=False)
    np.testing.assert_allclose(layer(x).numpy(), ref, rtol=1e-5, atol=1e-5)


def test_lstm_custom_activations_use_the_step_loop():
    x = _x(2, 4, 3)
    layer = L.LSTM(3, activation="relu", recurrent_activation="tanh", return_sequences=True)
    layer(x)
    w = _randomize(layer)
    ref, _ = np_lstm(x.astype(np.float64), *w, act=lambda v: np.maximum(v, 0), rec=np.tanh)
    np.testing.assert_allclose(layer(x).numpy(), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "SimpleRNN"])
def test_initial_state(cls):
    x = _x(2, 4, 3)
    layer = getattr(L, cls)(5)
    layer(x)
    w = _randomize(layer)
    states = [_x(2, 5) for _ in range(2 if cls == "LSTM" else 1)]
    out = layer(x, initial_state=states)
    ref, _ = REFS[cls](x.astype(np.float64), *w, *[s.astype(np.float64) for s in states])
    np.testing.assert_allclose(out.numpy(), ref[:, -1], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"expects \d initial state"):
        layer(x, initial_state=states * 3)
    with pytest.raises(ValueError, match=r"initial_state\[0\] has shape \(2, 4\).*expected shape is \(2, 5\)"):
        layer(x, initial_state=[_x(2, 4) for _ in states])


def test_generic_rnn_over_cells_matches_the_fused_layers():
    x = _x(2, 5, 3)
    for layer_cls, cell_cls in ((L.LSTM, L.LSTMCell), (L.GRU, L.GRUCell), (L.SimpleRNN, L.SimpleRNNCell)):
        fused = layer_cls(4, return_sequences=True, go_backwards=True)
        generic = L.RNN(cell_cls(4), return_sequences=True, go_backwards=True)
        fused(x)
        generic(x)
        generic.set_weights(fused.get_weights())
        np.testing.assert_allclose(generic(x).numpy(), fused(x).numpy(), rtol=1e-5, atol=1e-6)


def test_stacked_cells_equal_stacked_layers():
    x = _x(2, 5, 3)
    rnn = L.RNN([L.LSTMCell(4), L.GRUCell(2)], return_state=True)
    out = rnn(x)
    assert len(out) == 4 and [s.shape for s in out[1:]] == [(2, 4), (2, 4), (2, 2)]
    assert isinstance(rnn.cell, L.StackedRNNCells) and rnn.cell.state_size == [4, 4, 2]
    a, b = L.LSTM(4, return_sequences=True), L.GRU(2)
    a(x)
    b(a(x))
    a.set_weights(rnn.get_weights()[:3])
    b.set_weights(rnn.get_weights()[3:])
    np.testing.assert_allclose(out[0].numpy(), b(a(x)).numpy(), rtol=1e-5, atol=1e-6)


class _MinimalCell(L.Layer):
    """A user cell as in Keras's docs: states arrive as a list."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.built = True

    def call(self, inputs, states):
        out = unidl.ops.tanh(unidl.ops.add(unidl.ops.matmul(inputs, self.kernel), states[0]))
        return out, [out]


def test_user_defined_cell():
    x = _x(2, 3, 4)
    layer = L.RNN(_MinimalCell(2), return_sequences=True)
    out = layer(x)
    k = layer.weights[0].numpy()
    h, ref = np.zeros((2, 2)), []
    for t in range(3):
        h = np.tanh(x[:, t] @ k + h)
        ref.append(h)
    np.testing.assert_allclose(out.numpy(), np.stack(ref, 1), rtol=1e-5, atol=1e-6)


# -- dropout, stateful -------------------------------------------------------------------------------------

def test_dropout_only_in_training():
    x = _x(4, 5, 3)
    for kw in ({"dropout": 0.5}, {"recurrent_dropout": 0.5}):
        layer = L.LSTM(4, seed=1, **kw)
        ref = layer(x).numpy()
        np.testing.assert_array_equal(layer(x, training=False).numpy(), ref)
        assert not np.allclose(layer(x, training=True).numpy(), ref)
    with pytest.raises(ValueError, match="dropout.*range"):
        L.SimpleRNN(2, dropout=1.5)


def test_stateful_carries_states_between_calls():
    x = _x(2, 6, 3)
    layer = L.GRU(4, stateful=True)
    layer(x[:, :3])
    layer.reset_states()
    first = layer(x[:, :3])
    second = layer(x[:, 3:])
    plain = L.GRU(4)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(second.numpy(), plain(x).numpy(), rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :3]).numpy(), first.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="stateful=True.*batch size must be static"):
        L.LSTM(2, stateful=True)(keras.Input((3, 4)))


# -- gradients ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: L.LSTM(3, return_sequences=True, dtype="float64"),
                                  lambda: L.GRU(3, go_backwards=True, dtype="float64"),
                                  lambda: L.SimpleRNN(3, return_sequences=True, dtype="float64"),
                                  lambda: L.LSTM(2, activation="relu", dtype="float64")])
def test_gradient_wrt_inputs(make):
    layer = make()
    x = RNG.standard_normal((2, 3, 2))
    layer(unidl.tensor(x))
    _randomize(layer)
    assert_grad_close(lambda t: layer(t), x, rtol=1e-4, atol=1e-6)


def test_gradient_wrt_weights_matches_numeric():
    layer = L.LSTM(2, dtype="float64")
    x = unidl.tensor(RNG.standard_normal((2, 3, 2)))
    layer(x)
    w0 = _randomize(layer)

    def f(k, rk, b):
        for v, val in zip(layer.weights, (k, rk, b)):
            v.assign(val)
        return layer(x)

    with unidl.record():
        out = layer(x)
    g = np.asarray(RNG.standard_normal(out.shape))
    out.backward(unidl.tensor(g))
    got = [v.grad.numpy() for v in layer.weights]
    eps = 1e-6
    for i in range(3):
        num = np.zeros_like(w0[i])
        for j in range(w0[i].size):
            ws = [w.copy() for w in w0]
            ws[i].flat[j] += eps
            fp = (f(*ws).numpy() * g).sum()
            ws[i].flat[j] -= 2 * eps
            fm = (f(*ws).numpy() * g).sum()
            num.flat[j] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(got[i], num, rtol=1e-4, atol=1e-6)


# -- masks from Embedding(mask_zero=True) ------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["LSTM", "GRU", "SimpleRNN"])
def test_embedding_mask_is_honoured(cls):
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 0]])
    model = keras.Sequential([keras.Input((None,), dtype="int32"), L.Embedding(10, 3, mask_zero=True),
                              getattr(L, cls)(4)])
    out = model(ids).numpy()
    emb, rnn = model.layers
    for i, n in enumerate((3, 4)):  # the padded positions change nothing
        np.testing.assert_allclose(out[i], rnn(emb(ids[i:i + 1, :n])).numpy()[0], rtol=1e-5, atol=1e-6)


def test_mask_of_return_sequences_propagates():
    ids = np.array([[3, 1, 0, 0]])
    emb = L.Embedding(10, 3, mask_zero=True)
    seq = L.LSTM(2, return_sequences=True)(emb(ids))
    from unidl_keras.backend.masks import get_mask

    np.testing.assert_array_equal(get_mask(seq).numpy(), [[True, True, False, False]])
    assert get_mask(L.LSTM(2)(emb(ids))) is None


# -- models ------------------------------------------------------------------------------------------------

def test_three_layer_stacked_lstm_sequential():
    model = keras.Sequential([keras.Input((None, 8)), L.LSTM(16, return_sequences=True),
                              L.LSTM(16, return_sequences=True), L.LSTM(8), L.Dense(3)])
    assert model.output_shape == (None, 3)
    out = model(_x(2, 7, 8))
    assert out.shape == (2, 3) and np.isfinite(out.numpy()).all()
    assert len(model.weights) == 3 * 3 + 2


def test_functional_model_with_none_time_and_return_state():
    inp = keras.Input((None, 3))
    seq, h, c = L.LSTM(4, return_sequences=True, return_state=True)(inp)
    bi = L.Bidirectional(L.GRU(2, return_sequences=True))(seq)
    td = L.TimeDistributed(L.Dense(5))(bi)
    assert seq.shape == (None, None, 4) and h.shape == (None, 4) and c.shape == (None, 4)
    assert bi.shape == (None, None, 4) and td.shape == (None, None, 5)
    model = keras.Model(inp, [td, h])
    y, hv = model(_x(2, 6, 3))
    assert y.shape == (2, 6, 5) and hv.shape == (2, 4)


# -- Bidirectional -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(mode):
    x = _x(2, 5, 3)
    layer = L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode=mode)
    layer(x)
    w = _randomize(layer)
    fw, _ = np_lstm(x.astype(np.float64), *w[:3])
    bw, _ = np_lstm(x.astype(np.float64), *w[3:], go_backwards=True)
    bw = bw[:, ::-1]
    ref = {"concat": lambda: np.concatenate([fw, bw], -1), "sum": lambda: fw + bw, "mul": lambda: fw * bw,
           "ave": lambda: (fw + bw) / 2, None: lambda: [fw, bw]}[mode]()
    out = layer(x)
    if mode is None:
        for o, r in zip(out, ref):
            np.testing.assert_allclose(o.numpy(), r, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_bidirectional_weights_states_and_config():
    layer = L.Bidirectional(L.GRU(3, return_state=True), name="bi")
    out = layer(_x(2, 4, 2))
    assert [o.shape for o in out] == [(2, 6), (2, 3), (2, 3)]
    assert layer.forward_layer.name.startswith("forward_") and layer.backward_layer.name.startswith("backward_")
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.weights[:3] == layer.forward_layer.weights and layer.weights[3:] == layer.backward_layer.weights
    cfg = layer.get_config()
    assert cfg["merge_mode"] == "concat" and cfg["layer"]["class_name"] == "GRU"
    clone = L.Bidirectional.from_config(cfg)
    clone(_x(2, 4, 2))
    assert clone.get_config() == cfg
    clone.set_weights(layer.get_weights())
    x = _x(2, 4, 2)
    for a, b in zip(clone(x), layer(x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_bidirectional_masked_steps_output_zeros():
    ids = np.array([[3, 1, 0]])
    emb = L.Embedding(10, 3, mask_zero=True)
    out = L.Bidirectional(L.SimpleRNN(2, return_sequences=True))(emb(ids)).numpy()
    np.testing.assert_array_equal(out[0, 2], 0.0)
    assert np.abs(out[0, :2]).sum() > 0


def test_bidirectional_errors():
    with pytest.raises(ValueError, match="Invalid merge mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="x")
    with pytest.raises(ValueError, match="initialize `Bidirectional` layer with a `keras.layers.Layer`"):
        L.Bidirectional(3)
    with pytest.raises(ValueError, match="different `go_backwards`"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))
    with pytest.raises(ValueError, match="same value for attribute `return_sequences`"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2, go_backwards=True, return_sequences=True))


# -- TimeDistributed ---------------------------------------------------------------------------------------

def test_time_distributed_applies_per_step():
    x = _x(2, 4, 3)
    td = L.TimeDistributed(L.Dense(5))
    out = td(x)
    k, b = (w.numpy() for w in td.weights)
    np.testing.assert_allclose(out.numpy(), x @ k + b, rtol=1e-5, atol=1e-6)
    cfg = td.get_config()
    assert cfg["layer"]["class_name"] == "Dense"
    assert L.TimeDistributed.from_config(cfg).get_config()["layer"]["config"]["units"] == 5
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        L.TimeDistributed(L.Dense(2))(_x(2, 3))
    with pytest.raises(ValueError, match="initialize `TimeDistributed` layer"):
        L.TimeDistributed("dense")


# -- config round trips and errors -------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: L.LSTM(3, return_sequences=True, go_backwards=True, dropout=0.1),
                                  lambda: L.GRU(3, reset_after=False, return_state=True),
                                  lambda: L.SimpleRNN(3, activation="relu", stateful=False),
                                  lambda: L.RNN(L.LSTMCell(3), return_sequences=True),
                                  lambda: L.RNN([L.SimpleRNNCell(2), L.GRUCell(3)])])
def test_config_round_trip(make):
    layer = make()
    layer(_x(2, 4, 3))
    cfg = layer.get_config()
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    clone(_x(2, 4, 3))
    clone.set_weights(layer.get_weights())
    x = _x(2, 4, 3)
    a, b = clone(x), layer(x)
    for u, v in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
        np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-6)


def test_lstm_config_keys_match_keras():
    keys = {"name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
            "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
            "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
            "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
            "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"}
    assert set(L.LSTM(2).get_config()) == keys
    assert L.LSTM(2).get_config()["recurrent_initializer"]["class_name"] == "Orthogonal"


def test_errors():
    with pytest.raises(ValueError, match="invalid value for argument `units`.*got 0"):
        L.LSTM(0)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2. Full shape received: \\(2, 3\\)"):
        L.LSTM(2)(_x(2, 3))
    with pytest.raises(ValueError, match="`cell` should have a `call` method"):
        L.RNN(3)
    with pytest.raises(ValueError, match="mask has shape \\(2, 4\\).*expected shape is \\(2, 5\\)"):
        L.GRU(2)(_x(2, 5, 3), mask=unidl.tensor(np.ones((2, 4), bool)))
