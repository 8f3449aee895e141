"""unidl.capture_fuse: a captured relu followed by max-pool pools first and runs relu and relu_grad on the pooled
map, and its outputs and gradients stay bitwise those of eager execution: NaNs, infinities and signed zeros
included."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import autograd, ops
from unidl.capture import CapturedFunction
from unidl.tensor import Tensor

SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf, np.nan]


def _relu_pool(kernel, stride, channels_last=False):
    def fn(x):
        y = ops.relu(x)
        if channels_last:  # as the Keras face pools an (N, H, W, C) map
            p = ops.transpose(ops.max_pool(ops.transpose(y, (0, 3, 1, 2)), kernel, stride), (0, 2, 3, 1))
        else:
            p = ops.max_pool(y, kernel, stride)
        return [p], None

    return fn


def _grad(fn, x, head):
    xt = Tensor(x, requires_grad=True)
    with autograd.record():
        out = fn(xt)[0][0]
    out.backward(Tensor(head))
    return out.numpy().copy(), xt.grad.numpy().copy()


def _bits(a):
    return np.ascontiguousarray(a).tobytes()


def _check(fn, x, head_of):
    """Three captured calls (record, validate, replay) against eager, bitwise; the kernel trace of the replay."""
    cap = CapturedFunction(fn, lambda: [])
    for i in range(3):
        eager = _grad(fn, x, head_of(i))
        if i == 2:
            with unidl.trace.kernel_trace() as calls:
                got = _grad(cap, x, head_of(i))
        else:
            got = _grad(cap, x, head_of(i))
        assert _bits(got[0]) == _bits(eager[0]), f"call {i}: outputs differ"
        assert _bits(got[1]) == _bits(eager[1]), f"call {i}: input gradients differ"
    return calls


def _relu_grad_shapes(calls):
    return [c.operands[0][2] for c in calls if c.op == "relu_grad" and not c.depth]


def _relu_shapes(calls):
    return [c.operands[0][2] for c in calls if c.op == "relu" and not c.depth]


@pytest.mark.parametrize("channels_last", [False, True])
def test_relu_grad_runs_on_the_pooled_map_and_gradients_are_eager_bits(relu_pool_folds, channels_last):
    rng = np.random.default_rng(0)
    shape = (3, 11, 11, 4) if channels_last else (3, 4, 11, 11)  # 11 = 5 windows of 2 and one row/column left
    x = rng.standard_normal(shape).astype(np.float32)
    x[0, 0, :4, :4] = 0.0
    x[1, 1, :4, :4] = -0.0
    pooled = (3, 5, 5, 4) if channels_last else (3, 4, 5, 5)
    heads = [rng.standard_normal(pooled).astype(np.float32) for _ in range(3)]
    heads[2][0, 0, 0, 0] = -0.0
    heads[2][1, 1, 1, 1] = np.inf
    calls = _check(_relu_pool(2, 2, channels_last), x, lambda i: heads[i])
    want = (3, 4, 5, 5) if relu_pool_folds else shape  # the pooled map as the pooling kernel sees it, or eager's
    assert _relu_grad_shapes(calls) == [want]
    assert _relu_shapes(calls) == [want]  # the forward pooled first


@pytest.mark.parametrize("where", ["in_a_window", "past_the_windows"])
def test_a_nan_in_the_map_replays_the_eager_calls(where):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    if where == "in_a_window":
        x[0, 1, 2, 3] = np.nan
    else:
        x[1, 2, 6, 1] = np.nan  # row 6: past the two windows of 3
    head = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
    calls = _check(_relu_pool(3, 3), x, lambda i: head)
    assert _relu_grad_shapes(calls) == [(2, 3, 7, 7)]  # eager's order: relu_grad on the full map


def test_overlapping_windows_are_not_rewritten():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    head = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    calls = _check(_relu_pool(3, 2), x, lambda i: head)
    assert _relu_grad_shapes(calls) == [(2, 3, 9, 9)]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 7), st.integers(1, 7), st.booleans(), st.integers(0, 2 ** 32 - 1),
       st.floats(0, 1))
def test_random_maps_with_special_values_replay_bitwise(k, h, w, channels_last, seed, special):
    rng = np.random.default_rng(seed)
    h, w = max(h, k), max(w, k)
    shape = (2, h, w, 3) if channels_last else (2, 3, h, w)
    x = rng.standard_normal(shape).astype(np.float32)
    pick = rng.random(shape) < special * 0.5
    x[pick] = rng.choice(np.array(SPECIAL, np.float32), int(pick.sum()))
    x[rng.random(shape) < 0.2] = 0.0  # ties at zero
    out = (2, h // k, w // k, 3) if channels_last else (2, 3, h // k, w // k)
    heads = []
    for _ in range(3):
        g = rng.standard_normal(out).astype(np.float32)
        gp = rng.random(out) < special * 0.3
        g[gp] = rng.choice(np.array(SPECIAL, np.float32), int(gp.sum()))
        heads.append(g)
    _check(_relu_pool(k, k, channels_last), x, lambda i: heads[i])


def test_a_relu_output_read_elsewhere_is_computed_in_full_and_replays_bitwise():
    def fn(x):
        y = ops.relu(x)
        return [ops.max_pool(y, 2, 2), ops.sum(y, axis=(2, 3))], None

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    cap = CapturedFunction(fn, lambda: [])
    heads = (rng.standard_normal((2, 3, 3, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32))

    def grads(f):
        xt = Tensor(x, requires_grad=True)
        with autograd.record():
            p, s = f(xt)[0]
        autograd.backward([p, s], [Tensor(heads[0]), Tensor(heads[1])])
        return p.numpy().copy(), s.numpy().copy(), xt.grad.numpy().copy()

    for _ in range(2):
        grads(cap)
    eager = grads(fn)
    with unidl.trace.kernel_trace() as calls:
        got = grads(cap)
    assert all(_bits(a) == _bits(b) for a, b in zip(eager, got))
    assert _relu_shapes(calls) == [(2, 3, 6, 6)]  # the relu output is summed too: computed in full



def test_calls_made_before_the_first_backward_compiles_give_eager_bits(relu_pool_folds):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    head = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    fn = _relu_pool(2, 2)
    cap = CapturedFunction(fn, lambda: [])
    eager = _grad(fn, x, head)
    assert all(_bits(a) == _bits(b) for a, b in zip(eager, _grad(cap, x, head)))  # recorded
    xs = [Tensor(x, requires_grad=True) for _ in range(2)]
    with autograd.record():
        outs = [cap(t)[0][0] for t in xs]  # both before the backward that compiles the plan
    for t, o in zip(xs, outs):
        o.backward(Tensor(head))
        assert _bits(o.numpy()) == _bits(eager[0]) and _bits(t.grad.numpy()) == _bits(eager[1])
    with unidl.trace.kernel_trace() as calls:
        got = _grad(cap, x, head)
    assert all(_bits(a) == _bits(b) for a, b in zip(eager, got))
    want = (2, 3, 4, 4) if relu_pool_folds else (2, 3, 8, 8)
    assert _relu_shapes(calls) == [want] and _relu_grad_shapes(calls) == [want]
