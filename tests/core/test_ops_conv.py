"""conv / conv_transpose / conv_weight_grad against direct-loop NumPy references, gradients by finite
differences, second-order gradients, and argument errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.testing import assert_grad_close


# -- references (direct loops) -------------------------------------------------------------------------------

def ref_conv(x, w, b, stride, pads, dil, groups):
    n, c = x.shape[:2]
    o, ks = w.shape[0], w.shape[2:]
    nd = len(ks)
    xp_ = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    out = tuple((xp_.shape[2 + i] - dil[i] * (ks[i] - 1) - 1) // stride[i] + 1 for i in range(nd))
    y = np.zeros((n, o) + out, dtype=np.float64)
    cg, og = c // groups, o // groups
    for pos in np.ndindex(*out):
        for g in range(groups):
            for kpos in np.ndindex(*ks):
                idx = tuple(p * s + k * d for p, s, k, d in zip(pos, stride, kpos, dil))
                xv = xp_[(slice(None), slice(g * cg, (g + 1) * cg)) + idx]
                wv = w[(slice(g * og, (g + 1) * og), slice(None)) + kpos]
                y[(slice(None), slice(g * og, (g + 1) * og)) + pos] += xv @ wv.T
    if b is not None:
        y += b.reshape((1, o) + (1,) * nd)
    return y


def ref_conv_transpose(x, w, b, stride, pads, out_pad, dil, groups):
    n, c = x.shape[:2]
    size, ks = x.shape[2:], w.shape[2:]
    og = w.shape[1]
    o, cg = og * groups, c // groups
    full = tuple((s - 1) * st_ + d * (k - 1) + 1 for s, st_, d, k in zip(size, stride, dil, ks))
    final = tuple(f - lo - hi + op for f, (lo, hi), op in zip(full, pads, out_pad))
    yf = np.zeros((n, o) + tuple(max(f, lo + fi) for f, (lo, _), fi in zip(full, pads, final)))
    for pos in np.ndindex(*size):
        for g in range(groups):
            for kpos in np.ndindex(*ks):
                idx = tuple(p * s + k * d for p, s, k, d in zip(pos, stride, kpos, dil))
                xv = x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos]
                wv = w[(slice(g * cg, (g + 1) * cg), slice(None)) + kpos]
                yf[(slice(None), slice(g * og, (g + 1) * og)) + idx] += xv @ wv
    y = yf[(slice(None), slice(None)) + tuple(slice(lo, lo + fi) for (lo, _), fi in zip(pads, final))]
    if b is not None:
        y = y + b.reshape((1, o) + (1,) * len(size))
    return y


# -- strategies ------------------------------------------------------------------------------------------------

@st.composite
def conv_cases(draw, max_nd=3, max_width=6, small=False):
    """(x_shape, w_shape, stride, padding argument, normalised pads, dilation, groups, has_bias)."""
    nd = draw(st.integers(1, max_nd))
    groups = draw(st.integers(1, 2))
    cg = draw(st.integers(1, 2))
    og = draw(st.integers(1, 2))
    n = draw(st.integers(0 if not small else 1, 2 if not small else 1))
    ks = tuple(draw(st.integers(1, 3 if nd < 3 else 2)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    kind = draw(st.sampled_from(["int", "dims", "pairs"]))
    if kind == "int":
        p = draw(st.integers(0, 2))
        padding, pads = p, ((p, p),) * nd
    elif kind == "dims":
        ps = tuple(draw(st.integers(0, 2)) for _ in range(nd))
        padding, pads = ps, tuple((p, p) for p in ps)
    else:
        pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd))
        padding = pads
    size = []
    for i, (k, d, (lo, hi)) in enumerate(zip(ks, dil, pads)):
        eff = d * (k - 1) + 1
        top = max_width if i == nd - 1 else (4 if nd < 3 else 3)
        lo_size = max(0, eff - lo - hi)
        size.append(draw(st.integers(lo_size, max(lo_size, top))))
    x_shape = (n, cg * groups) + tuple(size)
    w_shape = (og * groups, cg) + ks
    return x_shape, w_shape, stride, padding, pads, dil, groups, draw(st.booleans())


def _rand(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# -- conv --------------------------------------------------------------------------------------------------------

@given(conv_cases(max_width=20), st.sampled_from([np.float32, np.float64]), st.integers(0, 2 ** 16))
@settings(max_examples=60)
def test_conv_matches_reference(case, dtype, seed):
    xs, ws, stride, padding, pads, dil, groups, has_b = case
    rng = np.random.default_rng(seed)
    x, w, b = _rand(rng, xs, dtype), _rand(rng, ws, dtype), _rand(rng, ws[:1], dtype)
    y = ops.conv(unidl.tensor(x), unidl.tensor(w), unidl.tensor(b) if has_b else None,
                 stride=stride, padding=padding, dilation=dil, groups=groups)
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), b if has_b else None, stride, pads, dil, groups)
    assert y.dtype == dtype
    assert y.shape == ref.shape
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.numpy(), ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("fn,nd", [(ops.conv1d, 1), (ops.conv2d, 2), (ops.conv3d, 3)])
def test_conv_wrappers(fn, nd):
    rng = np.random.default_rng(nd)
    x, w, b = _rand(rng, (2, 4) + (5,) * nd), _rand(rng, (6, 2) + (3,) * nd), _rand(rng, (6,))
    y = fn(unidl.tensor(x), unidl.tensor(w), unidl.tensor(b), stride=2, padding=1, dilation=1, groups=2)
    ref = ref_conv(x, w, b, (2,) * nd, ((1, 1),) * nd, (1,) * nd, 2)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-10)
    with pytest.raises(unidl.OpError, match=fn.__name__):
        fn(unidl.tensor(np.zeros((2, 4) + (5,) * (nd + 1))), unidl.tensor(w))


@pytest.mark.parametrize("width", [3, 40])
def test_conv_layouts_and_gradients_agree(width):
    rng = np.random.default_rng(width)
    x, w, b = _rand(rng, (2, 2, 3, width)), _rand(rng, (4, 1, 2, 3)), _rand(rng, (4,))
    kw = dict(stride=(1, 2), padding=((1, 0), (2, 1)), dilation=(2, 1), groups=2)
    y = ops.conv2d(unidl.tensor(x), unidl.tensor(w), unidl.tensor(b), **kw)
    np.testing.assert_allclose(y.numpy(), ref_conv(x, w, b, (1, 2), ((1, 0), (2, 1)), (2, 1), 2), atol=1e-10)
    # gradients of a big-ish case, against the references (finite differences would be slow here)
    xt, wt, bt = (unidl.tensor(a, requires_grad=True) for a in (x, w, b))
    with unidl.record():
        y = ops.conv2d(xt, wt, bt, **kw)
    g = _rand(rng, y.shape)
    y.backward(unidl.tensor(g))
    # output_padding that brings conv_transpose back to x's size (undoes the floor in conv's output size)
    op = tuple(n + lo + hi - d * (k - 1) - 1 - (o - 1) * s for n, (lo, hi), d, k, o, s in
               zip(x.shape[2:], ((1, 0), (2, 1)), (2, 1), w.shape[2:], y.shape[2:], (1, 2)))
    gx = ref_conv_transpose(g, w, None, (1, 2), ((1, 0), (2, 1)), op, (2, 1), 2)
    np.testing.assert_allclose(xt.grad.numpy(), gx, atol=1e-10)
    np.testing.assert_allclose(bt.grad.numpy(), g.sum(axis=(0, 2, 3)), atol=1e-10)
    gw = np.zeros_like(w)
    eps = 1e-6
    for i in np.ndindex(*w.shape):  # d/dw of sum(y * g), by the reference
        wp = w.copy()
        wp[i] += eps
        gw[i] = ((ref_conv(x, wp, b, (1, 2), ((1, 0), (2, 1)), (2, 1), 2)
                  - ref_conv(x, w, b, (1, 2), ((1, 0), (2, 1)), (2, 1), 2)) * g).sum() / eps
    np.testing.assert_allclose(wt.grad.numpy(), gw, rtol=1e-4, atol=1e-4)


@given(conv_cases(max_nd=2, max_width=4, small=True), st.integers(0, 2 ** 16))
@settings(max_examples=25)
def test_conv_gradients(case, seed):
    xs, ws, stride, padding, pads, dil, groups, has_b = case
    rng = np.random.default_rng(seed)
    arrays = [_rand(rng, xs), _rand(rng, ws)] + ([_rand(rng, ws[:1])] if has_b else [])
    assert_grad_close(lambda *t: ops.conv(*t, stride=stride, padding=padding, dilation=dil, groups=groups),
                      *arrays)


def test_conv_size0_dims():
    for xs, ws, pad in [((0, 2, 4, 4), (3, 2, 3, 3), 0), ((2, 0, 4), (3, 0, 2), 0),
                        ((1, 1, 0), (2, 1, 3), 2)]:
        x, w = np.ones(xs), np.ones(ws)
        xt, wt = unidl.tensor(x, requires_grad=True), unidl.tensor(w, requires_grad=True)
        with unidl.record():
            y = ops.conv(xt, wt, padding=pad)
        ref = ref_conv(x, w, None, (1,) * (len(xs) - 2), ((pad, pad),) * (len(xs) - 2), (1,) * (len(xs) - 2), 1)
        assert y.shape == ref.shape
        np.testing.assert_allclose(y.numpy(), ref)
        y.backward(unidl.tensor(np.ones(y.shape)))
        assert xt.grad.shape == xs and wt.grad.shape == ws


def test_conv_same_padding_is_tensorflow_same():
    rng = np.random.default_rng(0)
    for size, k, s in [(7, 3, 1), (7, 4, 1), (8, 3, 2), (5, 2, 3)]:
        x, w = _rand(rng, (1, 1, size)), _rand(rng, (1, 1, k))
        y = ops.conv1d(unidl.tensor(x), unidl.tensor(w), stride=s, padding="same")
        assert y.shape[2] == -(-size // s)
        total = max((y.shape[2] - 1) * s + k - size, 0)
        ref = ref_conv(x, w, None, (s,), ((total // 2, total - total // 2),), (1,), 1)
        np.testing.assert_allclose(y.numpy(), ref, atol=1e-12)
    y = ops.conv1d(unidl.tensor(x), unidl.tensor(w), padding="valid")
    np.testing.assert_allclose(y.numpy(), ref_conv(x, w, None, (1,), ((0, 0),), (1,), 1), atol=1e-12)


# -- conv_transpose --------------------------------------------------------------------------------------------

@st.composite
def conv_transpose_cases(draw, max_nd=3, max_width=6, small=False):
    xs, ws, stride, padding, pads, dil, groups, has_b = draw(conv_cases(max_nd, max_width, small))
    nd = len(stride)
    ws = (xs[1], ws[0] // groups) + ws[2:]  # (C_in, O/groups, *K)
    out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dil))
    xs = xs[:2] + tuple(max(n, 1) for n in xs[2:])
    # keep the output size >= 0
    pads = tuple((lo, hi) if (n - 1) * s + d * (k - 1) + 1 - lo - hi + op >= 0 else (0, 0)
                 for n, s, d, k, (lo, hi), op in zip(xs[2:], stride, dil, ws[2:], pads, out_pad))
    assert len(pads) == nd
    return xs, ws, stride, pads, out_pad, dil, groups, has_b


@given(conv_transpose_cases(max_width=18), st.sampled_from([np.float32, np.float64]), st.integers(0, 2 ** 16))
@settings(max_examples=50)
def test_conv_transpose_matches_reference(case, dtype, seed):
    xs, ws, stride, pads, out_pad, dil, groups, has_b = case
    rng = np.random.default_rng(seed)
    o = ws[1] * groups
    x, w, b = _rand(rng, xs, dtype), _rand(rng, ws, dtype), _rand(rng, (o,), dtype)
    y = ops.conv_transpose(unidl.tensor(x), unidl.tensor(w), unidl.tensor(b) if has_b else None, stride=stride,
                           padding=pads, output_padding=out_pad, dilation=dil, groups=groups)
    ref = ref_conv_transpose(x.astype(np.float64), w.astype(np.float64), b if has_b else None, stride, pads,
                             out_pad, dil, groups)
    assert y.shape == ref.shape and y.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y.numpy(), ref, rtol=tol, atol=tol)


@given(conv_transpose_cases(max_nd=2, max_width=3, small=True), st.integers(0, 2 ** 16))
@settings(max_examples=25)
def test_conv_transpose_gradients(case, seed):
    xs, ws, stride, pads, out_pad, dil, groups, has_b = case
    rng = np.random.default_rng(seed)
    arrays = [_rand(rng, xs), _rand(rng, ws)] + ([_rand(rng, (ws[1] * groups,))] if has_b else [])
    assert_grad_close(lambda *t: ops.conv_transpose(*t, stride=stride, padding=pads, output_padding=out_pad,
                                                    dilation=dil, groups=groups), *arrays)


def test_conv_transpose2d_is_adjoint_of_conv2d():
    rng = np.random.default_rng(3)
    x, w = _rand(rng, (2, 4, 7, 6)), _rand(rng, (6, 2, 3, 2))
    kw = dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2), groups=2)
    y = ops.conv2d(unidl.tensor(x), unidl.tensor(w), **kw)
    g = _rand(rng, y.shape)
    op = (7 + 2 - 2 - 1 - (y.shape[2] - 1) * 2, 6 - 2 - 1 - (y.shape[3] - 1) * 3)
    z = ops.conv_transpose2d(unidl.tensor(g), unidl.tensor(w), output_padding=op, **kw)
    assert z.shape == x.shape
    np.testing.assert_allclose((y.numpy() * g).sum(), (x * z.numpy()).sum(), rtol=1e-10)


# -- conv_weight_grad and second order ----------------------------------------------------------------------

def test_conv_weight_grad_matches_autograd_and_differentiates():
    rng = np.random.default_rng(5)
    x, w = _rand(rng, (2, 2, 5, 4)), _rand(rng, (2, 1, 2, 3))
    kw = dict(stride=(2, 1), padding=((1, 0), (1, 1)), dilation=(1, 2), groups=2)
    wt = unidl.tensor(w, requires_grad=True)
    with unidl.record():
        y = ops.conv2d(unidl.tensor(x), wt, **kw)
    g = _rand(rng, y.shape)
    y.backward(unidl.tensor(g))
    dw = ops.conv_weight_grad(unidl.tensor(x), unidl.tensor(g), (2, 3), **kw)
    np.testing.assert_allclose(dw.numpy(), wt.grad.numpy(), atol=1e-12)
    assert_grad_close(lambda a, b: ops.conv_weight_grad(a, b, (2, 3), **kw), x, g)


@pytest.mark.parametrize("groups", [1, 2])
def test_conv_weight_grad_long_reduction_in_pieces(groups):
    """A small weight gradient over many output positions (the first layer of a CNN) is summed in several
    GEMMs: each group's gradient is still the sum over every position and image (float64 reference)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((16, 2 * groups, 34, 34)).astype(np.float32)
    w = rng.standard_normal((16 * groups, 2, 3, 3)).astype(np.float32)
    wt = unidl.tensor(w, requires_grad=True)
    with unidl.record():
        y = ops.conv2d(unidl.tensor(x), wt, groups=groups)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(unidl.tensor(g))
    cg, og = 2, 16
    want = np.zeros(w.shape)
    for k in range(groups):
        xs = x[:, k * cg:(k + 1) * cg].astype(np.float64)
        gs = g[:, k * og:(k + 1) * og].astype(np.float64)
        for i, j in np.ndindex(3, 3):
            want[k * og:(k + 1) * og, :, i, j] = np.einsum("nohw,nchw->oc", gs, xs[:, :, i:i + 32, j:j + 32])
    np.testing.assert_allclose(wt.grad.numpy(), want, rtol=1e-4, atol=1e-3)


