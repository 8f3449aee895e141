"""max/avg pooling (N-d, 1-d/2-d wrappers, global) against direct-loop NumPy references; gradients by
a first-max-wins reference (ties) and finite differences; second order; argument errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.testing import assert_grad_close


# -- references (direct loops) -------------------------------------------------------------------------------

def ref_out_size(size, k, s, lo, hi, ceil_mode):
    span = size + lo + hi - k
    if ceil_mode:
        o = -(-span // s) + 1
        if (o - 1) * s >= size + lo:
            o -= 1
        return o
    return span // s + 1


def ref_windows(x_shape, kernel, stride, pads, ceil_mode):
    """Yield (output position, per-dim (start, end) clipped to the input, per-dim counted size with padding)."""
    size = x_shape[2:]
    out = tuple(ref_out_size(n, k, s, lo, hi, ceil_mode) for n, k, s, (lo, hi) in zip(size, kernel, stride, pads))
    for pos in np.ndindex(*out):
        starts = [p * s - lo for p, s, (lo, _) in zip(pos, stride, pads)]
        clipped = [(max(a, 0), min(a + k, n)) for a, k, n in zip(starts, kernel, size)]
        with_pad = [min(a + k, n + hi) - a for a, k, n, (_, hi) in zip(starts, kernel, size, pads)]
        yield pos, clipped, with_pad, out


def ref_pool(x, kernel, stride, pads, ceil_mode, mode, include_pad=True):
    res = None
    for pos, clipped, with_pad, out in ref_windows(x.shape, kernel, stride, pads, ceil_mode):
        if res is None:
            res = np.zeros(x.shape[:2] + out, dtype=np.float64)
        win = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in clipped)]
        win = win.reshape(x.shape[:2] + (int(np.prod(win.shape[2:])),))
        if mode == "max":
            v = win.max(axis=-1)
        else:
            v = win.sum(axis=-1) / (np.prod(with_pad) if include_pad else np.prod([b - a for a, b in clipped]))
        res[(slice(None), slice(None)) + pos] = v
    if res is None:  # no output positions
        out = tuple(ref_out_size(n, k, s, lo, hi, ceil_mode)
                    for n, k, s, (lo, hi) in zip(x.shape[2:], kernel, stride, pads))
        res = np.zeros(x.shape[:2] + out)
    return res


def ref_max_pool_grad(x, g, kernel, stride, pads, ceil_mode):
    """Each window's gradient goes to its first maximum (row-major order over the window)."""
    gx = np.zeros(x.shape, dtype=np.float64)
    for pos, clipped, _, _ in ref_windows(x.shape, kernel, stride, pads, ceil_mode):
        sl = tuple(slice(a, b) for a, b in clipped)
        for n, c in np.ndindex(*x.shape[:2]):
            win = x[(n, c) + sl]
            idx = np.unravel_index(np.argmax(win), win.shape)
            gx[(n, c) + tuple(a + i for (a, _), i in zip(clipped, idx))] += g[(n, c) + pos]
    return gx


# -- strategies ------------------------------------------------------------------------------------------------

