"""gluon.rnn: RNN/LSTM/GRU layers and cells — shapes, values against a NumPy loop written here, gradients
against finite differences, MXNet's names, files, errors, and fixtures written by the real MXNet 1.9.1
(tests/mxnet/data/make_rnn_fixtures.py)."""
from __future__ import annotations

import os

import numpy as np
import pytest

import unidl
import unidl_mxnet as mx
from unidl.testing.gradcheck import assert_grad_close
from unidl_mxnet import autograd, nd
from unidl_mxnet.base import MXNetError
from unidl_mxnet.gluon import rnn
from unidl_mxnet.ndarray.ndarray import wrap

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


@pytest.fixture(autouse=True)
def _fresh_names(monkeypatch):
    from unidl_mxnet.gluon import block

    monkeypatch.setattr(block, "_global_counter", {})


# -- a NumPy reference, written from the equations in MXNet's documentation ----------------------------

def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_step(mode, x, h, c, wi, wh, bi, bh):
    """One step with Gluon's (G*H, C) weights. Returns (h', c')."""
    if mode == "lstm":
        i, f, g, o = np.split(x @ wi.T + bi + h @ wh.T + bh, 4, axis=-1)
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        return _sig(o) * np.tanh(c), c
    if mode == "gru":
        xr, xz, xn = np.split(x @ wi.T + bi, 3, axis=-1)
        hr, hz, hn = np.split(h @ wh.T + bh, 3, axis=-1)
        r, z = _sig(xr + hr), _sig(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    a = x @ wi.T + bi + h @ wh.T + bh
    return (np.tanh(a) if mode == "rnn_tanh" else np.maximum(a, 0)), None


def np_layer(mode, x, h0, c0, p, num_layers, dirs):
    """x (T, N, C); h0, c0 (L*D, N, H); p: local param name -> array. Returns out (T, N, D*H), hT, cT."""
    T = x.shape[0]
    hs, cs = [], []
    for i in range(num_layers):
        outs = []
        for d in range(dirs):
            j, k = "lr"[d], i * dirs + d
            h, c = h0[k], (c0[k] if c0 is not None else None)
            ys = [None] * T
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                h, c = np_step(mode, x[t], h, c, *(p[f"{j}{i}_{n}"] for n in
                                                   ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")))
                ys[t] = h
            outs.append(np.stack(ys))
            hs.append(h)
            cs.append(c)
        x = np.concatenate(outs, axis=-1)
    return x, np.stack(hs), (np.stack(cs) if c0 is not None else None)


def make_layer(mode, hidden=5, **kw):
    if mode.startswith("rnn"):
        return rnn.RNN(hidden, activation=mode[4:], **kw)
    return {"lstm": rnn.LSTM, "gru": rnn.GRU}[mode](hidden, **kw)


def randomize(block, rng, scale=0.5):
    """Set every parameter to uniform draws; returns {local name: array}."""
    out = {}
    for name, p in block._reg_params.items():
        v = rng.uniform(-scale, scale, p.shape).astype(np.float32)
        p.set_data(nd.array(v))
        out[name] = v
    return out


# -- layers: shapes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("layout,num_layers,bidirectional", [("TNC", 1, False), ("NTC", 2, True),
                                                              ("TNC", 3, True), ("NTC", 1, False)])
def test_layer_output_and_state_shapes(mode, layout, num_layers, bidirectional):
    layer = make_layer(mode, 4, num_layers=num_layers, layout=layout, bidirectional=bidirectional)
    layer.initialize()
    T, N, C, D = 6, 3, 2, 2 if bidirectional else 1
    x = nd.ones((T, N, C) if layout == "TNC" else (N, T, C))
    out = layer(x)
    assert isinstance(out, nd.NDArray)
    assert out.shape == ((T, N, 4 * D) if layout == "TNC" else (N, T, 4 * D))
    states = layer.begin_state(N)
    assert [s.shape for s in states] == [(num_layers * D, N, 4)] * (2 if mode == "lstm" else 1)
    out2, new = layer(x, states)
    assert out2.shape == out.shape and isinstance(new, list)
    assert [s.shape for s in new] == [s.shape for s in states]
    np.testing.assert_allclose(out2.asnumpy(), out.asnumpy(), rtol=1e-6)  # zero states == no states


def test_single_array_state_is_accepted_for_rnn_and_gru():
    layer = rnn.GRU(3, input_size=2)
    layer.initialize()
    out, new = layer(nd.ones((4, 2, 2)), nd.zeros((1, 2, 3)))
    assert out.shape == (4, 2, 3) and len(new) == 1 and new[0].shape == (1, 2, 3)


# -- layers: values -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["rnn_relu", "rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("layout,num_layers,bidirectional", [("TNC", 1, False), ("NTC", 2, True),
                                                              ("TNC", 2, False)])
