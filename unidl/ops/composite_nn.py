"""Composite definitions of the layer ops: convolution (im2col + matmul), pooling, the LSTM recurrence.

Written from the primitive tier (``unidl.primitives``) with ``K.<op>`` kernel calls, channels-first
with any number of spatial dims, taking exactly the attributes the fused kernels take (see
``unidl/ops/conv.py``, ``pool.py``, ``rnn.py``). Padding is a scatter into zeros (``index_add``),
each kernel position's window a strided ``getitem`` of the padded input. They are the definition a
device without these fused kernels runs, and what a fused kernel is checked against.
"""
from __future__ import annotations

import itertools
from typing import Any, List, Sequence, Tuple

import numpy as np

from .composite_basic import composite, full

Pads = Sequence[Tuple[int, int]]


def _prod(t: Sequence[int]) -> int:
    p = 1
    for v in t:
        p *= int(v)
    return p


def _pad(K, x, pads: Pads, value: float = 0.0):
    """(N, C, *S) padded by ``pads`` (lo, hi) per spatial dim with ``value``; negative pads crop."""
    if any(lo < 0 or hi < 0 for lo, hi in pads):
        x = K.getitem(x, (slice(None), slice(None)) + tuple(
            slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pads, x.shape[2:])))
        pads = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    key = (slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))
    out = K.index_add(None, x, key, shape, True)
    if value != 0.0:
        inside = K.index_add(None, full(K, x.shape, True, np.bool_), key, shape, True)
        out = K.where(inside, out, x.dtype.type(value))
    return out


def _windows(kernel: Sequence[int], stride: Sequence[int], out: Sequence[int], dilation=None):
    """One key per kernel position: the strided slice of the padded input it sees in every window."""
    dilation = dilation or (1,) * len(kernel)
    lead = (slice(None), slice(None))
    for kpos in itertools.product(*[range(k) for k in kernel]):
        yield lead + tuple(slice(kp * d, kp * d + s * (o - 1) + 1, s) for kp, d, s, o in zip(kpos, dilation, stride, out))


def _conv_out(size, ksize, stride, padding, dilation) -> Tuple[int, ...]:
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, (lo, hi), d in zip(size, ksize, stride, padding, dilation))


