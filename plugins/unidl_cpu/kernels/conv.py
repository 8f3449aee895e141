"""Convolution kernels (channels-first, any number of spatial dims).

Attributes arrive normalised by ``unidl.ops.conv``: ``stride``/``dilation`` are tuples with one int per
spatial dim, ``padding`` is a tuple of (lo, hi) pairs, ``groups`` an int. Internally a negative pad
crops the input (the backward of a transposed convolution with ``output_padding`` uses that).

The im2col matrix, (groups, C/groups * prod(kernel), N * prod(out)), is copied from a strided window
view and fed to ONE (batched over groups) GEMM; the weight gradient reuses that layout, and the input
gradient (``conv_transpose``) is one GEMM followed by prod(kernel) strided adds (col2im).

Two memory layouts, picked per call by the innermost output width: "N-first" keeps (N, C, *S) and
copies runs of ``out_width`` elements; "N-last" first transposes to (C, *S, N) so every copy and add
runs over ``out_width * N`` contiguous elements, at the price of transposing the result back. Narrow
images (deep layers) go N-last, wide ones N-first.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

Pads = Sequence[Tuple[int, int]]

#: Output widths below this use the N-last layout (see the module docstring).
NLAST_BELOW_WIDTH = 16


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    as_strided = xp.lib.stride_tricks.as_strided

    def prod(t: Sequence[int]) -> int:
        p = 1
        for v in t:
            p *= v
        return p

    def use_nlast(width: int) -> bool:
        return width < NLAST_BELOW_WIDTH

    def crop_negative(x: Any, padding: Pads) -> Tuple[Any, Pads]:
        """Apply negative pads as a crop of the spatial dims; return the remaining (>= 0) pads."""
        if any(lo < 0 or hi < 0 for lo, hi in padding):
            x = x[(slice(None), slice(None)) + tuple(
                slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(padding, x.shape[2:]))]
            padding = tuple((max(lo, 0), max(hi, 0)) for lo, hi in padding)
        return x, padding

    def pad(x: Any, padding: Pads) -> Any:
        """(N, C, *S) zero-padded (negative pads crop); ``x`` itself when there is nothing to pad."""
        x, padding = crop_negative(x, padding)
        if not any(lo or hi for lo, hi in padding):
            return x
        size = x.shape[2:]
        out = xp.zeros(x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(size, padding)), dtype=x.dtype)
        out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, padding))] = x
        return out

    def to_nlast(x: Any, padding: Optional[Pads] = None) -> Any:
        """(N, C, *S) -> zero-padded (C, *S_padded, N), a new array; negative pads crop."""
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

    def to_cfirst(x: Any) -> Any:
        """(N, C, *S) -> (C, N, *S), a new array."""
        return xp.ascontiguousarray(xp.swapaxes(x, 0, 1))

    def finish(y: Any, b: Optional[Any], perm: Tuple[int, ...]) -> Any:
        """A new contiguous ``y.transpose(perm)`` (shape (N, O, *S)) plus the bias over O."""
        v = y.transpose(perm)
        out = xp.empty(v.shape, dtype=y.dtype)
        if b is None:
            out[...] = v
        else:
            xp.add(v, b.reshape((1, -1) + (1,) * (y.ndim - 2)), out=out)
        return out

    def cols(x: Any, ksize: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
             out: Sequence[int], groups: int, nlast: bool) -> Any:
        """im2col of a padded input, (C, *S, N) if ``nlast`` else (N, C, *S), to
        (groups, C/groups * prod(ksize), P) with P ordered as (*out, N) or (N, *out)."""
        st = x.strides
        if nlast:
            c, n, sp, s_c, s_n = x.shape[0], x.shape[-1], st[1:-1], st[0], st[-1]
        else:
            c, n, sp, s_c, s_n = x.shape[1], x.shape[0], st[2:], st[1], st[0]
        kview = tuple(s * d for s, d in zip(sp, dilation))
        oview = tuple(s * k for s, k in zip(sp, stride))
        if nlast:
            shape, strides = tuple(out) + (n,), oview + (s_n,)
        else:
            shape, strides = (n,) + tuple(out), (s_n,) + oview
        view = as_strided(x, (c,) + tuple(ksize) + shape, (s_c,) + kview + strides)
        return xp.ascontiguousarray(view).reshape(groups, (c // groups) * prod(ksize), prod(out) * n)

    def gemm(a: Any, b: Any) -> Any:
        # Strided operands make matmul leave BLAS for its own loop (another summation order), so a
        # weight reaching here as a transposed view (Keras's depthwise kernel) is made contiguous first.
        a, b = xp.ascontiguousarray(a), xp.ascontiguousarray(b)
        return xp.matmul(a[0], b[0])[None] if a.shape[0] == 1 else xp.matmul(a, b)

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
        nlast = use_nlast(out[-1])
        xl = to_nlast(x, padding) if nlast else pad(x, padding)
        y = gemm(w.reshape(groups, o // groups, -1), cols(xl, ksize, stride, dilation, out, groups, nlast))
        if nlast:  # y: (O, *out, N)
            return finish(y.reshape((o,) + out + (n,)), b, (nd + 1, 0) + tuple(range(1, nd + 1)))
        return finish(y.reshape((o, n) + out), b, (1, 0) + tuple(range(2, nd + 2)))

    def conv_weight_grad(x: Any, g: Any, *, kernel_size: Sequence[int], stride: Sequence[int], padding: Pads,
                         dilation: Sequence[int], groups: int) -> Any:
        c = x.shape[1]
        o = g.shape[1]
        out = g.shape[2:]
        nlast = use_nlast(out[-1])
        xl = to_nlast(x, padding) if nlast else pad(x, padding)
        col = cols(xl, kernel_size, stride, dilation, out, groups, nlast)
        gl = (to_nlast(g) if nlast else to_cfirst(g)).reshape(groups, o // groups, -1)
        dw = gemm(gl, col.transpose(0, 2, 1))  # (g, O/g, Cg*KK)
        return dw.reshape((o, c // groups) + tuple(kernel_size))

    def conv_transpose(x: Any, w: Any, b: Optional[Any] = None, *, stride: Sequence[int], padding: Pads,
                       output_padding: Sequence[int], dilation: Sequence[int], groups: int) -> Any:
        n, c = x.shape[:2]
        size = x.shape[2:]
        nd = len(size)
        ksize = w.shape[2:]
        o = w.shape[1] * groups
        nlast = use_nlast(size[-1])
        # col[g, og*kk, P] = sum_cg w[g*cg + cg, og, k] * x[n, g*cg + cg, s]
        xl = to_nlast(x) if nlast else to_cfirst(x)
        col = gemm(w.reshape(groups, c // groups, -1).transpose(0, 2, 1), xl.reshape(groups, c // groups, -1))
        inner = tuple(size) + (n,) if nlast else (n,) + tuple(size)
        col = col.reshape((o, prod(ksize)) + inner)
        full = tuple((s_ - 1) * st + d * (k - 1) + 1 for s_, st, d, k in zip(size, stride, dilation, ksize))
        final = tuple(f - lo - hi + op for f, (lo, hi), op in zip(full, padding, output_padding))
        buf = tuple(max(f, lo + fi) for f, (lo, _), fi in zip(full, padding, final))
        y = xp.zeros((o,) + (buf + (n,) if nlast else (n,) + buf), dtype=col.dtype)
        lead = (slice(None),) if nlast else (slice(None), slice(None))
        for i, kpos in enumerate(itertools.product(*[range(k) for k in ksize])):
            y[lead + tuple(slice(kp * d, kp * d + st * (s_ - 1) + 1, st)
                           for kp, d, st, s_ in zip(kpos, dilation, stride, size))] += col[:, i]
        if buf != final or any(lo for lo, _ in padding):
            y = y[lead + tuple(slice(lo, lo + fi) for (lo, _), fi in zip(padding, final))]
        if nlast:  # y: (O, *final, N)
            return finish(y, b, (nd + 1, 0) + tuple(range(1, nd + 1)))
        return finish(y, b, (1, 0) + tuple(range(2, nd + 2)))

    return {"conv": conv, "conv_weight_grad": conv_weight_grad, "conv_transpose": conv_transpose}