def test_layer_matches_numpy_loop(mode, layout, num_layers, bidirectional):
    rng = np.random.RandomState(1)
    T, N, C, H, D = 4, 2, 3, 5, 2 if bidirectional else 1
    layer = make_layer(mode, H, num_layers=num_layers, layout=layout, bidirectional=bidirectional, input_size=C)
    layer.initialize()
    p = randomize(layer, rng)
    x = rng.uniform(-1, 1, (T, N, C)).astype(np.float32)
    h0 = rng.uniform(-1, 1, (num_layers * D, N, H)).astype(np.float32)
    c0 = rng.uniform(-1, 1, h0.shape).astype(np.float32) if mode == "lstm" else None
    want, hT, cT = np_layer(mode, x, h0, c0, p, num_layers, D)
    xin = x if layout == "TNC" else x.transpose(1, 0, 2)
    states = [nd.array(h0)] + ([nd.array(c0)] if c0 is not None else [])
    out, new = layer(nd.array(xin), states)
    got = out.asnumpy() if layout == "TNC" else out.asnumpy().transpose(1, 0, 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new[0].asnumpy(), hT, rtol=1e-5, atol=1e-6)
    if mode == "lstm":
        np.testing.assert_allclose(new[1].asnumpy(), cT, rtol=1e-5, atol=1e-6)


def _layer_fn(layer, names):
    """fn(x, *params) -> output, running the layer's math on the given tensors (float64 for gradcheck)."""
    def fn(x, *ws):
        params = {n: wrap(w) for n, w in zip(names, ws)}
        N = x.shape[1]
        shape = (layer._num_layers * layer._dir, N, layer._hidden_size)
        states = [nd.zeros(shape, dtype="float64") for _ in layer.state_info()]
        states = [wrap(unidl.ops.add(s._t, 0.3)) for s in states]
        out, _ = layer.hybrid_forward(nd, wrap(x), states, **params)
        return out._t
    return fn


@pytest.mark.parametrize("mode,bidirectional", [("lstm", True), ("gru", False), ("rnn_tanh", True)])
def test_layer_gradients_match_finite_differences(mode, bidirectional):
    rng = np.random.RandomState(2)
    layer = make_layer(mode, 2, num_layers=2, bidirectional=bidirectional, input_size=2)
    names = list(layer._reg_params)
    shapes = [layer._reg_params[n].shape for n in names]
    x = rng.uniform(-1, 1, (3, 2, 2))
    ws = [rng.uniform(-0.6, 0.6, s) for s in shapes]
    wrt = [0] + [1 + names.index(n) for n in ("l0_i2h_weight", "l0_h2h_bias", "l1_h2h_weight")]
    assert_grad_close(_layer_fn(layer, names), x, *ws, wrt=wrt, rtol=1e-5, atol=1e-7)


