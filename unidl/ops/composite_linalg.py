"""Composites of the linear-algebra, spectral, random and segment ops: einsum, the exact integer GEMMs,
FFTs, inv, slogdet, random permutations and integers, segment reductions and the FTRL update.
Conventions as in ``composite_basic``.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .composite_basic import _clip, _count, arange, composite, full

_M64 = (1 << 64) - 1


def _xp(K):
    from ..devices import DEVICES

    return DEVICES.types[K._device_type].xp


def _to_host(K, x):
    """``x`` copied to the host (synchronises with the device)."""
    from ..devices import DEVICES

    return np.asarray(DEVICES.types[K._device_type].to_host(x))


def _const(K, a):
    """A host NumPy constant (index tables, twiddle factors) on K's device."""
    return _xp(K).asarray(a)


def _wide_float(dt):
    """The dtype a float computation in ``dt`` is carried out in: float64 (the result is rounded back)."""
    return np.dtype(np.float64)


# -- einsum ------------------------------------------------------------------------------------------
def _einsum_terms(subscripts, shapes):
    """The input terms and the output term of ``subscripts`` as lists of labels, '...' expanded into
    labels of its own (right-aligned across operands, as NumPy broadcasts them); implicit output: the
    labels that appear once, in character order, after the '...' dims."""
    s = subscripts.replace(" ", "")
    lhs, arrow, out = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} term(s) in {subscripts!r} for {len(shapes)} operand(s)")
    ell_nd = []
    for t, shp in zip(terms, shapes):
        core = t.replace("...", "")
        ell_nd.append(len(shp) - len(core) if "..." in t else 0)
        if ell_nd[-1] < 0 or ("..." not in t and len(t) != len(shp)):
            raise ValueError(f"einsum: term {t!r} does not match an operand of {len(shp)} dimension(s)")
    ne = max(ell_nd, default=0)
    ell = [("...", i) for i in range(ne)]

    def expand(t, k):
        if "..." not in t:
            return list(t)
        a, _, b = t.partition("...")
        return list(a) + ell[ne - k:] + list(b)

    labels = [expand(t, k) for t, k in zip(terms, ell_nd)]
    if arrow:
        out_l = expand(out, ne) if "..." in out else list(out)
    else:
        chars = [c for t in terms for c in t if c != "."]
        out_l = ell + sorted(c for c in set(chars) if chars.count(c) == 1)
    return labels, out_l


def _sum_axes(K, x, axes):
    """``x`` summed over ``axes`` in x's own dtype (NumPy's sum widens bools and small integers: cast back,
    which wraps as an einsum accumulating in the dtype does; a bool sum becomes 'any')."""
    if not axes:
        return x
    s = K.sum(x, axis=tuple(axes))
    return K.astype(s, x.dtype) if s.dtype != x.dtype else s


def _diagonal(K, x, lab):
    """Repeated labels of one operand reduced to their diagonal (the repeated axes moved last, then one
    gather with a shared arange)."""
    while len(set(lab)) != len(lab):
        c = next(c for c in lab if lab.count(c) > 1)
        pos = [i for i, d in enumerate(lab) if d == c]
        rest = [i for i in range(len(lab)) if i not in pos]
        x = K.transpose(x, tuple(rest + pos))
        n = min(x.shape[len(rest):])
        ar = arange(K, n)
        x = K.getitem(x, (Ellipsis,) + (ar,) * len(pos))
        lab = [lab[i] for i in rest] + [c]
    return x, lab


