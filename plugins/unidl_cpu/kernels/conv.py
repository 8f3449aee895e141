"""Convolution kernels (channels-first, any number of spatial dims).

Attributes arrive normalised by ``unidl.ops.conv``: ``stride``/``dilation`` are tuples with one int per
spatial dim, ``padding`` is a tuple of (lo, hi) pairs, ``groups`` an int. Internally a negative pad
crops the input (the backward of a transposed convolution with ``output_padding`` uses that).

Work happens in an "N-last" layout, (C, *spatial, N): an im2col window view of it then copies runs of
``out_width * N`` contiguous elements (not runs of the kernel width), and the col2im adds of the input
gradient stream over equally long runs. Forward and weight gradient share one im2col matrix,
(groups, C/groups * prod(kernel), prod(out) * N), fed to ONE (batched over groups) GEMM; the input
gradient (``conv_transpose``) is one GEMM followed by prod(kernel) strided adds (col2im).
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

Pads = Sequence[Tuple[int, int]]


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    as_strided = xp.lib.stride_tricks.as_strided

    def prod(t: Sequence[int]) -> int:
        p = 1
        for v in t:
            p *= v
        return p

    def to_nlast(x: Any, padding: Optional[Pads] = None) -> Any:
        """(N, C, *S) -> zero-padded (C, *S_padded, N), a new array; negative pads crop."""
        nd = x.ndim - 2
        perm = (1,) + tuple(range(2, nd + 2)) + (0,)
        if padding is None or not any(lo or hi for lo, hi in padding):
            return xp.ascontiguousarray(x.transpose(perm))
        if any(lo < 0 or hi < 0 for lo, hi in padding):
            x = x[(slice(None), slice(None)) + tuple(
                slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(padding, x.shape[2:]))]
            padding = [(max(lo, 0), max(hi, 0)) for lo, hi in padding]
        size = x.shape[2:]
        xt = xp.zeros((x.shape[1],) + tuple(n + lo + hi for n, (lo, hi) in zip(size, padding)) + (x.shape[0],),
                      dtype=x.dtype)
        xt[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(size, padding))] = x.transpose(perm)
        return xt

    def from_nlast(y: Any, b: Optional[Any]) -> Any:
        """(O, *S, N) (+ bias over O) -> a new contiguous (N, O, *S)."""
        nd = y.ndim - 2
        v = y.transpose((nd + 1, 0) + tuple(range(1, nd + 1)))
        out = xp.empty(v.shape, dtype=y.dtype)
        if b is None:
            out[...] = v
        else:
            xp.add(v, b.reshape((1, -1) + (1,) * nd), out=out)
        return out

    def cols(xt: Any, ksize: Sequence[int], stride: Sequence[int], dilation: Sequence[int],
             out: Sequence[int], groups: int) -> Any:
        """im2col: (C, *S_padded, N) -> (groups, C/groups * prod(ksize), prod(out) * N)."""
        c, n = xt.shape[0], xt.shape[-1]
        st = xt.strides
        sp = st[1:-1]
        view = as_strided(xt, (c,) + tuple(ksize) + tuple(out) + (n,),
                          (st[0],) + tuple(s * d for s, d in zip(sp, dilation))
                          + tuple(s * k for s, k in zip(sp, stride)) + (st[-1],))
        return xp.ascontiguousarray(view).reshape(groups, (c // groups) * prod(ksize), prod(out) * n)

    def gemm(a: Any, b: Any) -> Any:
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
        out = conv_out(x.shape[2:], ksize, stride, padding, dilation)
        col = cols(to_nlast(x, padding), ksize, stride, dilation, out, groups)
        y = gemm(w.reshape(groups, o // groups, -1), col)  # (g, O/g, P*N)
        return from_nlast(y.reshape((o,) + out + (n,)), b)

    def conv_weight_grad(x: Any, g: Any, *, kernel_size: Sequence[int], stride: Sequence[int], padding: Pads,
                         dilation: Sequence[int], groups: int) -> Any:
        c = x.shape[1]
        o = g.shape[1]
        col = cols(to_nlast(x, padding), kernel_size, stride, dilation, g.shape[2:], groups)
        gt = to_nlast(g).reshape(groups, o // groups, -1)
        dw = gemm(gt, col.transpose(0, 2, 1))  # (g, O/g, Cg*KK)
        return dw.reshape((o, c // groups) + tuple(kernel_size))

    def conv_transpose(x: Any, w: Any, b: Optional[Any] = None, *, stride: Sequence[int], padding: Pads,
                       output_padding: Sequence[int], dilation: Sequence[int], groups: int) -> Any:
        n, c = x.shape[:2]
        size = x.shape[2:]
        ksize = w.shape[2:]
        og = w.shape[1]
        o = og * groups
        cg = c // groups
        # col[g, og*kk, s*n] = sum_cg w[g*cg + cg, og, k] * x[n, g*cg + cg, s]
        wt = w.reshape(groups, cg, -1).transpose(0, 2, 1)
        col = gemm(wt, to_nlast(x).reshape(groups, cg, -1)).reshape((o, prod(ksize)) + tuple(size) + (n,))
        full = tuple((s_ - 1) * st + d * (k - 1) + 1 for s_, st, d, k in zip(size, stride, dilation, ksize))
        final = tuple(f - lo - hi + op for f, (lo, hi), op in zip(full, padding, output_padding))
        buf = tuple(max(f, lo + fi) for f, (lo, _), fi in zip(full, padding, final))
        y = xp.zeros((o,) + buf + (n,), dtype=col.dtype)
        for i, kpos in enumerate(itertools.product(*[range(k) for k in ksize])):
            sl = (slice(None),) + tuple(slice(kp * d, kp * d + st * (s_ - 1) + 1, st)
                                        for kp, d, st, s_ in zip(kpos, dilation, stride, size))
            y[sl] += col[:, i]
        if buf != final or any(lo for lo, _ in padding):
            y = y[(slice(None),) + tuple(slice(lo, lo + fi) for (lo, _), fi in zip(padding, final))]
        return from_nlast(y, b)

    return {"conv": conv, "conv_weight_grad": conv_weight_grad, "conv_transpose": conv_transpose}
