"""Gluon Embedding clips out-of-range indices as MXNet 1.9.1 does (values and gradients from real MXNet)."""
import unidl_mxnet as mx
from unidl_mxnet import autograd, nd
from unidl_mxnet.gluon import nn


def test_out_of_range_indices_take_the_first_or_last_row_and_their_gradient_goes_there():
    emb = nn.Embedding(5, 2)
    emb.initialize(mx.init.Constant(0))
    emb.weight.set_data(nd.arange(10).reshape((5, 2)))
    x = nd.array([0, 7, -1, 4.0])
    with autograd.record():
        y = emb(x)
    y.backward()
    assert y.asnumpy().tolist() == [[0.0, 1.0], [8.0, 9.0], [0.0, 1.0], [8.0, 9.0]]
    assert emb.weight.grad().asnumpy().tolist() == [[2.0, 2.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [2.0, 2.0]]