def test_conv_of_a_large_layer_in_blocks_matches_float64():
    """A layer large enough that its im2col/col2im run in several blocks of output rows (the CNN benchmark's
    second convolution): output and all three gradients against a float64 einsum reference."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((64, 32, 13, 13)).astype(np.float32)
    w = (rng.standard_normal((64, 32, 3, 3)) * 0.1).astype(np.float32)
    b = rng.standard_normal(64).astype(np.float32)
    xt, wt, bt = (unidl.tensor(a, requires_grad=True) for a in (x, w, b))
    with unidl.record():
        y = ops.conv2d(xt, wt, bt)
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(unidl.tensor(g))
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(x64, (3, 3), axis=(2, 3))  # (N, C, 11, 11, 3, 3)
    np.testing.assert_allclose(y.numpy(), np.einsum("nchwij,ocij->nohw", win, w64) + b[None, :, None, None],
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(wt.grad.numpy(), np.einsum("nchwij,nohw->ocij", win, g64), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(bt.grad.numpy(), g64.sum(axis=(0, 2, 3)), rtol=1e-4, atol=1e-3)
    gx = np.zeros_like(x64)
    for i in range(3):
        for j in range(3):
            gx[:, :, i:i + 11, j:j + 11] += np.einsum("nohw,oc->nchw", g64, w64[:, :, i, j])
    np.testing.assert_allclose(xt.grad.numpy(), gx, rtol=1e-4, atol=1e-4)


def _second_order(wrt_index):
    """d/d(x, w) of the first-order gradient of conv w.r.t. argument ``wrt_index``."""
    rng = np.random.default_rng(9)
    head = None

    def fn(x, w):
        nonlocal head
        for t in (x, w):
            if not t.requires_grad:
                t.requires_grad_()
        with unidl.record():
            y = ops.conv1d(x, w, stride=2, padding=((1, 2),), dilation=2)
            if head is None:
                head = unidl.tensor(rng.standard_normal(y.shape))
            (gr,) = unidl.autograd.grad(y, [(x, w)[wrt_index]], head_grads=head, create_graph=True)
        return gr * (x, w)[wrt_index]  # so the result depends on both inputs

    return fn, _rand(rng, (1, 2, 6)), _rand(rng, (2, 2, 2))


@pytest.mark.parametrize("wrt", [0, 1])
def test_conv_second_order_gradients(wrt):
    fn, x, w = _second_order(wrt)
    assert_grad_close(fn, x, w, rtol=1e-4, atol=1e-5)


# -- errors ------------------------------------------------------------------------------------------------------

def _t(shape, dtype=np.float64):
    return unidl.tensor(np.zeros(shape, dtype))


def test_conv_channel_mismatch_error_names_op_and_shapes():
    with pytest.raises(unidl.OpError) as e:
        ops.conv(_t((1, 3, 5, 5)), _t((4, 2, 3, 3)))
    msg = str(e.value)
    assert msg.startswith("conv:") and "(1, 3, 5, 5)" in msg and "(4, 2, 3, 3)" in msg and "expected" in msg
    with pytest.raises(unidl.OpError, match=r"conv:.*groups=2.*\(1, 4, 5, 5\).*\(3, 2, 3, 3\)"):
        ops.conv(_t((1, 4, 5, 5)), _t((3, 2, 3, 3)), groups=2)
    with pytest.raises(unidl.OpError) as e:
        ops.conv_transpose(_t((1, 3, 5)), _t((4, 2, 3)))
    msg = str(e.value)
    assert msg.startswith("conv_transpose:") and "(1, 3, 5)" in msg and "(4, 2, 3)" in msg and "expected" in msg


def test_conv_kernel_larger_than_padded_input():
    with pytest.raises(unidl.OpError) as e:
        ops.conv2d(_t((1, 1, 4, 4)), _t((1, 1, 3, 7)), padding=(0, 1))
    msg = str(e.value)
    assert msg.startswith("conv:") and "larger than the padded input" in msg
    assert "(1, 1, 4, 4)" in msg and "(1, 1, 3, 7)" in msg
    with pytest.raises(unidl.OpError, match="larger than the padded input"):
        ops.conv1d(_t((1, 1, 4)), _t((1, 1, 3)), dilation=2)


@pytest.mark.parametrize("call,match", [
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2)), _t((2,))), "bias of shape"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2)), stride=0), "stride"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2)), padding=-1), "padding"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2)), padding=(1, 1)), "padding"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2)), padding="full"), "padding"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2, 2))), "dims"),
    (lambda: ops.conv(_t((2, 5)), _t((3, 2))), "spatial"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2), np.float32)), "dtype"),
    (lambda: ops.conv(_t((1, 2, 5)), _t((3, 2, 2)), groups=0), "groups"),
    (lambda: ops.conv_transpose(_t((1, 2, 5)), _t((2, 3, 2)), stride=2, output_padding=2), "output_padding"),
    (lambda: ops.conv_transpose(_t((1, 2, 1)), _t((2, 3, 1)), padding=1), "output size"),
    (lambda: ops.conv_transpose2d(_t((1, 2, 5)), _t((2, 3, 2))), "conv_transpose2d"),
])
def test_conv_argument_errors(call, match):
    with pytest.raises(unidl.OpError, match=match):
        call()


def test_conv_of_an_empty_batch_gives_an_empty_batch():
    """Found by hypothesis: N == 0 made the per-image GEMM path reshape with an ambiguous -1."""
    import unidl
    from unidl import ops as _ops

    x = unidl.tensor(np.zeros((0, 1, 1, 16), dtype=np.float32))
    w = unidl.tensor(np.ones((1, 1, 1, 1), dtype=np.float32))
    y = _ops.conv(x, w, None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
    assert y.shape == (0, 1, 1, 16)


def test_conv_stacks_stay_channels_last_in_memory_and_layout_never_changes_values(own_cpu_kernel):
    """A conv's result is an (N, O, *S) view of N-last memory (no transpose back), relu and max pooling keep
    their input's memory order (so the next conv reads its input without a copy), and the memory order never
    changes a value: pooling forward and backward on the N-last map and on a C-contiguous copy agree bitwise."""
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((6, 3, 12, 12), (5, 3, 3, 3), (5,)))
    y = ops.relu(ops.conv2d(unidl.tensor(x), unidl.tensor(w), unidl.tensor(b)))
    np.testing.assert_allclose(y.numpy(), np.maximum(ref_conv(x, w, b, (1, 1), ((0, 0), (0, 0)), (1, 1), 1), 0),
                               rtol=1e-5, atol=1e-5)
    if own_cpu_kernel("conv") and own_cpu_kernel("max_pool"):  # (not the composites of the primitive tier)
        assert y.data.strides[0] == y.data.itemsize  # the batch axis is innermost in memory
        assert ops.max_pool2d(y, 2).data.strides[0] == y.data.itemsize
    g = rng.standard_normal((6, 5, 5, 5)).astype(np.float32)
    results = []
    for data in (y.numpy(), np.ascontiguousarray(y.numpy())):
        t = unidl.from_numpy(data.copy(order="K"))
        assert t.data.strides == data.strides
        t.requires_grad = True
        with unidl.record():
            p = ops.max_pool2d(t, 2)
        p.backward(unidl.tensor(g))
        results.append((p.numpy(), t.grad.numpy()))
    (p1, g1), (p2, g2) = results
    np.testing.assert_array_equal(p1.view(np.uint32), p2.view(np.uint32))
    np.testing.assert_array_equal(g1.view(np.uint32), g2.view(np.uint32))
    assert (g1 != 0).sum() == g.size  # one element per window takes the gradient
