"""Autograd: recording scopes, grad_req, retain/create graph, grad(), heads, and train/predict modes.

Expected gradients are worked out by hand in NumPy from the calculus, never from our own output.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import autograd
from unidl.ops import add, exp, log, multiply, negative, subtract, sum as usum, where
from unidl.testing import assert_grad_close
from unidl.testing import strategies as ust

small = ust.shapes(max_dims=3, max_side=3)


def leaf(a, grad_req: str = "write") -> unidl.Tensor:
    return unidl.tensor(np.asarray(a, dtype=np.float64)).requires_grad_(True, grad_req)


# -- recording scope --------------------------------------------------------------------------------

def test_ops_outside_record_build_no_graph():
    x = leaf([1.0, 2.0])
    y = multiply(x, x)
    assert y._node is None and not y.requires_grad and y.is_leaf
    with pytest.raises(unidl.GraphError, match="does not require grad"):
        y.backward()


@pytest.mark.parametrize("scope", [unidl.pause, unidl.no_grad])
def test_pause_and_no_grad_build_no_graph(scope):
    x = leaf([1.0, 2.0])
    with unidl.record():
        assert autograd.is_recording()
        with scope():
            assert not autograd.is_recording()
            y = exp(x)
        z = exp(x)
    assert not autograd.is_recording()
    assert y._node is None and not y.requires_grad
    assert z._node is not None and z.requires_grad


def test_backward_on_tensor_not_requiring_grad_raises():
    x = unidl.tensor([1.0, 2.0])
    with unidl.record():
        y = exp(x)
    with pytest.raises(unidl.GraphError, match="does not require grad"):
        y.backward()
    with pytest.raises(unidl.GraphError):
        unidl.autograd.backward([x])


def test_requires_grad_only_for_floats():
    with pytest.raises(unidl.GraphError, match="int64"):
        unidl.tensor([1, 2], requires_grad=True)
    with pytest.raises(unidl.GraphError, match="floating"):
        unidl.tensor([1, 2]).attach_grad()
    with pytest.raises(ValueError, match="grad_req"):
        unidl.tensor([1.0]).requires_grad_(True, "sometimes")


# -- gradients against hand-derived NumPy -----------------------------------------------------------

@settings(max_examples=20)
@given(data=st.data(), shapes=ust.broadcastable_shapes(2, max_dims=3, max_side=3))
def test_gradients_match_calculus_with_broadcasting(data, shapes):
    a = data.draw(ust.arrays(np.float64, shapes[0], 0.5, 2.0))
    b = data.draw(ust.arrays(np.float64, shapes[1], 0.5, 2.0))
    x, y = leaf(a), leaf(b)
    with unidl.record():
        out = usum(multiply(exp(x), log(y)))
    out.backward()
    full = np.broadcast_shapes(a.shape, b.shape)
    ga = np.broadcast_to(np.exp(a) * np.log(np.broadcast_to(b, full)), full)
    gb = np.broadcast_to(np.exp(np.broadcast_to(a, full)) / b, full)

    def reduce_to(g, shape):
        g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
        return g.sum(axis=tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1), keepdims=True)

    np.testing.assert_allclose(x.grad.numpy(), reduce_to(ga, a.shape), rtol=1e-10)
    np.testing.assert_allclose(y.grad.numpy(), reduce_to(gb, b.shape), rtol=1e-10)
    assert x.grad.shape == a.shape and y.grad.shape == b.shape


@settings(max_examples=10)
@given(shape=ust.shapes(max_dims=2, max_side=4), data=st.data())
def test_composed_function_gradcheck(shape, data):
    a = data.draw(ust.small_float64(shape, 0.5, 2.0))
    b = data.draw(ust.small_float64(shape, 0.5, 2.0))
    cond = data.draw(ust.arrays(np.bool_, shape))  # a constant mask: no branch switch under perturbation
    assert_grad_close(composed, a, b, cond)


def composed(x, y, cond):
    return where(cond, subtract(x, y) / y, negative(exp(x)) * y) - x * 0.5


def test_head_grad():
    a = np.array([[1.0, -2.0, 0.5]])
    hg = np.array([[3.0, 0.25, -1.0]])
    x = leaf(a)
    with unidl.record():
        y = multiply(x, x)
    y.backward(unidl.tensor(hg))
    np.testing.assert_allclose(x.grad.numpy(), 2 * a * hg)
    x2 = leaf(a)
    with unidl.record():
        y2 = multiply(x2, 3.0)
    y2.backward(hg)  # plain array head gradient
    np.testing.assert_allclose(x2.grad.numpy(), 3 * hg)
    with unidl.record():
        y3 = multiply(x2, 3.0)
    with pytest.raises(unidl.GraphError, match=r"\(2,\).*\(1, 3\)"):
        y3.backward(unidl.tensor([1.0, 2.0], dtype="float64"))


def test_multiple_heads():
    a = np.array([0.5, 1.5])
    x = leaf(a)
    with unidl.record():
        y1 = exp(x)
        y2 = multiply(x, x)
    unidl.autograd.backward([y1, y2], [unidl.tensor(np.ones(2)), unidl.tensor(np.full(2, 2.0))])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(a) + 2 * 2 * a)
    with pytest.raises(unidl.GraphError, match="2 heads but 1"):
        unidl.autograd.backward([y1, y2], [None])


def test_tensor_used_twice_accumulates():
    a = np.array([1.0, 2.0, 3.0])
    x = leaf(a)
    with unidl.record():
        y = add(multiply(x, x), exp(x))  # x feeds three uses
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * a + np.exp(a))
    x = leaf(a)
    with unidl.record():
        y = add(x, x)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2.0))


def test_leaf_grads_do_not_share_memory():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    hg = unidl.tensor(np.array([1.0, 1.0]))
    with unidl.record():
        z = add(x, y)
    z.backward(hg)
    x.grad.data[...] = 0  # an optimizer zeroing one gradient in place
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(hg.numpy(), [1.0, 1.0])
    w = leaf(np.ones((2, 3)))
    with unidl.record():
        s = usum(w)
    s.backward()
    w.grad.data *= 2  # writable, not a read-only broadcast view
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 3), 2.0))


# -- grad_req ---------------------------------------------------------------------------------------

def _twice(x):
    for _ in range(2):
        with unidl.record():
            y = multiply(x, 3.0)
        y.backward()


def test_grad_req_write_add_null():
    a = np.array([1.0, 2.0])
    w = leaf(a, "write")
    _twice(w)
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0])
    ad = leaf(a, "add")
    _twice(ad)
    np.testing.assert_allclose(ad.grad.numpy(), [6.0, 6.0])
    n = leaf(a, "null")
    _twice(n)
    assert n.grad is None


def test_attach_grad():
    x = unidl.tensor(np.array([1.0, 2.0])).attach_grad()
    assert x.requires_grad and x.grad_req == "write"
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])
    _twice(x)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    x = unidl.tensor(np.array([1.0, 2.0])).attach_grad("add")
    _twice(x)
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x = unidl.tensor(np.array([1.0, 2.0])).attach_grad("null")
    assert not x.requires_grad
    with unidl.record():
        y = multiply(x, 3.0)
    assert y._node is None


def test_grad_keeps_leaf_dtype():
    x = unidl.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    with unidl.record():
        y = multiply(x.astype("float64"), 2.0)
    y.backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# -- retain_graph -----------------------------------------------------------------------------------

def test_backward_twice_needs_retain_graph():
    a = np.array([0.5, -1.0])
    x = leaf(a, "add")
    with unidl.record():
        y = usum(exp(multiply(x, x)))
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (2 * a * np.exp(a * a)))
    with pytest.raises(unidl.GraphError, match="retain_graph"):
        y.backward()
    with unidl.record():
        z = multiply(x, 2.0)
    z.backward()
    with unidl.record():
        z2 = add(z, 1.0)  # reaches z's freed node
    with pytest.raises(unidl.GraphError, match="retain_graph"):
        z2.backward()


# -- autograd.grad ----------------------------------------------------------------------------------

def test_grad_returns_without_touching_dot_grad():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    x, y, unused = leaf(a), leaf(b), leaf([7.0])
    with unidl.record():
        z = usum(multiply(x, y))
    gx, gy, gu = unidl.autograd.grad(z, [x, y, unused])
    np.testing.assert_allclose(gx.numpy(), b)
    np.testing.assert_allclose(gy.numpy(), a)
    np.testing.assert_array_equal(gu.numpy(), [0.0])
    assert x.grad is None and y.grad is None and unused.grad is None
    with pytest.raises(unidl.GraphError, match="retain_graph"):  # retain_graph defaults to create_graph
        unidl.autograd.grad(z, x)
    with unidl.record():
        z = usum(multiply(x, y))
    (only,) = unidl.autograd.grad(z, x, retain_graph=True)
    np.testing.assert_allclose(only.numpy(), b)
    np.testing.assert_allclose(unidl.autograd.grad(z, x)[0].numpy(), b)


def test_grad_with_respect_to_an_intermediate():
    a = np.array([0.3, 0.7])
    x = leaf(a)
    with unidl.record():
        h = exp(x)
        z = usum(multiply(h, h))
    (gh,) = unidl.autograd.grad(z, [h])
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp(a))


# -- higher order -----------------------------------------------------------------------------------

@settings(max_examples=10)
@given(a=ust.shapes(max_dims=2, max_side=3).flatmap(lambda s: ust.small_float64(s, -2, 2)))
def test_second_order_of_cube(a):
    x = leaf(a)
    with unidl.record():
        y = usum(multiply(multiply(x, x), x))
        (g,) = unidl.autograd.grad(y, [x], create_graph=True)
        assert g.requires_grad or a.size == 0
        g2 = usum(g)
    np.testing.assert_allclose(g.numpy(), 3 * a ** 2, rtol=1e-12)
    if a.size:
        g2.backward()
        np.testing.assert_allclose(x.grad.numpy(), 6 * a, rtol=1e-12)


def test_second_and_third_order_of_exp_via_backward():
    a = np.array([-1.0, 0.0, 0.5])
    x = leaf(a)
    with unidl.record():
        y = usum(exp(multiply(x, 2.0)))
        y.backward(create_graph=True)
        d1 = x.grad
        assert d1.requires_grad
        (d2,) = unidl.autograd.grad(usum(d1), [x], create_graph=True)
        (d3,) = unidl.autograd.grad(usum(d2), [x])
    np.testing.assert_allclose(d1.numpy(), 2 * np.exp(2 * a))
    np.testing.assert_allclose(d2.numpy(), 4 * np.exp(2 * a))
    np.testing.assert_allclose(d3.numpy(), 8 * np.exp(2 * a))


def test_without_create_graph_grads_are_constants():
    x = leaf([1.0, 2.0])
    with unidl.record():
        y = usum(multiply(x, x))
        y.backward()
    assert not x.grad.requires_grad and x.grad._node is None


# -- detach -----------------------------------------------------------------------------------------

def test_detach_stops_gradients():
    a = np.array([1.0, 3.0])
    x = leaf(a)
    with unidl.record():
        c = multiply(x, x).detach()
        y = usum(multiply(c, x))  # d/dx (c * x) with c constant = c
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), a * a)
    assert not c.requires_grad and c.is_leaf


def test_detach_shares_data():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert d.data is x.data and not d.requires_grad


# -- training flag ----------------------------------------------------------------------------------

def test_training_modes():
    assert not autograd.is_training() and not autograd.is_recording()
    with unidl.record():
        assert autograd.is_training() and autograd.is_recording()
        with autograd.predict_mode():
            assert not autograd.is_training() and autograd.is_recording()
        with unidl.pause():
            assert not autograd.is_training() and not autograd.is_recording()
        with unidl.no_grad():
            assert autograd.is_training() and not autograd.is_recording()
    with unidl.record(train_mode=False):
        assert not autograd.is_training() and autograd.is_recording()
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
        with unidl.pause(train_mode=True):
            assert autograd.is_training()
    assert not autograd.is_training() and not autograd.is_recording()


def test_flags_restored_after_exception():
    with pytest.raises(KeyError):
        with unidl.record():
            raise KeyError("x")
    assert not autograd.is_recording() and not autograd.is_training()
    prev = autograd.set_training(True)
    try:
        assert prev is False and autograd.is_training()
    finally:
        autograd.set_training(prev)
    prev = autograd.set_recording(True)
    try:
        assert prev is False and autograd.is_recording()
    finally:
        autograd.set_recording(prev)
    assert not autograd.is_recording()


# -- gradient-ready hooks (data-parallel overlap) -----------------------------------------------------

def test_grad_ready_fires_once_per_leaf_after_its_last_contribution():
    """A leaf read by several ops is reported once, with its whole gradient; leaves nearer the loss first;
    on_end after the last one; an unreached leaf is not reported."""
    w1, w2, unused = leaf([1.0, 2.0]), leaf([3.0, -1.0]), leaf([5.0])
    seen = []
    leaves = [w1, w2, unused]
    hooks = autograd.register_grad_ready(leaves, lambda i: seen.append((i, leaves[i].grad.numpy().tolist())),
                                         lambda: seen.append("end"))
    with autograd.record():
        h = multiply(w1, w1)               # w1 used twice: 2 w1 here, and w2 below
        y = usum(add(multiply(h, w2), w1))
    y.backward()
    # dy/dw1 = 2 w1 w2 + 1, dy/dw2 = w1^2
    assert seen == [(1, [1.0, 4.0]), (0, [7.0, -3.0]), "end"]
    hooks.remove()
    seen.clear()
    with autograd.record():
        y = usum(multiply(w1, w2))
    y.backward()
    assert seen == [] and not hooks.active


def test_grad_ready_skips_grad_and_null_leaves_and_a_new_registration_displaces():
    w, z = leaf([2.0]), leaf([1.0], grad_req="null")
    seen = []
    first = autograd.register_grad_ready([w, z], seen.append)
    with autograd.record():
        y = usum(multiply(w, w))
    autograd.grad(y, [w])                  # grad() leaves .grad alone: nothing to report
    assert seen == []
    with autograd.record():
        y = usum(multiply(w, z))
    y.backward()
    assert seen == [0]                     # z ('null') gets no gradient
    other = []
    second = autograd.register_grad_ready([w], other.append)
    assert not first.active and second.active
    with autograd.record():
        y = usum(multiply(w, w))
    y.backward()
    assert seen == [0] and other == [0]
    del second                             # the engine holds registrations weakly
    import gc

    gc.collect()
    with autograd.record():
        y = usum(multiply(w, w))
    y.backward()
    assert other == [0]


def test_grad_ready_hooks_in_two_threads():
    """Each thread's backward reports its own leaves, in that thread."""
    import threading

    results = {}

    def work(k):
        w = leaf(np.arange(3.0) + k)
        seen = []
        hooks = autograd.register_grad_ready([w], lambda i: seen.append(threading.get_ident()))
        for _ in range(50):
            with autograd.record():
                y = usum(multiply(w, w))
            y.backward()
        results[k] = (seen, threading.get_ident(), hooks)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seen, ident, _ in results.values():
        assert seen == [ident] * 50
