"""Convolution kernels (channels-first, any number of spatial dims).

Attributes arrive normalised by ``unidl.ops.conv``: ``stride``/``dilation`` are tuples with one int per
spatial dim, ``padding`` is a tuple of (lo, hi) pairs, ``groups`` an int. Internally a negative pad
crops the input (the backward of a transposed convolution with ``output_padding`` uses that).

Layout: every kernel works in "N-last" memory, (C, *S, N): the input is transposed there once (no copy
when it already is, e.g. the previous convolution's output) and every im2col copy and col2im add then runs
over ``out_width * N`` contiguous elements. The result is returned as a (N, O, *S) *view* of its (O, *S, N)
buffer, with the bias added in place: no transpose back. The ops after a convolution (activations, pooling,
their gradients) follow their inputs' memory order, so a conv/relu/pool stack stays N-last from layer to
layer; the values are those of any other layout (every kernel is exact elementwise, or sums in an order set
by the memory layout, which both faces share).

The im2col matrix, (groups, C/groups * prod(kernel), P) with P ordered as (*out, N), is copied from a
strided window view in blocks of about ``BLOCK_BYTES`` (whole output rows) and each block fed to one
(batched over groups) GEMM: a few cache-sized temporaries instead of one matrix prod(kernel) times the
input's size, which costs fresh pages (faults) on every call. The weight gradient accumulates one GEMM per
block; the input gradient (``conv_transpose``) is one GEMM per (larger) block followed by prod(kernel)
strided adds (col2im). GEMM operands may be transposed or padded views: BLAS takes those through its flags,
so they are not copied.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from unidl.dtypes import via_float32

Pads = Sequence[Tuple[int, int]]

#: Bytes of im2col (or col2im) columns built at a time (see the module docstring): measured on the CNN
#: workload's convolutions (2 cores, AVX-512), 3 MiB blocks run the three GEMMs of its second layer 0.6 ms
#: faster per step than 1 MiB ones (fewer, wider GEMMs), while a block still sits in the last-level cache.
BLOCK_BYTES = 3 << 20
#: col2im blocks are this many times larger (each block costs prod(kernel) Python-level adds).
COL2IM_BLOCKS_PER_IM2COL = 8
#: A weight gradient with a small output (O/groups x C/groups * prod(kernel)) is a long reduction over every
#: output position: cut into GEMMs of at most this many multiply-adds (M*N*K) where that leaves at least
#: ``SMALL_GEMM_MIN_COLS`` positions each, OpenBLAS runs its small-matrix kernels (AVX-512 builds), measured 1.75x
#: faster than one long GEMM (a 1->32 channel 3x3 conv on 64 26x26 maps: 0.84 -> 0.48 ms). Shapes alone decide
#: the cut, so the summation order is fixed.
SMALL_GEMM_MNK = 1_000_000
SMALL_GEMM_MIN_COLS = 1024


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    as_strided = xp.lib.stride_tricks.as_strided

    def prod(t: Sequence[int]) -> int:
        p = 1
        for v in t:
            p *= v
        return p

    def crop_negative(x: Any, padding: Pads) -> Tuple[Any, Pads]:
        """Apply negative pads as a crop of the spatial dims; return the remaining (>= 0) pads."""
        if any(lo < 0 or hi < 0 for lo, hi in padding):
            x = x[(slice(None), slice(None)) + tuple(
                slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(padding, x.shape[2:]))]
            padding = tuple((max(lo, 0), max(hi, 0)) for lo, hi in padding)
        return x, padding

    def to_nlast(x: Any, padding: Optional[Pads] = None) -> Any:
        """(N, C, *S) -> zero-padded (C, *S_padded, N) contiguous: ``x``'s own memory when it is already laid out
        so and needs no padding (the previous convolution's output), else a new array; negative pads crop."""
        nd = x.ndim - 2
        perm = (1,) + tuple(range(2, nd + 2)) + (0,)
        if padding is not None:
            x, padding = crop_negative(x, padding)
        if padding is None or not any(lo or hi for lo, hi in padding):
            return xp.ascontiguousarray(x.transpose(perm))
        size = x.shape[2:]
        xt = xp.zeros((x.shape[1],) + tuple(n + lo + hi for n, (lo, hi) in zip(size, padding)) + (x.shape[0],),
                      dtype=x.dtype)
        xt[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, padding))] = x.transpose(perm)
        return xt

    def finish(y: Any, b: Optional[Any], perm: Tuple[int, ...]) -> Any:
        """``y`` (O first) plus the bias over O, in place, returned as the view ``y.transpose(perm)`` of shape
        (N, O, *S): the result keeps ``y``'s memory order (see the module docstring)."""
        if b is not None:
            y += b.reshape((-1,) + (1,) * (y.ndim - 1))
        return y.transpose(perm)

    def cols(x: Any, ksize: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
             out: Sequence[int], groups: int) -> Any:
        """im2col of a padded N-last input (C, *S, N) to (groups, C/groups * prod(ksize), P), P ordered as
        (*out, N)."""
        st = x.strides
        c, n, sp, s_c, s_n = x.shape[0], x.shape[-1], st[1:-1], st[0], st[-1]
        kview = tuple(s * d for s, d in zip(sp, dilation))
        oview = tuple(s * k for s, k in zip(sp, stride))
        view = as_strided(x, (c,) + tuple(ksize) + tuple(out) + (n,), (s_c,) + kview + oview + (s_n,))
        return xp.ascontiguousarray(view).reshape(groups, (c // groups) * prod(ksize), prod(out) * n)

    def spans(total: int, unit_bytes: int, step: int = 0) -> List[Tuple[int, int]]:
        """``range(total)`` cut into blocks of ``step`` indices, by default about BLOCK_BYTES (``unit_bytes`` per
        index)."""
        step = step or max(1, BLOCK_BYTES // max(unit_bytes, 1))
        return [(a, min(a + step, total)) for a in range(0, total, step)]

    def rows_in(xl: Any, a: int, b: int, stride: Sequence[int], ksize: Sequence[int],
                dilation: Sequence[int]) -> Any:
        """The rows of an N-last padded input (C, *S, N) that output rows [a, b) read."""
        return xl[:, a * stride[0]:(b - 1) * stride[0] + dilation[0] * (ksize[0] - 1) + 1]

    def blasable(m: Any) -> Any:
        """``m`` (..., R, C) itself if each matrix is row- or column-major, possibly with a padded leading
        dimension (BLAS takes either through its transpose flags), else a contiguous copy: other strides make
        matmul leave BLAS for its own loop (another summation order), e.g. a weight reaching here as a
        strided view (a depthwise kernel reshaped from (kh, kw, C, M))."""
        st, it = m.strides, m.itemsize
        r, c = m.shape[-2:]
        if st[-1] == it and st[-2] % it == 0 and (st[-2] >= c * it or r == 1):
            return m
        if st[-2] == it and st[-1] % it == 0 and (st[-1] >= r * it or c == 1):
            return m
        return xp.ascontiguousarray(m)

    def gemm(a: Any, b: Any, out: Optional[Any] = None) -> Any:
        """(G, M, K) @ (G, K, N) per group (into ``out`` if given); each operand may be a transposed or
        leading-dimension-padded view."""
        a, b = blasable(a), blasable(b)
        if a.shape[0] == 1:
            if out is None:
                return xp.matmul(a[0], b[0])[None]
            xp.matmul(a[0], b[0], out=out[0])
            return out
        return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)

    def conv_out(size: Sequence[int], ksize: Sequence[int], stride: Sequence[int], padding: Pads,
                 dilation: Sequence[int]) -> Tuple[int, ...]:
        return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                     for n, k, s, (lo, hi), d in zip(size, ksize, stride, padding, dilation))

    def conv(x: Any, w: Any, b: Optional[Any] = None, *, stride: Sequence[int], padding: Pads,
             dilation: Sequence[int], groups: int) -> Any:
        n = x.shape[0]
        o = w.shape[0]
        ksize = w.shape[2:]
        nd = len(ksize)
        out = conv_out(x.shape[2:], ksize, stride, padding, dilation)
        xl = to_nlast(x, padding)
        og = o // groups
        wm = w.reshape(groups, og, -1)
        ckk = wm.shape[-1] * groups
        y = (xp.empty if ckk and wm.size else xp.zeros)((o,) + out + (n,), dtype=x.dtype)  # (O, *out, N)
        rest = prod(out[1:]) * n
        yv = y.reshape(groups, og, out[0], rest)
        for a, b_ in spans(out[0], ckk * rest * x.dtype.itemsize):  # blocks of output rows
            col = cols(rows_in(xl, a, b_, stride, ksize, dilation), ksize, stride, dilation, (b_ - a,) + out[1:],
                       groups)
            gemm(wm, col, out=yv[:, :, a:b_].reshape(groups, og, -1))
        return finish(y, b, (nd + 1, 0) + tuple(range(1, nd + 1)))

    def conv_weight_grad(x: Any, g: Any, *, kernel_size: Sequence[int], stride: Sequence[int], padding: Pads,
                         dilation: Sequence[int], groups: int) -> Any:
        c = x.shape[1]
        o = g.shape[1]
        out = g.shape[2:]
        og = o // groups
        xl = to_nlast(x, padding)
        gl = to_nlast(g)  # (O, *out, N)
        rest = prod(out[1:]) * x.shape[0]
        gv = gl.reshape(groups, og, out[0], rest)
        dw = None
        row_mnk = og * (c // groups) * prod(kernel_size) * rest  # one output row's multiply-adds per group
        small = SMALL_GEMM_MNK // max(row_mnk, 1)
        step = small if small * rest >= SMALL_GEMM_MIN_COLS else 0
        for a, b_ in spans(out[0], c * prod(kernel_size) * rest * x.dtype.itemsize, step):
            col = cols(rows_in(xl, a, b_, stride, kernel_size, dilation), kernel_size, stride, dilation,
                       (b_ - a,) + out[1:], groups)
            part = gemm(gv[:, :, a:b_].reshape(groups, og, -1), col.transpose(0, 2, 1))  # (g, O/g, Cg*KK)
            if dw is None:
                dw = part
            else:
                dw += part
        if dw is None:
            dw = xp.zeros((groups, og, (c // groups) * prod(kernel_size)), dtype=g.dtype)
        return dw.reshape((o, c // groups) + tuple(kernel_size))

    def conv_transpose(x: Any, w: Any, b: Optional[Any] = None, *, stride: Sequence[int], padding: Pads,
                       output_padding: Sequence[int], dilation: Sequence[int], groups: int) -> Any:
        n, c = x.shape[:2]
        size = x.shape[2:]
        nd = len(size)
        ksize = w.shape[2:]
        kk = prod(ksize)
        o = w.shape[1] * groups
        cg = c // groups
        full = tuple((s_ - 1) * st + d * (k - 1) + 1 for s_, st, d, k in zip(size, stride, dilation, ksize))
        final = tuple(f - lo - hi + op for f, (lo, hi), op in zip(full, padding, output_padding))
        buf = tuple(max(f, lo + fi) for f, (lo, _), fi in zip(full, padding, final))
        y = xp.zeros((o,) + buf + (n,), dtype=x.dtype)  # (O, *buf, N)
        # col[g, og*kk, P] = sum_cg w[g*cg + cg, og, k] * x[n, g*cg + cg, s], in blocks of input rows
        xl = to_nlast(x)  # (C, *S, N)
        rest = prod(size[1:]) * n
        xv = xl.reshape(groups, cg, size[0], rest)
        wt = w.reshape(groups, cg, -1).transpose(0, 2, 1)
        kpos = list(itertools.product(*[range(k) for k in ksize]))
        # prod(kernel) strided adds per block: fewer, larger blocks than im2col's.
        for a, b_ in spans(size[0], o * kk * rest * x.dtype.itemsize // COL2IM_BLOCKS_PER_IM2COL):
            col = gemm(wt, xv[:, :, a:b_].reshape(groups, cg, -1))
            col = col.reshape((o, kk, b_ - a) + tuple(size[1:]) + (n,))
            starts, ends = (a,) + (0,) * (nd - 1), (b_,) + tuple(size[1:])
            for i, kp in enumerate(kpos):
                y[(slice(None),) + tuple(
                    slice(k_ * d + lo * st, k_ * d + st * (hi - 1) + 1, st)
                    for k_, d, st, lo, hi in zip(kp, dilation, stride, starts, ends))] += col[:, i]
        if buf != final or any(lo for lo, _ in padding):
            y = y[(slice(None),) + tuple(slice(lo, lo + fi) for (lo, _), fi in zip(padding, final))]
        return finish(y, b, (nd + 1, 0) + tuple(range(1, nd + 1)))

    # bfloat16 convolves in float32 (NumPy has no bfloat16 GEMM) and rounds back once
    return {"conv": via_float32(conv), "conv_weight_grad": via_float32(conv_weight_grad),
            "conv_transpose": via_float32(conv_transpose)}
