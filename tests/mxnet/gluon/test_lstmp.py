"""LSTM(projection_size=...) (LSTMP) and contrib.rnn.LSTMPCell: shapes, names and values from MXNet 1.9.1."""
import numpy as np

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd


def _filled(layer, seed=0):
    rs = np.random.RandomState(seed)
    for _, v in layer.collect_params().items():
        v.set_data(nd.array(rs.uniform(-0.5, 0.5, v.shape)))
    return rs


def test_bidirectional_two_layer_lstmp_matches_mxnet():
    layer = gluon.rnn.LSTM(6, projection_size=4, num_layers=2, input_size=3, bidirectional=True, prefix="lstm0_")
    assert [(k, v.shape) for k, v in layer.collect_params().items()][:5] == [
        ("lstm0_l0_i2h_weight", (24, 3)), ("lstm0_l0_h2h_weight", (24, 4)), ("lstm0_l0_i2h_bias", (24,)),
        ("lstm0_l0_h2h_bias", (24,)), ("lstm0_l0_h2r_weight", (4, 6))]
    assert layer.collect_params()["lstm0_l1_i2h_weight"].shape == (24, 8)  # fed 2 directions x P
    assert [s["shape"] for s in layer.state_info(2)] == [(4, 2, 4), (4, 2, 6)]
    layer.initialize()
    rs = _filled(layer)
    x = nd.array(rs.uniform(size=(3, 2, 3)))
    out, states = layer(x, layer.begin_state(2))
    assert out.shape == (3, 2, 8) and [s.shape for s in states] == [(4, 2, 4), (4, 2, 6)]
    # printed by MXNet 1.9.1 for the same weights and input
    np.testing.assert_allclose(out.asnumpy()[:, 0, :3],
                               [[0.05169, -0.07336, -0.02276], [0.07274, -0.09839, -0.03665],
                                [0.08103, -0.10342, -0.04589]], atol=2e-5)
    np.testing.assert_allclose(states[1].asnumpy()[0, 0],
                               [-0.44347, -0.23494, 0.30702, -0.44757, 0.18199, 0.14367], atol=2e-5)


def test_fused_layer_equals_its_unrolled_lstmp_cells_forward_and_backward():
    layer = gluon.rnn.LSTM(5, projection_size=3, num_layers=2, input_size=4, prefix="lstm0_")
    layer.initialize()
    _filled(layer, seed=1)
    stack = layer._unfuse()
    assert isinstance(stack[0], gluon.contrib.rnn.LSTMPCell)
    x = nd.array(np.random.RandomState(2).uniform(size=(6, 2, 4)))
    xs = x.copy()
    x.attach_grad()
    xs.attach_grad()
    with autograd.record():
        y, _ = layer(x, layer.begin_state(2))
        ys, _ = stack.unroll(6, xs, begin_state=stack.begin_state(batch_size=2), layout="TNC", merge_outputs=True)
        (y.sum() + ys.sum()).backward()
    np.testing.assert_allclose(y.asnumpy(), ys.asnumpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(x.grad.asnumpy(), xs.grad.asnumpy(), rtol=1e-5, atol=1e-7)


def test_lstmp_cell_describes_itself_as_mxnet():
    cell = gluon.contrib.rnn.LSTMPCell(6, projection_size=4, input_size=3, prefix="lstmp0_")
    assert repr(cell) == "LSTMPCell(3 -> 24 -> 4)"
    assert [s["shape"] for s in cell.state_info(2)] == [(2, 4), (2, 6)]
    assert list(cell.collect_params().keys()) == ["lstmp0_i2h_weight", "lstmp0_h2h_weight", "lstmp0_h2r_weight",
                                                  "lstmp0_i2h_bias", "lstmp0_h2h_bias"]