def _contract(K, a, la, b, lb, keep):
    """Operands ``a`` (labels ``la``) and ``b`` contracted by one batched matmul: the labels both share and
    ``keep`` needs are batch dims, the other shared ones are summed; the result's labels are returned."""
    batch = [c for c in la if c in lb and c in keep]
    contr = [c for c in la if c in lb and c not in keep]
    fa = [c for c in la if c not in lb]
    fb = [c for c in lb if c not in la]
    da, db = dict(zip(la, a.shape)), dict(zip(lb, b.shape))
    size = {c: max(da[c], db[c]) if da[c] != 1 and db[c] != 1 else da[c] * db[c] for c in batch + contr}
    at = K.transpose(a, tuple(la.index(c) for c in batch + fa + contr))
    bt = K.transpose(b, tuple(lb.index(c) for c in batch + contr + fb))
    at = K.broadcast_to(at, tuple(size[c] for c in batch) + tuple(da[c] for c in fa) + tuple(size[c] for c in contr))
    bt = K.broadcast_to(bt, tuple(size[c] for c in batch + contr) + tuple(db[c] for c in fb))
    nb, nc = _count([size[c] for c in batch], None), _count([size[c] for c in contr], None)
    na, nf = _count([da[c] for c in fa], None), _count([db[c] for c in fb], None)
    lead = (nb,) if batch else ()
    r = K.matmul(K.reshape(at, lead + (na, nc)), K.reshape(bt, lead + (nc, nf)))
    shape = tuple(size[c] for c in batch) + tuple(da[c] for c in fa) + tuple(db[c] for c in fb)
    return K.reshape(r, shape), batch + fa + fb


def _einsum_compute(K, ops, subscripts):
    labels, out = _einsum_terms(subscripts, [x.shape for x in ops])
    arrs = []
    for x, lab in zip(ops, labels):
        arrs.append(_diagonal(K, x, list(lab)))
    # labels found in one operand only and not in the output are summed out first
    for i, (x, lab) in enumerate(arrs):
        elsewhere = set(out).union(*[set(l2) for j, (_, l2) in enumerate(arrs) if j != i])
        drop = [k for k, c in enumerate(lab) if c not in elsewhere]
        arrs[i] = (_sum_axes(K, x, drop), [c for c in lab if c in elsewhere])
    x, lab = arrs[0]
    for i in range(1, len(arrs)):
        b, lb = arrs[i]
        keep = set(out).union(*[set(l2) for _, l2 in arrs[i + 1:]])
        x, lab = _contract(K, x, lab, b, lb, keep)
    x = _sum_axes(K, x, [k for k, c in enumerate(lab) if c not in out])
    lab = [c for c in lab if c in out]
    if lab != out:
        x = K.transpose(x, tuple(lab.index(c) for c in out))
    return x


@composite("einsum", reordered=True)
def _einsum(K, *operands, subscripts):
    """Diagonals of repeated labels, singly used labels summed, then a left-to-right chain of batched
    matmuls (NumPy's einsum sums its own way: within the reduction tolerance; integers exactly).
    bfloat16 and float16 are computed in float32 and rounded back, as the kernel's float32 loop."""
    dts = [x.dtype for x in operands]
    low = [dt for dt in dts if dt.kind == "V" or dt == np.float16]
    rdt = np.result_type(*dts) if not any(dt.kind == "V" for dt in dts) else None
    if rdt is None:
        wide = [np.dtype(np.float32) if dt.kind == "V" else dt for dt in dts]
        rdt = dts[0] if all(dt == dts[0] for dt in dts) else np.result_type(*wide)
    cdt = np.dtype(np.float32) if low and (rdt.kind == "V" or rdt == np.float16) else rdt
    ops = [x if x.dtype == cdt else K.astype(x, cdt) for x in operands]
    r = _einsum_compute(K, ops, subscripts)
    return r if r.dtype == rdt else K.astype(r, rdt)


# -- exact integer products --------------------------------------------------------------------------
@composite("int_matmul")
def _int_matmul(K, a, b):
    # the kernel's float64 GEMM: integer sums below 2**53 are exact in any order
    f = np.float64
    return K.astype(K.matmul(K.astype(a, f), K.astype(b, f)), np.int32)


@composite("int_einsum")
def _int_einsum(K, a, b, subscripts):
    f = np.float64
    return K.astype(K.einsum(K.astype(a, f), K.astype(b, f), subscripts=subscripts), np.int32)
