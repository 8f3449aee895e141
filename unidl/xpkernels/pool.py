"""Pooling kernels (channels-first, any number of spatial dims).

Attributes arrive normalised by ``unidl.ops.pool``: ``kernel``/``stride`` are tuples with one int per
spatial dim, ``padding`` a tuple of (lo, hi) pairs, ``out_size`` the output's spatial size (it already
folds in ceil_mode). Windows are strided slices of the padded input, one per kernel position (prod(kernel) elementwise
ops over the output, far faster than a reduction over a strided window view); a global window
(one output per spatial dim, no padding) is a plain reduction over the reshaped input instead.
Max-pool backward routes each window's gradient to its first maximum. Results are allocated in their input's
memory order (a convolution's output is N-last in memory, see ``conv.py``): every operand of a NumPy loop then
shares one layout and the loops run over the contiguous batch axis.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable, Dict, Sequence, Tuple

import numpy as np

from unidl.dtypes import via_float32

Pads = Sequence[Tuple[int, int]]


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:

    def lowest(dtype: Any) -> Any:
        return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min

    def prod(t: Sequence[int]) -> int:
        p = 1
        for v in t:
            p *= v
        return p

    def pads_needed(size: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Pads,
                    out: Sequence[int]) -> Tuple[Tuple[int, int], ...]:
        """(lo, hi) so every window fits: hi may exceed the padding (ceil_mode) or use less of it."""
        return tuple((lo, max((o - 1) * s + k - n - lo, 0) if o > 0 else 0)
                     for n, k, s, (lo, _), o in zip(size, kernel, stride, padding, out))

    def is_blocked(kernel: Sequence[int], stride: Sequence[int], pads: Pads) -> bool:
        return tuple(kernel) == tuple(stride) and not any(lo or hi for lo, hi in pads)

    def is_global(kernel: Sequence[int], stride: Sequence[int], pads: Pads, out: Sequence[int]) -> bool:
        return is_blocked(kernel, stride, pads) and all(o == 1 for o in out)

    def pad(x: Any, pads: Pads, value: Any) -> Any:
        if not any(lo or hi for lo, hi in pads):
            return x
        shape = x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
        out = xp.full(shape, value, dtype=x.dtype)
        out[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], pads))] = x
        return out

    def windows(kernel: Sequence[int], stride: Sequence[int], out: Sequence[int]):
        """One index per kernel position: the strided slice of the padded input it sees in every window."""
        lead = (slice(None), slice(None))
        for kpos in itertools.product(*[range(k) for k in kernel]):
            yield lead + tuple(slice(kp, kp + s * (o - 1) + 1, s) for kp, s, o in zip(kpos, stride, out))

    def blocks(x: Any, kernel: Sequence[int], out: Sequence[int]) -> Any:
        """(N, C, *S) -> (N, C, o1, k1, o2, k2, ...) view of the non-overlapping windows."""
        x = x[(slice(None), slice(None)) + tuple(slice(0, o * k) for o, k in zip(out, kernel))]
        return x.reshape(x.shape[:2] + tuple(d for ok in zip(out, kernel) for d in ok))

    def block_axes(nd: int) -> Tuple[int, ...]:
        return tuple(3 + 2 * i for i in range(nd))

    def flat_blocks(x: Any, kernel: Sequence[int], out: Sequence[int]) -> Any:
        """(N, C, *out, prod(kernel)) copy of the non-overlapping windows."""
        nd = len(kernel)
        b = blocks(x, kernel, out)
        perm = (0, 1) + tuple(2 + 2 * i for i in range(nd)) + block_axes(nd)
        return b.transpose(perm).reshape(x.shape[:2] + tuple(out) + (prod(kernel),))

    def unflat_blocks(v: Any, x_shape: Sequence[int], kernel: Sequence[int], out: Sequence[int]) -> Any:
        """Inverse of flat_blocks into a zero array of ``x_shape`` (positions outside the blocks get 0)."""
        nd = len(kernel)
        b = v.reshape(v.shape[:2] + tuple(out) + tuple(kernel))
        perm = (0, 1) + tuple(j for i in range(nd) for j in (2 + i, 2 + nd + i))
        b = b.transpose(perm).reshape(tuple(x_shape[:2]) + tuple(o * k for o, k in zip(out, kernel)))
        if b.shape == tuple(x_shape):
            return b
        gx = xp.zeros(x_shape, dtype=v.dtype)
        gx[(slice(None), slice(None)) + tuple(slice(0, n) for n in b.shape[2:])] = b
        return gx

    def max_pool(x: Any, *, kernel: Sequence[int], stride: Sequence[int], padding: Pads,
                 out_size: Sequence[int]) -> Any:
        pads = pads_needed(x.shape[2:], kernel, stride, padding, out_size)
        if is_global(kernel, stride, pads, out_size):
            return blocks(x, kernel, out_size).max(axis=block_axes(len(kernel)))
        xp_ = pad(x, pads, lowest(x.dtype))
        it = windows(kernel, stride, out_size)
        y = xp_[next(it)].copy(order="K")  # the input's memory order (a channels-last map stays so)
        for sl in it:
            xp.maximum(y, xp_[sl], out=y)
        return y

    def first_max_hits(xp_: Any, y: Any, kernel: Sequence[int], stride: Sequence[int], out: Sequence[int]):
        """(slice, mask) per kernel position: where that position holds its window's first maximum (a mask
        is only valid until the next one is produced)."""
        taken = None
        last = prod(kernel) - 1
        for i, sl in enumerate(windows(kernel, stride, out)):
            eq = xp_[sl] == y
            if taken is None:
                taken = eq
                yield sl, eq
                continue
            yield sl, xp.greater(eq, taken)  # eq and not taken, in one pass
            if i == 1:
                taken = xp.logical_or(taken, eq)  # a new array: the first mask was handed out
            elif i < last:
                xp.logical_or(taken, eq, out=taken)

    def tiled_max_pool_grad(x: Any, y: Any, g: Any, kernel: Sequence[int], out: Sequence[int]) -> Any:
        """max_pool_grad where the windows tile the input exactly (kernel == stride, no padding, no remainder):
        one comparison of the whole input with the broadcast output, the first-maximum rule applied to the
        (small) per-position slices of that mask in place, and one product ``g * hit`` with the broadcast
        gradient. The mask and the result are allocated in the input's memory order and written through views
        split as (N, C, o1, k1, o2, k2, ...)."""
        nd = len(kernel)
        split = tuple(x.shape[:2]) + tuple(d for o, k in zip(out, kernel) for d in (o, k))
        spread = (slice(None), slice(None)) + (slice(None), None) * nd  # o_i kept, k_i broadcast
        hits = xp.empty_like(x, dtype=bool).reshape(split)  # in the input's memory order
        xp.equal(x.reshape(split), y[spread], out=hits)  # every position holding its window's maximum
        positions = list(itertools.product(*[range(k) for k in kernel]))
        lead = (slice(None), slice(None))

        def at(kpos: Tuple[int, ...]) -> Any:
            return hits[lead + tuple(i for kp in kpos for i in (slice(None), kp))]

        taken = at(positions[0]).copy(order="K")  # the mask's memory order: contiguous loops below
        for i, kpos in enumerate(positions[1:], 1):
            hit = at(kpos)
            xp.greater(hit, taken, out=hit)  # a hit here and none at an earlier position
            if i < len(positions) - 1:
                xp.logical_or(taken, hit, out=taken)
        gx = xp.empty_like(x, dtype=g.dtype).reshape(split)  # (a view: split axes; the result whatever it is)
        xp.multiply(g[spread], hits, out=gx)
        return gx.reshape(x.shape)

    def max_pool_grad(x: Any, y: Any, g: Any, *, kernel: Sequence[int], stride: Sequence[int],
                      padding: Pads) -> Any:
        out = g.shape[2:]
        pads = pads_needed(x.shape[2:], kernel, stride, padding, out)
        if is_global(kernel, stride, pads, out):
            idx = flat_blocks(x, kernel, out).argmax(axis=-1)
            onehot = xp.arange(prod(kernel)) == idx[..., None]
            return unflat_blocks(onehot * g[..., None], x.shape, kernel, out)
        if is_blocked(kernel, stride, pads) and all(o * k == n for o, k, n in zip(out, kernel, x.shape[2:])) \
                and x.size:
            return tiled_max_pool_grad(x, y, g, kernel, out)
        xp_ = pad(x, pads, lowest(x.dtype))
        if g.strides != y.strides:  # one memory order for every operand below (NumPy then runs contiguous loops)
            g_ = xp.empty_like(y, dtype=g.dtype)
            g_[...] = g
            g = g_
        exact = is_blocked(kernel, stride, pads) and all(o * k == n for o, k, n in zip(out, kernel, x.shape[2:]))
        # Non-overlapping windows that tile the input write every element exactly once.
        gx = (xp.empty_like if exact else xp.zeros_like)(xp_, dtype=g.dtype)  # in the input's memory order
        overlap = any(s < k for s, k in zip(stride, kernel))
        for sl, hit in first_max_hits(xp_, y, kernel, stride, out):
            if overlap:
                gx[sl] += g * hit
            else:
                xp.multiply(g, hit, out=gx[sl])
        return crop(gx, pads, x.shape[2:])

    def max_pool_gather(x: Any, y: Any, gg: Any, *, kernel: Sequence[int], stride: Sequence[int],
                        padding: Pads) -> Any:
        out = y.shape[2:]
        pads = pads_needed(x.shape[2:], kernel, stride, padding, out)
        if is_global(kernel, stride, pads, out):
            idx = flat_blocks(x, kernel, out).argmax(axis=-1)
            return xp.take_along_axis(flat_blocks(gg, kernel, out), idx[..., None], axis=-1)[..., 0]
        xp_ = pad(x, pads, lowest(x.dtype))
        ggp = pad(gg, pads, 0)
        res = xp.zeros(y.shape, dtype=gg.dtype)
        for sl, hit in first_max_hits(xp_, y, kernel, stride, out):
            res = xp.where(hit, ggp[sl], res)
        return res

    def crop(a: Any, pads: Pads, size: Sequence[int]) -> Any:
        if not any(lo or hi for lo, hi in pads):
            return a
        return a[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, size))]

    def divisor(size: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Pads,
                out: Sequence[int], count_include_pad: bool, dtype: Any) -> Any:
        """1 / (elements counted per window): a scalar when every window counts its full kernel."""
        # Host index arithmetic (NumPy whatever ``xp`` is): a device array here would cost a sync.
        counts = []
        for n, k, s, (lo, hi), o in zip(size, kernel, stride, padding, out):
            start = np.arange(o) * s - lo
            if count_include_pad:
                c = np.minimum(start + k, n + hi) - start
            else:
                c = np.minimum(start + k, n) - np.maximum(start, 0)
            counts.append(c)
        if all(bool((c == k).all()) for c, k in zip(counts, kernel)):
            return xp.asarray(1.0 / prod(kernel), dtype=dtype)
        nd = len(counts)
        total = np.ones((), dtype=dtype)
        for i, c in enumerate(counts):
            total = total * c.astype(dtype).reshape((-1,) + (1,) * (nd - 1 - i))
        return xp.asarray(1 / total)

    def avg_pool(x: Any, *, kernel: Sequence[int], stride: Sequence[int], padding: Pads, out_size: Sequence[int],
                 count_include_pad: bool) -> Any:
        pads = pads_needed(x.shape[2:], kernel, stride, padding, out_size)
        scale = divisor(x.shape[2:], kernel, stride, padding, out_size, count_include_pad, x.dtype)
        if is_global(kernel, stride, pads, out_size):
            y = blocks(x, kernel, out_size).sum(axis=block_axes(len(kernel)))
        else:
            xp_ = pad(x, pads, 0)
            it = windows(kernel, stride, out_size)
            y = xp_[next(it)].copy(order="K")
            for sl in it:
                y += xp_[sl]
        y *= scale
        return y

    def avg_pool_grad(g: Any, *, in_size: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                      padding: Pads, count_include_pad: bool) -> Any:
        out = g.shape[2:]
        x_shape = g.shape[:2] + tuple(in_size)
        pads = pads_needed(in_size, kernel, stride, padding, out)
        gd = g * divisor(in_size, kernel, stride, padding, out, count_include_pad, g.dtype)
        if is_global(kernel, stride, pads, out):
            kk = prod(kernel)
            return unflat_blocks(xp.broadcast_to(gd[..., None], gd.shape + (kk,)), x_shape, kernel, out)
        exact = is_blocked(kernel, stride, pads) and all(o * k == n for o, k, n in zip(out, kernel, in_size))
        padded = g.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(in_size, pads))
        gx = xp.empty_like(g, shape=padded)  # in g's memory order
        if not exact:
            gx[...] = 0
        overlap = any(s < k for s, k in zip(stride, kernel))
        for sl in windows(kernel, stride, out):
            if overlap:
                gx[sl] += gd
            else:
                gx[sl] = gd
        return crop(gx, pads, in_size)

    # bfloat16 pools in float32 and rounds back (max is exact; averages round once)
    w = via_float32
    return {"max_pool": w(max_pool, 1), "max_pool_grad": w(max_pool_grad), "max_pool_gather": w(max_pool_gather),
            "avg_pool": w(avg_pool, 1), "avg_pool_grad": w(avg_pool_grad, 1)}
