"""mx.autograd on NDArrays: record/pause, attach_grad and grad_req, grad(), Function."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, nd


def test_record_backward_writes_grad():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.zeros((2, 2)))
    with autograd.record():
        y = x * x + 2 * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * x.asnumpy() + 2)


def test_grad_req_add_accumulates_and_write_replaces():
    x = nd.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = (x * 3).sum()
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [9, 9])
    w = nd.array([1.0])
    w.attach_grad()
    for _ in range(2):
        with autograd.record():
            z = w * 3
        z.backward()
    np.testing.assert_allclose(w.grad.asnumpy(), [3])


def test_modes_and_pause():
    assert not autograd.is_recording() and not autograd.is_training()
    x = nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording()
            c = x * 5
        y = x * c
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [5])  # c was a constant
    with autograd.record(train_mode=False):
        assert not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training()


def test_backward_twice_needs_retain_graph():
    x = nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(mx.MXNetError, match="retain_graph"):
        y.backward()


def test_backward_with_head_grads():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 4
    autograd.backward([y], [nd.array([1.0, 0.5])])
    np.testing.assert_allclose(x.grad.asnumpy(), [4, 2])


def test_grad_returns_gradients_and_second_order():
    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
        (g,) = autograd.grad(y, [x], create_graph=True)
        z = g.sum()
    np.testing.assert_allclose(g.asnumpy(), 3 * x.asnumpy() ** 2)
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 0])  # grad() leaves .grad untouched
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy())


def test_mark_variables():
    x = nd.array([1.0, 2.0])
    gx = nd.zeros((2,))
    autograd.mark_variables([x], [gx])
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 4])


class Sigmoid(autograd.Function):
    def forward(self, x):
        y = 1 / (1 + nd.exp(-x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y * (1 - y)


def test_custom_function():
    a = np.array([-1.0, 0.0, 2.0], np.float32)
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
        loss = (y * nd.array([1.0, 2.0, 3.0])).sum()
    loss.backward()
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(y.asnumpy(), s, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), np.array([1, 2, 3]) * s * (1 - s), rtol=1e-6)


def test_attach_grad_takes_integer_arrays_as_mxnet_does():
    # MXNet 1.9.1: x = int32 [[1,2,3],[4,5,6]], y = x[0] * 3, y.backward() -> x.grad int32 [[3,3,3],[0,0,0]]
    x = nd.array([[1, 2, 3], [4, 5, 6]], dtype="int32")
    x.attach_grad()
    with autograd.record():
        y = x[0] * 3
    y.backward()
    assert x.grad.dtype == np.int32
    np.testing.assert_array_equal(x.grad.asnumpy(), [[3, 3, 3], [0, 0, 0]])


def test_mark_variables_writes_into_the_given_gradient_arrays():
    w = nd.array([3.0, -1.0])
    g = nd.zeros(2)
    autograd.mark_variables([w], [g])
    with autograd.record():
        y = w * w
    y.backward()
    np.testing.assert_allclose(g.asnumpy(), [6.0, -2.0])  # d(w^2)/dw = 2w, written into g itself
    w2 = nd.array([3.0])
    g2 = nd.ones(1)
    autograd.mark_variables(w2, g2, "add")
    for _ in range(2):
        with autograd.record():
            z = w2 * w2
        z.backward()
    np.testing.assert_allclose(g2.asnumpy(), [1.0 + 6.0 + 6.0])  # 'add' accumulates onto g's values
    with pytest.raises(mx.base.MXNetError):
        autograd.mark_variables([w, w2], [g])
