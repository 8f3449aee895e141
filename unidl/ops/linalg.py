"""Linear algebra: matmul, dot, tensordot, einsum, outer (NumPy semantics).

Backward passes are written with the same ops (a matmul's gradients are matmuls, an einsum's are
einsums), so they differentiate again. Gradients flowing into broadcast batch dims or size-1 dims
are summed back to the operand's shape.
"""
from __future__ import annotations

import string
from typing import Any, Dict, List, Sequence, Tuple, Union

from ..errors import OpError
from ..autograd import STATE
from ._core import Tensor, apply, as_tensor_like, binary, defop, scalar_types, wrap
from .reduce import sum as _sum
from .reduce import unbroadcast
from .shape import TRANSPOSE, broadcast_to, reshape, transpose

__all__ = ["matmul", "dot", "tensordot", "einsum", "outer"]

MATMUL = defop("matmul", doc="matrix product with NumPy matmul semantics (1-D operands, broadcast batch dims)")
TENSORDOT = defop("tensordot", doc="sum of products over the given axes of a and b")
EINSUM = defop("einsum", doc="Einstein summation (explicit '->' form)")


def _tensor_pair(op: str, a: Any, b: Any) -> Tuple[Tensor, Tensor]:
    """Both operands as Tensors on one device; array-likes are converted, scalars refused."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise OpError(op, f"expected unidl Tensors, got {type(a).__name__} and {type(b).__name__}")
        a = _operand(op, a, b)
    elif not isinstance(b, Tensor):
        b = _operand(op, b, a)
    return a, b


def _operand(op: str, x: Any, like: Tensor) -> Tensor:
    if isinstance(x, scalar_types):
        raise OpError(op, f"operands must be arrays, not the scalar {x!r} (use multiply for scaling)",
                      shapes=(like.shape,))
    return as_tensor_like(x, like)


def _swap_last2(x: Tensor) -> Tensor:
    nd = x.ndim
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _broadcast_batch(op: str, sa: Tuple[int, ...], sb: Tuple[int, ...]) -> None:
    """Check that the batch dims (all but the last two) of ``sa`` and ``sb`` broadcast."""
    ba, bb = sa[:-2], sb[:-2]
    for da, db in zip(ba[::-1], bb[::-1]):
        if da != db and da != 1 and db != 1:
            raise OpError(op, f"batch dimensions {ba} and {bb} do not broadcast", shapes=(sa, sb))


def _matmul_bwd(node, out, g):
    a, b = node.parents
    ga = gb = None
    if a.ndim == 2 and b.ndim == 2:  # the hot case: no reshapes, no reductions
        if not STATE.recording:  # plain backward: call the kernel on transposed views, build no graph
            dt, dev = g.device.type, g.device
            k, t = MATMUL.kernel(dt), TRANSPOSE.kernel(dt)  # the transpose kernel: a view on cpu, as .T
            if a.requires_grad:
                ga = wrap(k(g.data, t(b.data, (1, 0))), dev)
            if b.requires_grad:
                gb = wrap(k(t(a.data, (1, 0)), g.data), dev)
            return ga, gb
        if a.requires_grad:
            ga = matmul(g, transpose(b, (1, 0)))
        if b.requires_grad:
            gb = matmul(transpose(a, (1, 0)), g)
        return ga, gb
    # Promote 1-D operands to matrices (as matmul does), then undo the promotion on the gradients.
    a2 = a if a.ndim > 1 else reshape(a, (1, a.shape[0]))
    b2 = b if b.ndim > 1 else reshape(b, (b.shape[0], 1))
    gs = g.shape
    if a.ndim == 1:
        gs = gs[:-1] + (1,) + gs[-1:]
    if b.ndim == 1:
        gs = gs + (1,)
    g2 = reshape(g, gs)
    if a.requires_grad:
        ga = reshape(unbroadcast(matmul(g2, _swap_last2(b2)), a2.shape), a.shape)
    if b.requires_grad:
        gb = reshape(unbroadcast(matmul(_swap_last2(a2), g2), b2.shape), b.shape)
    return ga, gb


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy ``matmul`` semantics.

    Shapes: (..., M, K) @ (..., K, N) -> (broadcast ..., M, N); a 1-D ``a`` (K,) acts as (1, K) and
    a 1-D ``b`` (K,) as (K, 1), the added dim being dropped from the result. Batch dims broadcast.
    """
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        a, b = _tensor_pair("matmul", a, b)
    sa, sb = a.data.shape, b.data.shape
    na, nb = len(sa), len(sb)
    if na == 0 or nb == 0:
        raise OpError("matmul", "operands must have at least 1 dimension (use multiply for 0-d tensors)",
                      shapes=(sa, sb))
    if sa[-1] != (sb[-2] if nb > 1 else sb[0]):
        which = "second-to-last" if nb > 1 else "only"
        raise OpError("matmul", f"inner dimensions must agree: the last dim of a ({sa[-1]}) must equal the "
                      f"{which} dim of b ({sb[-2] if nb > 1 else sb[0]})", shapes=(sa, sb))
    if na > 2 and nb > 2:
        _broadcast_batch("matmul", sa, sb)
    return binary(MATMUL, _matmul_bwd, a, b)