def _cols(K, x, ksize, stride, padding, dilation, groups):
    """im2col: (N, G, C/G * prod(ksize), P) in the weight's (c, k...) order, and the output size."""
    n, c = x.shape[:2]
    out = _conv_out(x.shape[2:], ksize, stride, padding, dilation)
    xp_ = _pad(K, x, padding)
    parts = [K.reshape(K.getitem(xp_, key), (n, c, 1) + out) for key in _windows(ksize, stride, out, dilation)]
    col = parts[0] if len(parts) == 1 else K.concatenate(*parts, axis=2)  # (N, C, KK, *out)
    return K.reshape(col, (n, groups, (c // groups) * _prod(ksize), _prod(out))), out


def _bias(K, y, b):
    return y if b is None else K.add(y, K.reshape(b, (1, -1) + (1,) * (y.ndim - 2)))


@composite("conv", via_float32=True)
def _conv(K, x, w, b=None, *, stride, padding, dilation, groups):
    n, o = x.shape[0], w.shape[0]
    col, out = _cols(K, x, w.shape[2:], stride, padding, dilation, groups)
    wm = K.reshape(w, (1, groups, o // groups, col.shape[2]))
    y = K.matmul(wm, col)  # (N, G, O/G, P)
    return _bias(K, K.reshape(y, (n, o) + out), b)


@composite("conv_weight_grad", via_float32=True)
def _conv_weight_grad(K, x, g, *, kernel_size, stride, padding, dilation, groups):
    n, c = x.shape[:2]
    o = g.shape[1]
    col, out = _cols(K, x, kernel_size, stride, padding, dilation, groups)
    gm = K.reshape(g, (n, groups, o // groups, _prod(out)))
    dw = K.sum(K.matmul(gm, K.transpose(col, (0, 1, 3, 2))), axis=(0,))  # (G, O/G, C/G*KK)
    return K.reshape(dw, (o, c // groups) + tuple(kernel_size))


@composite("conv_transpose", via_float32=True)
def _conv_transpose(K, x, w, b=None, *, stride, padding, output_padding, dilation, groups):
    n, c = x.shape[:2]
    size, ksize = x.shape[2:], w.shape[2:]
    o, cg, kk = w.shape[1] * groups, c // groups, _prod(ksize)
    full_ = tuple((s - 1) * st + d * (k - 1) + 1 for s, st, d, k in zip(size, stride, dilation, ksize))
    final = tuple(f - lo - hi + op for f, (lo, hi), op in zip(full_, padding, output_padding))
    buf = tuple(max(f, lo + fi) for f, (lo, _), fi in zip(full_, padding, final))
    # col[n, g, (og, k), s] = sum_cg w[g*cg + cg, og, k] * x[n, g*cg + cg, s]
    wt = K.transpose(K.reshape(w, (1, groups, cg, (o // groups) * kk)), (0, 1, 3, 2))
    col = K.matmul(wt, K.reshape(x, (n, groups, cg, _prod(size))))
    col = K.reshape(col, (n, o, kk) + tuple(size))
    y = full(K, (n, o) + buf, 0, x.dtype)
    for i, kp in enumerate(itertools.product(*[range(k) for k in ksize])):
        key = (slice(None), slice(None)) + tuple(slice(k_ * d, k_ * d + st * (s - 1) + 1, st)
                                                 for k_, d, st, s in zip(kp, dilation, stride, size))
        y = K.index_add(y, K.getitem(col, (slice(None), slice(None), i)), key, y.shape, True)
    if buf != final or any(lo for lo, _ in padding):
        y = K.getitem(y, (slice(None), slice(None)) + tuple(slice(lo, lo + fi) for (lo, _), fi in zip(padding, final)))
    return _bias(K, y, b)


# -- pooling ------------------------------------------------------------------------------------------
def _pads_needed(size, kernel, stride, padding, out):
    return tuple((lo, max((o - 1) * s + k - n - lo, 0) if o > 0 else 0)
                 for n, k, s, (lo, _), o in zip(size, kernel, stride, padding, out))


def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _crop(K, a, pads, size):
    if not any(lo or hi for lo, hi in pads):
        return a
    return K.getitem(a, (slice(None), slice(None)) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, size)))


@composite("max_pool", via_float32=True, arrays=1)
def _max_pool(K, x, *, kernel, stride, padding, out_size):
    pads = _pads_needed(x.shape[2:], kernel, stride, padding, out_size)
    xp_ = _pad(K, x, pads, _lowest(x.dtype))
    y = None
    for key in _windows(kernel, stride, out_size):
        v = K.getitem(xp_, key)
        y = v if y is None else K.maximum(y, v)
    return y


@composite("max_pool_grad", via_float32=True)
def _max_pool_grad(K, x, y, g, *, kernel, stride, padding):
    """Each window's gradient goes to its first maximum (in kernel-position order)."""
    out = g.shape[2:]
    pads = _pads_needed(x.shape[2:], kernel, stride, padding, out)
    xp_ = _pad(K, x, pads, _lowest(x.dtype))
    gx = full(K, xp_.shape, 0, g.dtype)
    overlap = any(s < k for s, k in zip(stride, kernel))
    taken = None
    for key in _windows(kernel, stride, out):
        eq = K.equal(K.getitem(xp_, key), y)
        hit = eq if taken is None else K.where(taken, False, eq)
        taken = eq if taken is None else K.where(taken, True, eq)
        part = K.multiply(g, hit)  # g * 0 keeps the sign of a zero, as the fused kernel's product does
        if overlap:
            gx = K.index_add(gx, part, key, gx.shape, True)
        else:  # disjoint windows: each element is written once (no 0 + -0.0)
            mine = K.index_add(None, full(K, part.shape, True, np.bool_), key, gx.shape, True)
            gx = K.where(mine, K.index_add(None, part, key, gx.shape, True), gx)
    return _crop(K, gx, pads, x.shape[2:])


def _divisor(K, size, kernel, stride, padding, out, count_include_pad, dtype):
    """1 / (elements counted per window), computed on the host (index arithmetic) and sent to the device."""
    counts = []
    for n, k, s, (lo, hi), o in zip(size, kernel, stride, padding, out):
        start = np.arange(o) * s - lo
        c = np.minimum(start + k, n + hi) - start if count_include_pad else np.minimum(start + k, n) - np.maximum(start, 0)
        counts.append(c)
    if all(bool((c == k).all()) for c, k in zip(counts, kernel)):
        return np.asarray(1.0 / _prod(kernel), dtype=dtype)[()]
    total = np.ones((), dtype=dtype)
    for i, c in enumerate(counts):
        total = total * c.astype(dtype).reshape((-1,) + (1,) * (len(counts) - 1 - i))
    host = np.asarray(1 / total)
    from ..devices import DEVICES

    return DEVICES.types[K._device_type].xp.asarray(host)


@composite("avg_pool", via_float32=True, arrays=1)
def _avg_pool(K, x, *, kernel, stride, padding, out_size, count_include_pad):
    pads = _pads_needed(x.shape[2:], kernel, stride, padding, out_size)
    scale = _divisor(K, x.shape[2:], kernel, stride, padding, out_size, count_include_pad, x.dtype)
    xp_ = _pad(K, x, pads)
    y = None
    for key in _windows(kernel, stride, out_size):
        v = K.getitem(xp_, key)
        y = v if y is None else K.add(y, v)
    return K.multiply(y, scale)


@composite("avg_pool_grad", via_float32=True, arrays=1)
def _avg_pool_grad(K, g, *, in_size, kernel, stride, padding, count_include_pad):
    out = g.shape[2:]
    pads = _pads_needed(in_size, kernel, stride, padding, out)
    gd = K.multiply(g, _divisor(K, in_size, kernel, stride, padding, out, count_include_pad, g.dtype))
    gx = full(K, g.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(in_size, pads)), 0, g.dtype)
    overlap = any(s < k for s, k in zip(stride, kernel))
    for key in _windows(kernel, stride, out):
        if overlap:
            gx = K.index_add(gx, gd, key, gx.shape, True)
        else:  # disjoint windows: each element is written once (no 0 + -0.0), as the fused kernel
            mine = K.index_add(None, full(K, gd.shape, True, np.bool_), key, gx.shape, True)
            gx = K.where(mine, K.index_add(None, gd, key, gx.shape, True), gx)
    return _crop(K, gx, pads, in_size)


# -- LSTM recurrence (gates i, f, g, o; sigmoid as 0.5 * tanh(0.5 z) + 0.5, as the fused kernel) ----
def _cols_of(K, z, h, j):
    return K.getitem(z, (slice(None), slice(j * h, (j + 1) * h)))


@composite("lstm_sequence", via_float32=True)
def _lstm_sequence(K, xw, h0, c0, w_hh, mask, reverse):
    T, N, G4 = xw.shape
    H = G4 // 4
    dt = xw.dtype
    half = np.full((4 * H,), 0.5, dtype=dt)
    half[2 * H:3 * H] = 1
    off = np.full((4 * H,), 0.5, dtype=dt)
    off[2 * H:3 * H] = 0
    from ..devices import DEVICES

    xp = DEVICES.types[K._device_type].xp
    scale, offset = xp.asarray(half), xp.asarray(off)
    hs: List[Any] = [None] * T
    cs: List[Any] = [None] * T
    gs: List[Any] = [None] * T
    tcs: List[Any] = [None] * T
    hp, cp = h0, c0
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        z = K.add(K.matmul(hp, w_hh), K.getitem(xw, (t,)))
        z = K.add(K.multiply(K.tanh(K.multiply(z, scale)), scale), offset)
        i, f, g, o = (_cols_of(K, z, H, j) for j in range(4))
        c = K.add(K.multiply(f, cp), K.multiply(i, g))
        tc = K.tanh(c)
        h = K.multiply(o, tc)
        if mask is not None:
            m = K.reshape(K.getitem(mask, (t,)), (N, 1))
            c, h = K.where(m, c, cp), K.where(m, h, hp)
        hs[t], cs[t], gs[t], tcs[t] = h, c, z, tc
        hp, cp = h, c
    if T == 0:
        return full(K, (2, 0, N, H), 0, dt), (full(K, (0, N, G4), 0, dt), full(K, (0, N, H), 0, dt))
    stack = lambda xs: K.concatenate(*[K.reshape(v, (1,) + v.shape) for v in xs], axis=0)  # noqa: E731
    Y = K.concatenate(K.reshape(stack(hs), (1, T, N, H)), K.reshape(stack(cs), (1, T, N, H)), axis=0)
    return Y, (stack(gs), stack(tcs))


@composite("lstm_sequence_grad", via_float32=True)
def _lstm_sequence_grad(K, gY, xw, h0, c0, w_hh, Y, ws, mask, reverse):
    T, N, G4 = xw.shape
    H = G4 // 4
    dt = xw.dtype
    G, TC = ws
    one = dt.type(1)
    dZ = K.multiply(K.subtract(one, G), G)  # s(1-s) for i, f, o
    gg = K.getitem(G, (slice(None), slice(None), slice(2 * H, 3 * H)))
    Dg = K.subtract(one, K.multiply(gg, gg))  # 1 - g^2 for g
    gate = lambda a, j: K.getitem(a, (slice(None), slice(None), slice(j * H, (j + 1) * H)))  # noqa: E731
    dZ = K.concatenate(gate(dZ, 0), gate(dZ, 1), Dg, gate(dZ, 3), axis=2)
    DC = K.multiply(K.subtract(one, K.multiply(TC, TC)), gate(G, 3))
    dh = full(K, (N, H), 0, dt)
    dc = full(K, (N, H), 0, dt)
    # w_hh^T laid out C-ordered, as the kernel's copy (the GEMM's layout fixes its order): flattening the
    # transposed view copies it in C order, the reshape back is a view of that copy
    w_t = K.reshape(K.reshape(K.transpose(w_hh, (1, 0)), (w_hh.size,)), (G4, H))
    first = T - 1 if reverse else 0
    dzs: List[Any] = [None] * T
    for t in (range(T) if reverse else range(T - 1, -1, -1)):
        dh = K.add(dh, K.getitem(gY, (0, t)))
        dc = K.add(dc, K.getitem(gY, (1, t)))
        if mask is not None:
            # products with the mask as 0/1, as the kernel's (a masked-out -x or inf gives -0 or nan, as there)
            m = K.reshape(K.getitem(mask, (t,)), (N, 1))
            keep, m = K.astype(K.equal(m, False), dt), K.astype(m, dt)
            dh_keep, dc_keep = K.multiply(dh, keep), K.multiply(dc, keep)
            dh, dc = K.multiply(dh, m), K.multiply(dc, m)
        g_t = K.getitem(G, (t,))
        col = lambda j: K.getitem(g_t, (slice(None), slice(j * H, (j + 1) * H)))  # noqa: E731
        dc = K.add(dc, K.multiply(dh, K.getitem(DC, (t,))))
        c_prev = c0 if t == first else K.getitem(Y, (1, t + 1 if reverse else t - 1))
        fac = K.concatenate(K.multiply(dc, col(2)), K.multiply(dc, c_prev), K.multiply(dc, col(0)),
                            K.multiply(dh, K.getitem(TC, (t,))), axis=1)
        dz = K.multiply(K.getitem(dZ, (t,)), fac)
        dzs[t] = dz
        dc = K.multiply(dc, col(1))
        dh = K.matmul(dz, w_t)
        if mask is not None:
            dh, dc = K.add(dh, dh_keep), K.add(dc, dc_keep)
    if T == 0:
        return dZ, dh, dc, full(K, w_hh.shape, 0, w_hh.dtype)
    dZ = K.concatenate(*[K.reshape(v, (1, N, G4)) for v in dzs], axis=0)
    dW = K.matmul(K.transpose(h0, (1, 0)), dzs[first])
    if T > 1:
        H2 = K.getitem(Y, (0, slice(1, None))) if reverse else K.getitem(Y, (0, slice(None, -1)))
        Z2 = K.getitem(dZ, (slice(None, -1),)) if reverse else K.getitem(dZ, (slice(1, None),))
        dW = K.add(dW, K.matmul(K.transpose(K.reshape(H2, ((T - 1) * N, H)), (1, 0)), K.reshape(Z2, ((T - 1) * N, G4))))
    return dZ, dh, dc, dW