@st.composite
def pool_cases(draw, max_nd=2, max_width=7, min_n=0):
    nd = draw(st.integers(1, max_nd))
    n, c = draw(st.integers(min_n, 2)), draw(st.integers(0 if min_n == 0 else 1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = None if draw(st.booleans()) else tuple(draw(st.integers(1, 3)) for _ in range(nd))
    kind = draw(st.sampled_from(["int", "dims", "pairs"]))
    if kind == "int":
        p = draw(st.integers(0, min(kernel) // 2))
        padding, pads = p, ((p, p),) * nd
    else:
        pads = tuple((draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2))) for k in kernel)
        if kind == "dims":
            pads = tuple((lo, lo) for lo, _ in pads)
            padding = tuple(lo for lo, _ in pads)
        else:
            padding = pads
    size = tuple(draw(st.integers(max(1, k - lo - hi), max_width)) for k, (lo, hi) in zip(kernel, pads))
    return (n, c) + size, kernel, stride, padding, pads, draw(st.booleans())


def _norm_stride(stride, kernel):
    return kernel if stride is None else stride


# -- max pool --------------------------------------------------------------------------------------------------

@given(pool_cases(), st.sampled_from([np.float32, np.float64, np.int32]), st.integers(0, 2 ** 16))
@settings(max_examples=60)
def test_max_pool_matches_reference(case, dtype, seed):
    shape, kernel, stride, padding, pads, ceil_mode = case
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    y = ops.max_pool(unidl.tensor(x), kernel, stride, padding, ceil_mode)
    ref = ref_pool(x.astype(np.float64), kernel, _norm_stride(stride, kernel), pads, ceil_mode, "max")
    assert y.dtype == dtype and y.shape == ref.shape
    np.testing.assert_array_equal(y.numpy(), ref.astype(dtype))


@given(pool_cases(max_width=6), st.integers(0, 2 ** 16))
@settings(max_examples=40)
def test_max_pool_gradient_routes_to_first_max_on_ties(case, seed):
    shape, kernel, stride, padding, pads, ceil_mode = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(np.float64)  # many ties
    xt = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = ops.max_pool(xt, kernel, stride, padding, ceil_mode)
    g = rng.standard_normal(y.shape)
    y.backward(unidl.tensor(g))
    ref = ref_max_pool_grad(x, g, kernel, _norm_stride(stride, kernel), pads, ceil_mode)
    np.testing.assert_allclose(xt.grad.numpy(), ref, rtol=1e-12, atol=1e-12)
    direct = ops.max_pool_grad(unidl.tensor(x), y.detach(), unidl.tensor(g), kernel, stride, padding)
    np.testing.assert_allclose(direct.numpy(), ref, rtol=1e-12, atol=1e-12)


@given(pool_cases(max_width=5, min_n=1), st.integers(0, 2 ** 16))
@settings(max_examples=20)
def test_max_pool_finite_differences(case, seed):
    shape, kernel, stride, padding, pads, ceil_mode = case
    x = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape) * 0.1  # distinct values
    assert_grad_close(lambda t: ops.max_pool(t, kernel, stride, padding, ceil_mode), x)


def test_max_pool_wrappers():
    rng = np.random.default_rng(0)
    x2 = rng.standard_normal((2, 3, 7, 6))
    y = ops.max_pool2d(unidl.tensor(x2), (3, 2), (2, 1), (1, 0), True)
    np.testing.assert_array_equal(y.numpy(), ref_pool(x2, (3, 2), (2, 1), ((1, 1), (0, 0)), True, "max"))
    x1 = x2[:, :, 0]
    y = ops.max_pool1d(unidl.tensor(x1), 2)
    np.testing.assert_array_equal(y.numpy(), ref_pool(x1, (2,), (2,), ((0, 0),), False, "max"))
    with pytest.raises(unidl.OpError, match="max_pool2d"):
        ops.max_pool2d(unidl.tensor(x1), 2)
    with pytest.raises(unidl.OpError, match="max_pool1d"):
        ops.max_pool1d(unidl.tensor(x2), 2)


@st.composite
def tiled_cases(draw):
    """Windows that tile the input exactly (stride = kernel, no padding, no remainder), more than one per map."""
    nd = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    out = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    if all(o == 1 for o in out):  # one window per map is the global pool's path
        out = (2,) + out[1:]
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (n, c) + tuple(o * k for o, k in zip(out, kernel)), kernel


def first_max_grad_bits(x, g, kernel):
    """Direct loop: each window's g at its first maximum (NaN never is one), ``g * 0`` elsewhere."""
    gx = np.empty(x.shape, dtype=g.dtype)
    for idx in np.ndindex(*g.shape):
        n, c, pos = idx[0], idx[1], idx[2:]
        sl = (n, c) + tuple(slice(p * k, (p + 1) * k) for p, k in zip(pos, kernel))
        win = x[sl]
        hit = np.zeros(win.shape, dtype=bool)
        if not np.isnan(win).any():
            hit[np.unravel_index(np.argmax(win), win.shape)] = True
        gx[sl] = g[idx] * hit
    return gx


@given(tiled_cases(), st.booleans(), st.integers(0, 2 ** 16))
@settings(max_examples=60)
def test_max_pool_grad_tiled_windows_bitwise(own_cpu_kernel, case, n_last, seed):
    shape, kernel = case
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, shape).astype(np.float32)  # many ties
    if seed % 4 == 0:
        x.flat[rng.integers(x.size)] = np.nan
    if n_last:  # the memory a convolution's output has: (C, *S, N)
        x = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 0, -1)), -1, 0)
    xt = unidl.from_numpy(x)  # shares x's memory (and its order)
    xt.attach_grad()
    with unidl.record():
        y = ops.max_pool(xt, kernel)
    g = rng.standard_normal(y.shape).astype(np.float32)
    g.flat[0] = -1.5  # a negative gradient: its window's other positions get -0.0
    y.backward(unidl.tensor(g))
    want = first_max_grad_bits(x, g, kernel)
    got = xt.grad.numpy()
    assert got.dtype == np.float32
    assert np.ascontiguousarray(got).tobytes() == want.tobytes()
    if n_last and 1 not in shape and own_cpu_kernel("max_pool_grad"):
        assert xt.grad.data.strides == x.strides  # the cpu kernel keeps the input's memory order