def test_backward_fills_parameter_gradients_and_matches_numpy():
    rng = np.random.RandomState(3)
    layer = rnn.RNN(3, activation="tanh", input_size=2)
    layer.initialize()
    p = randomize(layer, rng)
    x = nd.array(rng.uniform(-1, 1, (1, 1, 2)))  # one step: d/db of sum(tanh(a)) = 1 - tanh(a)^2
    with autograd.record():
        out = layer(x)
    out.backward()
    a = x.asnumpy()[0] @ p["l0_i2h_weight"].T + p["l0_i2h_bias"] + p["l0_h2h_bias"]
    np.testing.assert_allclose(layer.l0_i2h_bias.grad().asnumpy(), (1 - np.tanh(a) ** 2)[0], rtol=1e-5)
    np.testing.assert_allclose(layer.l0_h2h_bias.grad().asnumpy(), (1 - np.tanh(a) ** 2)[0], rtol=1e-5)


# -- layers: names, repr, state_info, deferred input size ------------------------------------------------

def test_parameter_names_and_shapes_follow_mxnet():
    layer = rnn.LSTM(4, num_layers=2, bidirectional=True)
    got = [(k, v.shape) for k, v in layer.collect_params().items()]
    want = []
    for i, ni in ((0, 0), (1, 8)):
        for j in "lr":
            want += [(f"lstm0_{j}{i}_i2h_weight", (16, ni)), (f"lstm0_{j}{i}_h2h_weight", (16, 4)),
                     (f"lstm0_{j}{i}_i2h_bias", (16,)), (f"lstm0_{j}{i}_h2h_bias", (16,))]
    assert got == want
    assert [k for k in rnn.GRU(3).collect_params()] == ["gru0_l0_i2h_weight", "gru0_l0_h2h_weight",
                                                        "gru0_l0_i2h_bias", "gru0_l0_h2h_bias"]
    assert rnn.GRU(3).l0_i2h_weight.shape == (9, 0) and rnn.RNN(3, input_size=2).l0_i2h_weight.shape == (3, 2)
    assert rnn.RNN(2).prefix == "rnn1_" and rnn.RNNCell(2).prefix == "rnn2_"  # one 'rnn' counter, as MXNet


def test_repr_follows_mxnet():
    assert repr(rnn.RNN(4, num_layers=2, bidirectional=True)) == "RNN(None -> 4, TNC, num_layers=2, bidirectional)"
    assert repr(rnn.LSTM(4, input_size=3, layout="NTC", dropout=0.5)) == "LSTM(3 -> 4, NTC, dropout=0.5)"
    assert repr(rnn.RNN(4, activation="tanh", input_size=3)) == "RNN(3 -> 4, TNC)"
    assert repr(rnn.GRU(4)) == "GRU(None -> 4, TNC)"


def test_deferred_input_size_is_inferred_at_first_call():
    layer = rnn.GRU(3, num_layers=2, bidirectional=True)
    layer.initialize()
    layer(nd.ones((2, 1, 7)))
    assert layer.l0_i2h_weight.shape == (9, 7) and layer.r0_i2h_weight.shape == (9, 7)
    assert layer.l1_i2h_weight.shape == (9, 6)
    assert repr(layer) == "GRU(7 -> 3, TNC, num_layers=2, bidirectional)"


def test_state_info_and_begin_state():
    layer = rnn.LSTM(4, num_layers=3, bidirectional=True)
    info = layer.state_info(2)
    assert info == [{"shape": (6, 2, 4), "__layout__": "LNC", "dtype": "float32"}] * 2
    st = layer.begin_state(2, func=nd.ones)
    assert len(st) == 2 and st[0].shape == (6, 2, 4) and st[1].asnumpy().min() == 1.0
    assert rnn.RNN(3, dropout=0.2, num_layers=2).state_info()[0]["shape"] == (2, 0, 3)


# -- layers: dropout between layers ----------------------------------------------------------------------

