"""unidl.capture: a captured function replays exactly the kernel calls eager execution makes.

Every check compares a captured call with the same function run eagerly on the same values: outputs, input
and parameter gradients and in-place effects must be bitwise equal, on every call (recorded, validated and
replayed ones)."""
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import autograd, ops
from unidl.capture import CapturedFunction, CaptureWarning
from unidl.tensor import Tensor


def _params(rng, shapes):
    return [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes]


def _mlp(params):
    W1, b1, W2 = params

    def fn(x):
        h = ops.relu(ops.matmul(x, W1) + b1)
        return [ops.matmul(h, W2)], "one"

    return fn


def _step(fn, x, y, params):
    with autograd.record():
        outs, _ = fn(x)
        loss = ops.mean(ops.softmax_cross_entropy(outs[0], y))
    loss.backward()
    return loss.numpy(), [p.grad.numpy().copy() for p in params]


def _same(a, b):
    assert np.array_equal(a[0], b[0])
    for ga, gb in zip(a[1], b[1]):
        assert ga.dtype == gb.dtype and np.array_equal(ga, gb)


def test_replay_is_bitwise_eager_and_goes_record_record_replay():
    rng = np.random.default_rng(0)
    params = _params(rng, [(20, 16), (16,), (16, 5)])
    fn = _mlp(params)
    cap = CapturedFunction(fn, lambda: params, "mlp")
    y = Tensor(rng.integers(0, 5, 8))
    modes = []
    for i in range(5):
        x = Tensor(rng.standard_normal((8, 20)).astype(np.float32))
        with autograd.record():
            modes.append(cap.mode(x))
        _same(_step(fn, x, y, params), _step(cap, x, y, params))
    assert modes == ["record", "record", "replay", "replay", "replay"]


def test_scalar_results_replay_as_the_kernels_made_them():
    """A 0-d result (NumPy's ufuncs give scalars on 0-d arrays: a mean loss divided by a count) is the kernel's
    output, not a constant: the call replays, and the replayed loss and gradients follow new inputs bitwise."""
    rng = np.random.default_rng(4)
    params = _params(rng, [(6, 3)])

    def fn(x):
        loss = ops.divide(ops.sum(ops.square(ops.matmul(x, params[0]))), Tensor(np.float32(7.0)))
        return [loss], None

    cap = CapturedFunction(fn, lambda: params, "scalar loss")
    modes = []
    for _ in range(4):
        x = Tensor(rng.standard_normal((5, 6)).astype(np.float32))
        runs = []
        for f in (fn, cap):
            with autograd.record():
                if f is cap:
                    modes.append(cap.mode(x))
                (loss,), _ = f(x)
            loss.backward()
            runs.append((np.asarray(loss.numpy()).tobytes(), params[0].grad.numpy().tobytes()))
        assert runs[0] == runs[1]
    assert modes == ["record", "record", "replay", "replay"]


def test_replay_reads_the_parameters_current_arrays():
    rng = np.random.default_rng(1)
    params = _params(rng, [(6, 4), (4,), (4, 3)])
    fn = _mlp(params)
    cap = CapturedFunction(fn, lambda: params)
    x = Tensor(rng.standard_normal((2, 6)).astype(np.float32))
    for _ in range(3):
        cap(x)
    params[0].data = params[0].data * 2  # a new array, as an optimizer or a load would give
    assert cap.mode(x) == "replay"
    assert np.array_equal(cap(x)[0][0].numpy(), fn(x)[0][0].numpy())


def test_inference_replays_without_a_graph():
    rng = np.random.default_rng(2)
    params = _params(rng, [(6, 4), (4,), (4, 3)])
    cap = CapturedFunction(_mlp(params), lambda: params)
    x = Tensor(rng.standard_normal((2, 6)).astype(np.float32))
    for _ in range(3):
        out = cap(x)[0][0]
    assert cap.mode(x) == "replay" and out._node is None and not out.requires_grad


def test_value_dependent_work_falls_back_with_one_warning_and_stays_right():
    rng = np.random.default_rng(3)
    w = Tensor(rng.standard_normal((4,)).astype(np.float32), requires_grad=True)

    def fn(x):
        s = ops.sum(x)
        return [x * w if s.item() > 0 else x - w], None

    cap = CapturedFunction(fn, lambda: [w], "branchy")
    x = Tensor(np.ones(4, np.float32))
    with pytest.warns(CaptureWarning, match="branchy.*read on the host"):
        cap(x)
    assert cap.mode(x) == "eager"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for sign in (1, -1):
            xs = Tensor(np.full(4, sign, np.float32))
            assert np.array_equal(cap(xs)[0][0].numpy(), fn(xs)[0][0].numpy())


