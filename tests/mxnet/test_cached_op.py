"""mx.nd.CachedOp runs a Symbol graph imperatively, with gradients (values as MXNet 1.9.1 prints them)."""
import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.base import MXNetError


def _graph():
    data, w = mx.sym.var("data"), mx.sym.var("w")
    return mx.sym.relu(mx.sym.FullyConnected(data, weight=w, num_hidden=2, no_bias=True))


def test_cached_op_forward_and_backward_match_mxnet():
    op = mx.nd.CachedOp(_graph())
    x = mx.nd.array([[1.0, -2.0, 3.0]])
    w = mx.nd.array([[1.0, 1.0, 1.0], [-1.0, 0.0, 0.0]])
    assert op(x, w).asnumpy().tolist() == [[2.0, 0.0]]
    x.attach_grad()
    with mx.autograd.record():
        y = op(x, w)
    y.backward()
    assert x.grad.asnumpy().tolist() == [[1.0, 1.0, 1.0]]
    out = mx.nd.zeros((1, 2))
    assert op(x, w, out=out) is out and out.asnumpy().tolist() == [[2.0, 0.0]]


def test_cached_op_checks_its_inputs():
    op = mx.nd.CachedOp(_graph())
    with pytest.raises(MXNetError, match=r"takes 2 input\(s\) \['data', 'w'\], got 1"):
        op(mx.nd.ones((1, 3)))
    with pytest.raises(MXNetError, match="expected an mx.sym.Symbol"):
        mx.nd.CachedOp(np.ones(3))