def test_dropout_between_layers_only_while_training():
    rng = np.random.RandomState(4)
    x = nd.array(rng.uniform(-1, 1, (5, 3, 2)))
    plain, drop = (rnn.LSTM(6, num_layers=2, input_size=2, dropout=d) for d in (0, 0.5))
    plain.initialize()
    drop.initialize()
    randomize(plain, rng)
    for name, p in plain._reg_params.items():
        drop._reg_params[name].set_data(p.data())
    base = plain(x).asnumpy()
    np.testing.assert_array_equal(drop(x).asnumpy(), base)  # predict mode: no dropout
    mx.random.seed(7)
    with autograd.record(train_mode=True):
        a = drop(x).asnumpy()
    mx.random.seed(7)
    with autograd.record(train_mode=True):
        b = drop(x).asnumpy()
    np.testing.assert_array_equal(a, b)  # same seed, same masks
    assert np.abs(a - base).max() > 1e-2
    one = rnn.GRU(3, input_size=2, dropout=0.9)  # one layer: nothing between layers to drop
    one.initialize()
    with autograd.record(train_mode=True):
        np.testing.assert_array_equal(one(x).asnumpy(), one(x).asnumpy())


# -- layers: files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("bidirectional", [False, True])
def test_save_load_parameters_round_trip(tmp_path, bidirectional):
    rng = np.random.RandomState(5)
    a = rnn.LSTM(3, num_layers=2, bidirectional=bidirectional, layout="NTC", input_size=2)
    a.initialize()
    randomize(a, rng)
    f = str(tmp_path / "lstm.params")
    a.save_parameters(f)
    keys = sorted(nd.load(f))
    cell = "l_cell." if bidirectional else ""
    assert f"_unfused.0.{cell}i2h_weight" in keys and f"_unfused.1.{cell}h2h_bias" in keys
    assert len(keys) == 8 * (2 if bidirectional else 1)
    b = rnn.LSTM(3, num_layers=2, bidirectional=bidirectional, layout="NTC")  # input size deferred
    b.initialize()
    b.load_parameters(f)
    x = nd.array(rng.uniform(-1, 1, (2, 4, 2)))
    np.testing.assert_array_equal(b(x).asnumpy(), a(x).asnumpy())
    with pytest.raises(MXNetError, match="shape incompatible"):
        rnn.LSTM(4, num_layers=2, bidirectional=bidirectional).load_parameters(f)


# -- layers: errors --------------------------------------------------------------------------------------