def test_different_work_between_two_calls_falls_back():
    state = {"n": 0}
    w = Tensor(np.ones(3, np.float32))

    def fn(x):
        state["n"] += 1
        return [x * float(state["n"]) + w], None  # an attribute that changes per call

    cap = CapturedFunction(fn, lambda: [w], "counting")
    x = Tensor(np.ones(3, np.float32))
    cap(x)
    with pytest.warns(CaptureWarning, match="different work"):
        cap(x)
    assert np.array_equal(cap(x)[0][0].numpy(), np.full(3, 4, np.float32))


def test_random_draws_replay_the_eager_stream():
    w = Tensor(np.ones((16, 16), np.float32), requires_grad=True)

    def fn(x):
        return [ops.dropout(ops.matmul(x, w), 0.5, training=True)], None

    cap = CapturedFunction(fn, lambda: [w])
    x = Tensor(np.arange(64, dtype=np.float32).reshape(4, 16))
    unidl.random.seed(7)
    eager = [fn(x)[0][0].numpy() for _ in range(4)]
    unidl.random.seed(7)
    got = [cap(x)[0][0].numpy() for _ in range(4)]
    assert cap.mode(x) == "replay"
    for a, b in zip(eager, got):
        assert np.array_equal(a, b)
    assert not np.array_equal(got[2], got[3])  # fresh masks on every replay


def test_in_place_effects_are_replayed():
    running = Tensor(np.zeros(3, np.float32))
    gamma = Tensor(np.ones(3, np.float32), requires_grad=True)

    def fn(x):
        y = ops.batch_norm(x, gamma, None, running, None, axis=1, training=True, momentum=0.5)
        return [y], None

    cap = CapturedFunction(fn, lambda: [gamma, running])
    x = Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    modes = []
    for _ in range(4):
        with autograd.record():
            modes.append(cap.mode(x))
            y = cap(x)[0][0]
            loss = ops.sum(y * y)
        loss.backward()
    assert modes == ["record", "record", "replay", "replay"]
    expect = np.zeros(3, np.float32)
    mean = x.numpy().mean(axis=0)
    for _ in range(4):
        expect = expect * np.float32(0.5) + mean * np.float32(0.5)
    np.testing.assert_allclose(running.numpy(), expect, rtol=1e-6)


def test_setitem_inside_is_replayed():
    buf = Tensor(np.zeros(4, np.float32))

    def fn(x):
        y = x * 2.0
        buf[1:3] = y[:2]
        return [y], None

    cap = CapturedFunction(fn, lambda: [buf])
    for i in range(4):
        x = Tensor(np.full(4, i, np.float32))
        cap(x)
        assert np.array_equal(buf.numpy(), [0, 2 * i, 2 * i, 0])
    assert cap.mode(x) == "replay"


def test_one_output_then_both_outputs_get_gradients():
    rng = np.random.default_rng(4)
    w = Tensor(rng.standard_normal((5, 5)).astype(np.float32), requires_grad=True)

    def fn(x):
        h = ops.matmul(x, w)
        return [ops.tanh(h), ops.sum(ops.sigmoid(h) * h, axis=1)], None

    cap = CapturedFunction(fn, lambda: [w])
    x = Tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)

    def grads(f, both):
        with autograd.record():
            (h, s), _ = f(x)
            loss = ops.sum(h * h) + (ops.sum(s) if both else 0.0)
        loss.backward()
        return w.grad.numpy().copy(), x.grad.numpy().copy()

    for _ in range(3):
        a, b = grads(fn, False), grads(cap, False)
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
    with autograd.record():
        assert cap.mode(x) == "replay"
    for _ in range(2):  # a combination never recorded: the call runs again from its saved inputs, still exact
        a, b = grads(fn, True), grads(cap, True)
        assert all(np.array_equal(u, v) for u, v in zip(a, b))


def test_outputs_that_feed_one_another_run_eagerly():
    w = Tensor(np.array([0.5, 1.5, -2.0], np.float32), requires_grad=True)

    def fn(x):
        h = ops.tanh(x * w)
        return [h, ops.sum(h * h)], None

    cap = CapturedFunction(fn, lambda: [w], "chained")
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    with pytest.warns(CaptureWarning, match="chained.*computed from another output"):
        with autograd.record():
            cap(x)
    res = []
    for f in (fn, cap):
        with autograd.record():
            h, s = f(x)[0]
            loss = ops.sum(h) + s
        loss.backward()
        res.append(w.grad.numpy().copy())
    assert np.array_equal(res[0], res[1])


