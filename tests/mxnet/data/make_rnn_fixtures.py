"""Regenerate the real-MXNet fixtures of tests/mxnet/gluon/test_rnn.py (run with MXNet 1.9.1 in its own venv):

    python3 -m venv /tmp/mxvenv && /tmp/mxvenv/bin/pip install numpy==1.23.5 mxnet==1.9.1
    /tmp/mxvenv/bin/python tests/mxnet/data/make_rnn_fixtures.py

Writes, beside this file, for each case NAME below: rnn_NAME_mxnet191.params (``save_parameters`` of the
block, parameters drawn from Uniform(0.5) with seed 0), and one rnn_mxnet191.npz (no pickles) holding,
per case, NAME__x (input), NAME__s<i> (given begin states, if any), NAME__out (output), NAME__st<i> (the
returned states), NAME__head (the output gradient used) and NAME__gx / NAME__g_<param> (gradients of
``sum(out * head)`` with respect to the input and some parameters, by structural name).
"""
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import rnn

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(0)
arrays = {}


def record(name, net, x, states=None, run=None, grads=()):
    """Run ``net`` on x (and states), store inputs, outputs and gradients under ``name``."""
    net.save_parameters(os.path.join(here, f"rnn_{name}_mxnet191.params"))
    x = nd.array(x)
    x.attach_grad()
    arrays[f"{name}__x"] = x.asnumpy()
    for i, s in enumerate(states or []):
        arrays[f"{name}__s{i}"] = s.asnumpy()
    with autograd.record():
        res = run(net, x, states) if run else (net(x, states) if states else net(x))
        out, st = res if isinstance(res, tuple) else (res, [])
        head = nd.array(rng.uniform(-1, 1, out.shape))
        loss = (out * head).sum()
    loss.backward()
    arrays[f"{name}__out"] = out.asnumpy()
    for i, s in enumerate(st):
        arrays[f"{name}__st{i}"] = s.asnumpy()
    arrays[f"{name}__head"] = head.asnumpy()
    arrays[f"{name}__gx"] = x.grad.asnumpy()
    params = net._collect_params_with_prefix()
    for g in grads:
        arrays[f"{name}__g_{g}"] = params[g].grad().asnumpy()


def states(shape, n):
    return [nd.array(rng.uniform(-1, 1, shape)) for _ in range(n)]


mx.random.seed(0)
init = mx.init.Uniform(0.5)

# LSTM: 2 layers, bidirectional, batch-major, begin states given
net = rnn.LSTM(5, num_layers=2, bidirectional=True, layout="NTC", input_size=3)
net.initialize(init)
net.collect_params().setattr("grad_req", "write")
record("lstm", net, rng.uniform(-1, 1, (2, 4, 3)), states((4, 2, 5), 2),
       grads=("_unfused.0.l_cell.i2h_weight", "_unfused.1.r_cell.h2h_bias"))

# GRU: 2 layers, time-major, begin state given
net = rnn.GRU(4, num_layers=2, input_size=3)
net.initialize(init)
record("gru", net, rng.uniform(-1, 1, (5, 2, 3)), states((2, 2, 4), 1),
       grads=("_unfused.0.i2h_weight", "_unfused.1.h2h_weight"))

# RNN tanh bidirectional, time-major, no states; RNN relu
net = rnn.RNN(4, activation="tanh", bidirectional=True, input_size=3)
net.initialize(init)
record("rnn_tanh", net, rng.uniform(-1, 1, (4, 2, 3)), grads=("_unfused.0.r_cell.i2h_bias",))
net = rnn.RNN(4, input_size=3, layout="NTC")
net.initialize(init)
record("rnn_relu", net, rng.uniform(-1, 1, (2, 4, 3)), states((1, 2, 4), 1), grads=("_unfused.0.h2h_weight",))

# cells: SequentialRNNCell(LSTMCell, GRUCell, ResidualCell(RNNCell)) unrolled NTC
net = rnn.SequentialRNNCell()
with net.name_scope():
    net.add(rnn.LSTMCell(4, input_size=3))
    net.add(rnn.GRUCell(4, input_size=4))
    net.add(rnn.ResidualCell(rnn.RNNCell(4, activation="relu", input_size=4)))
net.initialize(init)
record("seqcell", net, rng.uniform(-1, 1, (2, 4, 3)), states((2, 4), 4),
       run=lambda n, x, s: n.unroll(4, x, s, layout="NTC", merge_outputs=True),
       grads=("0.i2h_weight", "1.h2h_bias", "2.base_cell.i2h_weight"))

# BidirectionalCell(LSTMCell, GRUCell) unrolled TNC with valid_length
net = rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=2), rnn.GRUCell(2, input_size=2))
net.initialize(init)
valid = nd.array([3, 5])
arrays["bicell__valid"] = valid.asnumpy()
record("bicell", net, rng.uniform(-1, 1, (5, 2, 2)),
       run=lambda n, x, s: n.unroll(5, x, layout="TNC", merge_outputs=True, valid_length=valid),
       grads=("l_cell.h2h_weight", "r_cell.i2h_weight"))

np.savez(os.path.join(here, "rnn_mxnet191.npz"), **{k: v.astype(np.float32) for k, v in arrays.items()})
print("wrote", len(arrays), "arrays")