def dot(a: Tensor, b: Any) -> Tensor:
    """NumPy ``dot``: a product with a 0-d operand, the inner product of 1-D operands, the matrix
    product of 2-D ones, and otherwise a sum over the last axis of ``a`` and the second-to-last of ``b``.

    Shapes: (..., K) . (K,) -> (...); (..., K) . (*B, K, N) -> (..., *B, N).
    """
    from .elementwise import multiply

    if isinstance(a, scalar_types) or isinstance(b, scalar_types):
        return multiply(a, b)
    a, b = _tensor_pair("dot", a, b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != kb:
        which = "second-to-last" if b.ndim > 1 else "only"
        raise OpError("dot", f"shapes are not aligned: the last dim of a ({a.shape[-1]}) must equal the {which} "
                      f"dim of b ({kb})", shapes=(a.shape, b.shape))
    if b.ndim <= 2 or a.ndim == 1:  # here dot and matmul agree
        return matmul(a, b)
    return tensordot(a, b, axes=((a.ndim - 1,), (b.ndim - 2,)))


# -- tensordot ---------------------------------------------------------------------------------------

def _axes_list(op: str, ax: Any, nd: int, shapes: Sequence[Any]) -> Tuple[int, ...]:
    t = (ax,) if isinstance(ax, int) or hasattr(ax, "__index__") else tuple(ax)
    out = []
    for i in t:
        i = int(i)
        if not -nd <= i < nd:
            raise OpError(op, f"axis {i} is out of range for an operand of {nd} dimension(s)", shapes=shapes)
        i %= nd
        if i in out:
            raise OpError(op, f"axis {i} repeated in {ax!r}", shapes=shapes)
        out.append(i)
    return tuple(out)


def _tensordot_axes(a: Tensor, b: Tensor, axes: Any) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    shapes = (a.shape, b.shape)
    if isinstance(axes, int) or hasattr(axes, "__index__"):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise OpError("tensordot", f"axes={n} must be between 0 and the operands' dimensions "
                          f"({a.ndim} and {b.ndim})", shapes=shapes)
        ax_a, ax_b = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    else:
        try:
            xa, xb = axes
        except (TypeError, ValueError):
            raise OpError("tensordot", f"axes must be an int or a pair (axes_a, axes_b), got {axes!r}",
                          shapes=shapes) from None
        ax_a = _axes_list("tensordot", xa, a.ndim, shapes)
        ax_b = _axes_list("tensordot", xb, b.ndim, shapes)
        if len(ax_a) != len(ax_b):
            raise OpError("tensordot", f"axes_a {xa!r} and axes_b {xb!r} must have the same length", shapes=shapes)
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise OpError("tensordot", f"contracted dimensions must agree: a's axis {i} has size {a.shape[i]} "
                          f"but b's axis {j} has size {b.shape[j]}", shapes=shapes)
    return ax_a, ax_b


def _inverse_perm(perm: Sequence[int]) -> Tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _tensordot_bwd(node, out, g):
    a, b = node.parents
    ax_a, ax_b = node.saved["axes"]
    free_a = tuple(i for i in range(a.ndim) if i not in ax_a)
    free_b = tuple(i for i in range(b.ndim) if i not in ax_b)
    nfa = len(free_a)
    ga = gb = None
    if a.requires_grad:
        # the result keeps free_a, then b's contracted axes in b's order, each paired with an axis of a
        r = tensordot(g, b, axes=(tuple(range(nfa, g.ndim)), free_b))
        ga = transpose(r, _inverse_perm(free_a + tuple(ax_a[ax_b.index(j)] for j in sorted(ax_b))))
    if b.requires_grad:
        r = tensordot(a, g, axes=(free_a, tuple(range(nfa))))
        gb = transpose(r, _inverse_perm(tuple(ax_b[ax_a.index(i)] for i in sorted(ax_a)) + free_b))
    return ga, gb


def tensordot(a: Tensor, b: Tensor, axes: Union[int, Tuple[Any, Any]] = 2) -> Tensor:
    """Sum of products over axes of ``a`` and ``b`` (NumPy ``tensordot``).

    ``axes=n`` contracts the last n axes of ``a`` with the first n of ``b``; ``(axes_a, axes_b)``
    names the paired axes. Shape: free axes of ``a`` followed by free axes of ``b``.
    """
    a, b = _tensor_pair("tensordot", a, b)
    ax = _tensordot_axes(a, b, axes)
    return apply(TENSORDOT, _tensordot_bwd, (a, b), {"axes": ax})


def outer(a: Tensor, b: Tensor) -> Tensor:
    """Outer product of the flattened operands. Shapes: (M...), (N...) -> (M, N)."""
    from .elementwise import multiply

    a, b = _tensor_pair("outer", a, b)
    return multiply(reshape(a, (a.size, 1)), reshape(b, (1, b.size)))


# -- einsum ------------------------------------------------------------------------------------------

_LETTERS = string.ascii_letters


def _parse_einsum(subscripts: str, shapes: List[Tuple[int, ...]]) -> Tuple[List[str], str]:
    """Expand '...' into letters and check sizes; return the input terms and the output term."""
    s = subscripts.replace(" ", "")
    if s.count("->") != 1:
        raise OpError("einsum", f"subscripts {subscripts!r} must have exactly one explicit '->' output "
                      "(e.g. 'ij,jk->ik')", shapes=shapes)
    lhs, out = s.split("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise OpError("einsum", f"subscripts {subscripts!r} name {len(terms)} operand(s) but {len(shapes)} "
                      "were given", shapes=shapes)
    for c in lhs + out:
        if not (c in _LETTERS or c in ".,"):
            raise OpError("einsum", f"invalid character {c!r} in subscripts {subscripts!r}", shapes=shapes)
    free = [c for c in _LETTERS if c not in s]
    ell_nd = []
    for t, shp in zip(terms, shapes):
        core = t.replace("...", "", 1)
        if "." in core:
            raise OpError("einsum", f"term {t!r} has a '.' that is not part of one '...'", shapes=shapes)
        k = len(shp) - len(core) if "..." in t else 0
        if k < 0 or ("..." not in t and len(t) != len(shp)):
            raise OpError("einsum", f"term {t!r} has {len(core)} subscript(s) but its operand has {len(shp)} "
                          "dimension(s)", shapes=shapes)
        ell_nd.append(k)
    ne = max(ell_nd, default=0)
    if ne > len(free):
        raise OpError("einsum", "too many dimensions under '...'", shapes=shapes)
    ell = "".join(free[:ne])
    terms = [t.replace("...", ell[ne - k:], 1) for t, k in zip(terms, ell_nd)]
    if "..." in out:
        out = out.replace("...", ell, 1)
    elif ne:
        raise OpError("einsum", f"the inputs have dimensions under '...' but the output {out!r} has no '...'",
                      shapes=shapes)
    if "." in out:
        raise OpError("einsum", f"output {out!r} has a '.' that is not part of one '...'", shapes=shapes)
    sizes: Dict[str, int] = {}
    for t, shp in zip(terms, shapes):
        for c, d in zip(t, shp):
            have = sizes.get(c)
            if have is None or have == 1:
                sizes[c] = d
            elif d != have and d != 1:
                raise OpError("einsum", f"subscript {c!r} has sizes {have} and {d}, which do not broadcast",
                              shapes=shapes)
    for c in out:
        if c not in sizes:
            raise OpError("einsum", f"output subscript {c!r} does not appear in the inputs", shapes=shapes)
        if out.count(c) > 1:
            raise OpError("einsum", f"output subscript {c!r} is repeated", shapes=shapes)
    return terms, out


def _einsum_bwd(node, out, g):
    from ..creation import eye

    terms, out_t = node.saved["terms"], node.saved["out"]
    ops = node.parents
    grads = []
    for i, (x, t) in enumerate(zip(ops, terms)):
        if x is None or not x.requires_grad:
            grads.append(None)
            continue
        others = [terms[j] for j in range(len(terms)) if j != i] + [out_t]
        avail = set("".join(others))
        uniq = "".join(dict.fromkeys(t))
        target = "".join(c for c in uniq if c in avail)
        r = einsum(",".join(others) + "->" + target, *[ops[j] for j in range(len(ops)) if j != i], g)
        # Reconcile with the operand's own sizes: sum where it was broadcast (size 1), broadcast
        # where a letter was summed out of this operand only, or only met size-1 partners.
        own = {}
        for c, d in zip(t, x.shape):
            own[c] = d
        red = tuple(k for k, c in enumerate(target) if own[c] == 1 and r.shape[k] != 1)
        if red:
            r = _sum(r, axis=red, keepdims=True)
        full = tuple(own[c] for c in uniq)
        if r.ndim != len(uniq):
            r = reshape(r, tuple(r.shape[target.index(c)] if c in target else 1 for c in uniq))
        if r.shape != full:
            r = broadcast_to(r, full)
        if len(uniq) != len(t):  # repeated subscripts (a diagonal): spread onto it with identity masks
            used = set("".join(terms) + out_t)
            fresh = iter(c for c in _LETTERS if c not in used)
            seen, new_t, eyes = set(), [], []
            for c in t:
                if c in seen:
                    f = next(fresh)
                    new_t.append(f)
                    eyes.append(c + f)
                else:
                    seen.add(c)
                    new_t.append(c)
            masks = [eye(own[e[0]], dtype=r.dtype, device=r.device) for e in eyes]
            r = einsum(",".join([uniq] + eyes) + "->" + "".join(new_t), r, *masks)
        grads.append(r)
    return tuple(grads)


def einsum(subscripts: str, *operands: Tensor) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``.

    The explicit ``'->'`` output is required; ``'...'`` stands for broadcast leading dims. Size-1
    dims broadcast against a subscript's other sizes as in NumPy.
    """
    if not operands:
        raise OpError("einsum", "needs at least one operand")
    first = next((x for x in operands if isinstance(x, Tensor)), None)
    if first is None:
        raise OpError("einsum", "expected unidl Tensor operands")
    ops = tuple(x if isinstance(x, Tensor) else _operand("einsum", x, first) for x in operands)
    terms, out = _parse_einsum(subscripts, [x.shape for x in ops])
    subs = ",".join(terms) + "->" + out
    return apply(EINSUM, _einsum_bwd, ops, {"subscripts": subs}, saved={"terms": terms, "out": out})