def test_second_order_gradient_through_a_replayed_call():
    w = Tensor(np.array([0.5, -1.5, 2.0], np.float32), requires_grad=True)

    def fn(x):
        return [x * x * w], None

    cap = CapturedFunction(fn, lambda: [w])
    for _ in range(3):
        x = Tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
        with autograd.record():
            y = ops.sum(cap(x)[0][0])
            (gx,) = autograd.grad(y, [x], create_graph=True)
            z = ops.sum(gx)
        z.backward()
        assert np.array_equal(x.grad.numpy(), 2 * w.numpy())


def test_replay_issues_the_eager_kernel_trace():
    rng = np.random.default_rng(5)
    params = _params(rng, [(12, 8), (8,), (8, 4)])
    fn = _mlp(params)
    cap = CapturedFunction(fn, lambda: params)
    x = Tensor(rng.standard_normal((4, 12)).astype(np.float32))
    y = Tensor(rng.integers(0, 4, 4))
    for _ in range(3):
        _step(cap, x, y, params)
    with unidl.trace.kernel_trace() as eager:
        _step(fn, x, y, params)
    with unidl.trace.kernel_trace() as replayed:
        _step(cap, x, y, params)
    a, b = unidl.trace.arithmetic(eager), unidl.trace.arithmetic(replayed)
    assert unidl.trace.first_difference(a, b) is None and len(a) > 5


def test_other_threads_calls_are_not_recorded():
    w = Tensor(np.ones(4, np.float32))
    started, release = threading.Event(), threading.Event()
    seen = []

    def fn(x):
        started.set()
        release.wait(5)
        return [x + w], None

    def other():
        started.wait(5)
        seen.append((ops.exp(Tensor(np.zeros(4, np.float32)))).numpy())
        release.set()

    cap = CapturedFunction(fn, lambda: [w])
    t = threading.Thread(target=other)
    t.start()
    cap(Tensor(np.ones(4, np.float32)))
    t.join()
    release.set()
    for _ in range(2):
        out = cap(Tensor(np.full(4, 3, np.float32)))[0][0]
    assert cap.mode(Tensor(np.ones(4, np.float32))) == "replay"
    assert np.array_equal(out.numpy(), np.full(4, 4, np.float32)) and np.array_equal(seen[0], np.ones(4))


_UNARY = ["exp", "tanh", "sigmoid", "relu", "square", "negative"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(_UNARY), min_size=1, max_size=6), st.integers(1, 5), st.integers(1, 6),
       st.integers(0, 2**31 - 1))
def test_random_op_chains_replay_bitwise(chain, n, m, seed):
    rng = np.random.default_rng(seed)
    w = Tensor(rng.standard_normal((m,)).astype(np.float32), requires_grad=True)

    def fn(x):
        h = x * w
        for name in chain:
            h = getattr(ops, name)(h)
        return [ops.sum(h, axis=0)], None

    cap = CapturedFunction(fn, lambda: [w])
    for _ in range(3):
        x = Tensor(rng.standard_normal((n, m)).astype(np.float32), requires_grad=True)
        res = []
        for f in (fn, cap):
            with autograd.record():
                out = f(x)[0][0]
                loss = ops.sum(out * out)
            loss.backward()
            res.append((out.numpy(), w.grad.numpy().copy(), x.grad.numpy().copy()))
        for a, b in zip(*res):
            assert np.array_equal(a, b, equal_nan=True)


def test_a_second_backward_through_recorded_and_replayed_calls_gives_eager_gradients():
    rng = np.random.default_rng(9)
    params = _params(rng, [(6, 5), (5,), (5, 3)])
    fn = _mlp(params)
    cap = CapturedFunction(fn, lambda: params)
    x = Tensor(rng.standard_normal((4, 6)).astype(np.float32))
    heads = [Tensor(rng.standard_normal((4, 3)).astype(np.float32)) for _ in range(2)]

    def twice(f):
        for p in params:
            p.grad = None
        with autograd.record():
            out = f(x)[0][0]
        out.backward(heads[0], retain_graph=True)
        first = [p.grad.numpy().copy() for p in params]
        out.backward(heads[1])
        return first + [p.grad.numpy().copy() for p in params]

    eager = twice(fn)
    for i in range(4):  # recorded, recorded, replayed, replayed
        got = twice(cap)
        assert all(np.array_equal(a, b) for a, b in zip(eager, got)), f"call {i}"