def test_max_pool_large_lenet_shapes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 28, 28)).astype(np.float32)
    xt = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = ops.max_pool2d(xt, 2)
    np.testing.assert_array_equal(y.numpy(), ref_pool(x, (2, 2), (2, 2), ((0, 0), (0, 0)), False, "max"))
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(unidl.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), ref_max_pool_grad(x, g, (2, 2), (2, 2), ((0, 0), (0, 0)), False))


# -- avg pool --------------------------------------------------------------------------------------------------

@given(pool_cases(), st.booleans(), st.sampled_from([np.float32, np.float64]), st.integers(0, 2 ** 16))
@settings(max_examples=60)
def test_avg_pool_matches_reference(case, include_pad, dtype, seed):
    shape, kernel, stride, padding, pads, ceil_mode = case
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    y = ops.avg_pool(unidl.tensor(x), kernel, stride, padding, ceil_mode, include_pad)
    ref = ref_pool(x.astype(np.float64), kernel, _norm_stride(stride, kernel), pads, ceil_mode, "avg", include_pad)
    assert y.dtype == dtype and y.shape == ref.shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), ref, rtol=tol, atol=tol)


@given(pool_cases(max_width=5, min_n=1), st.booleans(), st.integers(0, 2 ** 16))
@settings(max_examples=25)
def test_avg_pool_gradients(case, include_pad, seed):
    shape, kernel, stride, padding, pads, ceil_mode = case
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_grad_close(lambda t: ops.avg_pool(t, kernel, stride, padding, ceil_mode, include_pad), x)
    # the public gradient op agrees with autograd
    xt = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = ops.avg_pool(xt, kernel, stride, padding, ceil_mode, include_pad)
    g = np.random.default_rng(seed + 1).standard_normal(y.shape)
    y.backward(unidl.tensor(g))
    direct = ops.avg_pool_grad(unidl.tensor(g), shape[2:], kernel, stride, padding, ceil_mode, include_pad)
    np.testing.assert_allclose(direct.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_avg_pool_wrappers():
    rng = np.random.default_rng(2)
    x2 = rng.standard_normal((1, 2, 5, 7))
    y = ops.avg_pool2d(unidl.tensor(x2), 3, 2, 1, ceil_mode=True, count_include_pad=False)
    ref = ref_pool(x2, (3, 3), (2, 2), ((1, 1), (1, 1)), True, "avg", False)
    np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    y = ops.avg_pool1d(unidl.tensor(x2[:, :, 0]), 2, 1)
    np.testing.assert_allclose(y.numpy(), ref_pool(x2[:, :, 0], (2,), (1,), ((0, 0),), False, "avg"), atol=1e-12)


# -- global ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 2, 7), (0, 2, 3, 3), (2, 0, 3), (1, 1, 1, 1), (2, 2, 2, 3, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pools(shape, keepdims):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape)
    axes = tuple(range(2, len(shape)))
    ymax = ops.global_max_pool(unidl.tensor(x), keepdims=keepdims)
    yavg = ops.global_avg_pool(unidl.tensor(x), keepdims=keepdims)
    if x.size:
        np.testing.assert_array_equal(ymax.numpy(), x.max(axis=axes, keepdims=keepdims))
        np.testing.assert_allclose(yavg.numpy(), x.mean(axis=axes, keepdims=keepdims), atol=1e-12)
    expect = shape[:2] + ((1,) * len(axes) if keepdims else ())
    assert ymax.shape == expect and yavg.shape == expect
    if 0 < x.size <= 30:
        assert_grad_close(lambda t: ops.global_avg_pool(t, keepdims=keepdims), x)
        assert_grad_close(lambda t: ops.global_max_pool(t, keepdims=keepdims), x)


def test_global_max_pool_ties_first_max():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    xt = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = ops.global_max_pool(xt)
    y.backward(unidl.tensor(np.array([[2.0]])))
    np.testing.assert_array_equal(xt.grad.numpy(), [[[[0.0, 2.0], [0.0, 0.0]]]])


# -- second order ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pool_second_order(pool):
    rng = np.random.default_rng(4)
    x0 = rng.permutation(18).reshape(1, 2, 3, 3) * 0.1
    head = unidl.tensor(rng.standard_normal((1, 2, 2, 2)))
    fn = ops.max_pool2d if pool == "max" else ops.avg_pool2d

    def f(x):
        if not x.requires_grad:
            x.requires_grad_()
        with unidl.record():
            y = fn(x, 2, 1)
            (gx,) = unidl.autograd.grad(y, [x], head_grads=head * y, create_graph=True)
        return gx

    assert_grad_close(f, x0, rtol=1e-4, atol=1e-6)


# -- errors ------------------------------------------------------------------------------------------------------

def _t(shape, dtype=np.float64):
    return unidl.tensor(np.zeros(shape, dtype))


def test_pool_kernel_larger_than_padded_input():
    with pytest.raises(unidl.OpError) as e:
        ops.max_pool2d(_t((1, 2, 3, 4)), (2, 5))
    msg = str(e.value)
    assert msg.startswith("max_pool2d:") and "larger than the padded input" in msg and "(1, 2, 3, 4)" in msg
    with pytest.raises(unidl.OpError, match=r"avg_pool:.*larger than the padded input.*\(1, 1, 1\)"):
        ops.avg_pool(_t((1, 1, 1)), 4, padding=1)


@pytest.mark.parametrize("call,match", [
    (lambda: ops.max_pool(_t((1, 1, 6)), 2, padding=2), "at most half the kernel"),
    (lambda: ops.max_pool(_t((1, 1, 6)), 2, stride=0), "stride"),
    (lambda: ops.max_pool(_t((1, 1, 6)), (2, 2)), "kernel"),
    (lambda: ops.max_pool(_t((1, 6)), 2), "spatial"),
    (lambda: ops.max_pool(_t((1, 1, 6), np.bool_), 2), "numeric"),
    (lambda: ops.avg_pool(_t((1, 1, 6), np.int64), 2), "floating"),
    (lambda: ops.avg_pool_grad(_t((1, 1, 2)), (6,), 2), "spatial size"),
    (lambda: ops.global_max_pool(_t((1, 1, 0))), "empty"),
    (lambda: ops.global_avg_pool(_t((3,))), "global_avg_pool"),
])
def test_pool_argument_errors(call, match):
    with pytest.raises(unidl.OpError, match=match):
        call()