def test_layer_errors():
    layer = rnn.LSTM(4, input_size=3)
    layer.initialize()
    with pytest.raises(MXNetError, match="rank-3"):
        layer(nd.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Invalid recurrent state shape. Expecting \(1, 2, 4\), got \(1, 3, 4\)"):
        layer(nd.ones((5, 2, 3)), [nd.zeros((1, 3, 4)), nd.zeros((1, 2, 4))])
    with pytest.raises(MXNetError, match="expects 2 state"):
        layer(nd.ones((5, 2, 3)), nd.zeros((1, 2, 4)))
    with pytest.raises(MXNetError, match="7 features but the layer's input size is 3"):
        layer(nd.ones((5, 2, 7)))
    with pytest.raises(ValueError, match="Invalid layout NCT"):
        rnn.RNN(4, layout="NCT")
    with pytest.raises(ValueError, match="activation must be 'relu' or 'tanh'"):
        rnn.RNN(4, activation="sigmoid")
    with pytest.raises(MXNetError, match="projection_size must be a positive integer"):
        rnn.LSTM(4, projection_size=-2)


# -- cells ---------------------------------------------------------------------------------------------------

def _cell_params(cell, rng):
    return {k: v for k, v in randomize(cell, rng).items()}


@pytest.mark.parametrize("cls,mode", [(rnn.RNNCell, "rnn_tanh"), (rnn.LSTMCell, "lstm"), (rnn.GRUCell, "gru")])
def test_cell_unroll_matches_numpy_loop(cls, mode):
    rng = np.random.RandomState(6)
    cell = cls(4, input_size=3)
    cell.initialize()
    p = _cell_params(cell, rng)
    x = rng.uniform(-1, 1, (2, 5, 3)).astype(np.float32)
    st = [rng.uniform(-1, 1, (2, 4)).astype(np.float32) for _ in cell.state_info()]
    h, c = st[0], (st[1] if mode == "lstm" else None)
    want = []
    for t in range(5):
        h, c = np_step(mode, x[:, t], h, c, p["i2h_weight"], p["h2h_weight"], p["i2h_bias"], p["h2h_bias"])
        want.append(h)
    out, new = cell.unroll(5, nd.array(x), [nd.array(s) for s in st], layout="NTC", merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), np.stack(want, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new[0].asnumpy(), h, rtol=1e-5, atol=1e-6)
    if mode == "lstm":
        np.testing.assert_allclose(new[1].asnumpy(), c, rtol=1e-5, atol=1e-6)
    # one step by call, and the list form of unroll
    o1, s1 = cell(nd.array(x[:, 0]), [nd.array(s) for s in st])
    np.testing.assert_allclose(o1.asnumpy(), want[0], rtol=1e-5, atol=1e-6)
    assert isinstance(s1, list) and len(s1) == len(st)
    outs, _ = cell.unroll(5, nd.array(x.transpose(1, 0, 2)), [nd.array(s) for s in st], layout="TNC",
                          merge_outputs=False)
    assert isinstance(outs, list) and len(outs) == 5
    np.testing.assert_allclose(outs[4].asnumpy(), want[4], rtol=1e-5, atol=1e-6)


def test_cell_names_repr_and_state_info():
    c = rnn.LSTMCell(4, input_size=3)
    assert [(k, v.shape) for k, v in c.collect_params().items()] == [
        ("lstm0_i2h_weight", (16, 3)), ("lstm0_h2h_weight", (16, 4)), ("lstm0_i2h_bias", (16,)),
        ("lstm0_h2h_bias", (16,))]
    assert c.state_info(2) == [{"shape": (2, 4), "__layout__": "NC"}] * 2
    assert repr(c) == "LSTMCell(3 -> 16)"
    assert repr(rnn.RNNCell(4)) == "RNNCell(None -> 4, tanh)" and rnn.RNNCell(4).prefix == "rnn1_"
    assert repr(rnn.GRUCell(4, input_size=2)) == "GRUCell(2 -> 12)"
    assert repr(rnn.DropoutCell(0.3)) == "DropoutCell(rate=0.3, axes=())"
    assert repr(rnn.ResidualCell(rnn.GRUCell(4))) == "ResidualCell(GRUCell(None -> 12))"
    z = rnn.ZoneoutCell(rnn.LSTMCell(4), zoneout_outputs=0.2, zoneout_states=0.1)
    assert repr(z) == "ZoneoutCell(p_out=0.2, p_state=0.1, LSTMCell(None -> 16))"


def test_sequential_cell_names_states_and_structure():
    s = rnn.SequentialRNNCell()
    with s.name_scope():
        s.add(rnn.LSTMCell(4))
        s.add(rnn.DropoutCell(0.5))
        s.add(rnn.ResidualCell(rnn.GRUCell(4)))
    assert list(s.collect_params()) == [f"sequentialrnncell0_{c}0_{n}" for c in ("lstm", "gru")
                                        for n in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")]
    assert list(s._collect_params_with_prefix())[4:6] == ["2.base_cell.i2h_weight", "2.base_cell.h2h_weight"]
    assert repr(s).startswith("SequentialRNNCell(\n(0): LSTMCell(None -> 16)\n(1): DropoutCell")
    s.initialize()
    out, st = s.unroll(3, nd.ones((2, 3, 4)), layout="NTC", merge_outputs=True)
    assert out.shape == (2, 3, 4) and [x.shape for x in st] == [(2, 4)] * 3
    assert len(s) == 3 and isinstance(s[0], rnn.LSTMCell)


def test_unroll_with_valid_length_masks_outputs_and_keeps_last_states():
    rng = np.random.RandomState(7)
    cell = rnn.RNNCell(2, input_size=3)
    cell.initialize()
    p = _cell_params(cell, rng)
    x = rng.uniform(-1, 1, (2, 4, 3)).astype(np.float32)
    out, st = cell.unroll(4, nd.array(x), layout="NTC", valid_length=nd.array([2, 4]), merge_outputs=True)
    h = np.zeros((2, 2), np.float32)
    hs = []
    for t in range(4):
        h, _ = np_step("rnn_tanh", x[:, t], h, None, p["i2h_weight"], p["h2h_weight"], p["i2h_bias"], p["h2h_bias"])
        hs.append(h)
    want = np.stack(hs, 1)
    want[0, 2:] = 0
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st[0].asnumpy(), [hs[1][0], hs[3][1]], rtol=1e-5, atol=1e-6)


def test_bidirectional_cell_matches_numpy_and_cannot_step():
    rng = np.random.RandomState(8)
    b = rnn.BidirectionalCell(rnn.GRUCell(3, input_size=2), rnn.RNNCell(2, input_size=2))
    assert repr(b) == "BidirectionalCell(forward=GRUCell(2 -> 9), backward=RNNCell(2 -> 2, tanh))"
    assert list(b._collect_params_with_prefix())[0] == "l_cell.i2h_weight"
    b.initialize()
    pl = _cell_params(b._children["l_cell"], rng)
    pr = _cell_params(b._children["r_cell"], rng)
    x = rng.uniform(-1, 1, (4, 2, 2)).astype(np.float32)
    out, st = b.unroll(4, nd.array(x), layout="TNC", merge_outputs=True)
    args = lambda p: (p["i2h_weight"], p["h2h_weight"], p["i2h_bias"], p["h2h_bias"])  # noqa: E731
    hl, hr = np.zeros((2, 3), np.float32), np.zeros((2, 2), np.float32)
    fw, bw = [None] * 4, [None] * 4
    for t in range(4):
        hl, _ = np_step("gru", x[t], hl, None, *args(pl))
        fw[t] = hl
    for t in range(3, -1, -1):
        hr, _ = np_step("rnn_tanh", x[t], hr, None, *args(pr))
        bw[t] = hr
    np.testing.assert_allclose(out.asnumpy(), np.concatenate([np.stack(fw), np.stack(bw)], -1), rtol=1e-5,
                               atol=1e-6)
    assert [s.shape for s in st] == [(2, 3), (2, 2)]
    with pytest.raises(NotImplementedError, match="cannot be stepped"):
        b(nd.ones((2, 2)), b.begin_state(batch_size=2))


def test_dropout_residual_and_zoneout_cells():
    rng = np.random.RandomState(9)
    x = nd.array(rng.uniform(-1, 1, (2, 3, 4)))
    d = rnn.DropoutCell(0.5)
    assert d.state_info(2) == [] and d.begin_state(2) == []
    out, st = d.unroll(3, x, merge_outputs=True)
    np.testing.assert_array_equal(out.asnumpy(), x.asnumpy())  # predict mode: identity
    with autograd.record(train_mode=True):
        out, _ = d.unroll(3, x, merge_outputs=True)
    kept = out.asnumpy() != 0
    np.testing.assert_allclose(out.asnumpy()[kept], 2 * x.asnumpy()[kept], rtol=1e-6)
    assert 0 < kept.sum() < kept.size

    base = rnn.GRUCell(4, input_size=4)
    r = rnn.ResidualCell(base)
    assert r.prefix == "gru0_residualcell"
    r.initialize()
    ro, _ = r.unroll(3, x, merge_outputs=True)
    bo, _ = base.unroll(3, x, r.begin_state(2), merge_outputs=True)  # (base.begin_state is barred once wrapped)
    np.testing.assert_allclose(ro.asnumpy(), bo.asnumpy() + x.asnumpy(), rtol=1e-6)

    lstm = rnn.LSTMCell(3, input_size=4)
    z = rnn.ZoneoutCell(lstm, zoneout_outputs=1.0, zoneout_states=1.0)
    z.initialize()
    with pytest.raises(MXNetError, match="base cell cannot be called directly"):
        lstm.begin_state(2)
    begin = [nd.array(rng.uniform(-1, 1, (2, 3))) for _ in range(2)]
    with autograd.record(train_mode=True):  # every unit zoned out: outputs stay 0, states stay the initial
        out, st = z.unroll(3, x, begin, merge_outputs=True)
    np.testing.assert_array_equal(out.asnumpy(), 0)
    np.testing.assert_array_equal(st[1].asnumpy(), begin[1].asnumpy())
    zo, _ = z.unroll(3, x, begin, merge_outputs=True)  # predict mode: the base cell unchanged
    assert np.abs(zo.asnumpy()).max() > 0


def test_cell_errors():
    c = rnn.RNNCell(4, input_size=3)
    c.initialize()
    with pytest.raises(ValueError, match="length=4 but the input has 5 steps"):
        c.unroll(4, nd.ones((2, 5, 3)), layout="NTC")
    with pytest.raises(ValueError, match="Invalid layout"):
        c.unroll(5, nd.ones((2, 5, 3)), layout="NCT")
    with pytest.raises(MXNetError, match="expects 1 state"):
        c(nd.ones((2, 3)), [])
    with pytest.raises(MXNetError, match="give batch_size"):
        c.begin_state()


# -- fixtures from the real MXNet 1.9.1 ----------------------------------------------------------------------

def _fixture_blocks():
    seq = rnn.SequentialRNNCell()
    with seq.name_scope():
        seq.add(rnn.LSTMCell(4))
        seq.add(rnn.GRUCell(4))
        seq.add(rnn.ResidualCell(rnn.RNNCell(4, activation="relu")))
    return {
        "lstm": (rnn.LSTM(5, num_layers=2, bidirectional=True, layout="NTC"), None),
        "gru": (rnn.GRU(4, num_layers=2), None),
        "rnn_tanh": (rnn.RNN(4, activation="tanh", bidirectional=True), None),
        "rnn_relu": (rnn.RNN(4, layout="NTC"), None),
        "seqcell": (seq, lambda n, x, s, f: n.unroll(4, x, s, layout="NTC", merge_outputs=True)),
        "bicell": (rnn.BidirectionalCell(rnn.LSTMCell(3), rnn.GRUCell(2)),
                   lambda n, x, s, f: n.unroll(5, x, layout="TNC", merge_outputs=True,
                                               valid_length=nd.array(f["bicell__valid"]))),
    }


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh", "rnn_relu", "seqcell", "bicell"])
def test_mxnet191_fixture_outputs_states_and_gradients(name):
    f = np.load(os.path.join(DATA, "rnn_mxnet191.npz"))
    net, run = _fixture_blocks()[name]
    net.initialize()
    x = nd.array(f[f"{name}__x"])
    states = [nd.array(f[f"{name}__s{i}"]) for i in range(4) if f"{name}__s{i}" in f] or None
    if run is None and states is None:
        net(x)  # deferred shapes are known after one call; the file then loads by shape
    net.load_parameters(os.path.join(DATA, f"rnn_{name}_mxnet191.params"))
    x.attach_grad()
    with autograd.record():
        res = run(net, x, states, f) if run else (net(x, states) if states else net(x))
        out, st = res if isinstance(res, tuple) else (res, [])
        loss = (out * nd.array(f[f"{name}__head"])).sum()
    loss.backward()
    np.testing.assert_allclose(out.asnumpy(), f[f"{name}__out"], rtol=1e-5, atol=1e-6)
    for i, s in enumerate(st):
        np.testing.assert_allclose(s.asnumpy(), f[f"{name}__st{i}"], rtol=1e-5, atol=1e-6)
    assert len(st) == len([k for k in f if k.startswith(f"{name}__st")])
    np.testing.assert_allclose(x.grad.asnumpy(), f[f"{name}__gx"], rtol=1e-4, atol=1e-6)
    params = net._collect_params_with_prefix()
    grads = [k[len(name) + 4:] for k in f if k.startswith(f"{name}__g_")]
    assert grads
    for g in grads:
        np.testing.assert_allclose(params[g].grad().asnumpy(), f[f"{name}__g_{g}"], rtol=1e-4, atol=1e-6,
                                   err_msg=g)
