"""Rearranging elements: slice, slice_axis, concatenate, stack, split, pad, tile, repeat, flip.

Slicing follows Python's rules (out-of-range bounds are clamped, negative values count from the end);
kernels receive it as one (start, stop, step) triple per axis. Every backward is written with ops
(slicing, zero padding, sums), so these differentiate again.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

from ..errors import DeviceMismatchError, OpError
from ._core import Tensor, apply, defop, scalar_types, unary
from .shape import Axes, Triple, _axes, _axis, _check_tensor, _int, _is_seq, reshape

__all__ = ["concatenate", "stack", "split", "slice", "slice_axis", "pad", "tile", "repeat", "flip"]

CONCATENATE = defop("concatenate", doc="join tensors along an existing axis")
STACK = defop("stack", doc="join tensors along a new axis")
SLICE = defop("slice", doc="strided slice, one (start, stop, step) per axis")
SLICE_GRAD = defop("slice_grad", doc="the adjoint of slice: g written into zeros of the input shape")
PAD = defop("pad", doc="pad with a constant, the edge values or a reflection")
TILE = defop("tile", doc="repeat the whole tensor along each axis")
REPEAT = defop("repeat", doc="repeat each element along an axis")
FLIP = defop("flip", doc="reverse the order of elements along axes")

_slice = slice  # the builtin; ``slice`` is redefined below as an op


# -- slice / slice_axis ---------------------------------------------------------------------------

def _triple(b: Any, e: Any, s: Any, n: int) -> Triple:
    """Python's slice ``b:e:s`` on an axis of size ``n`` as a canonical (start, stop, step)."""
    start, stop, step = _slice(b, e, s).indices(n)
    if not len(range(start, stop, step)):
        return (0, 0, 1)
    # indices() gives stop=-1 for "run down past 0", which as a slice would mean n-1
    return (start, None if stop < 0 else stop, step)


def _slice_bwd(node, out, g):
    x = node.parents[0]
    return (apply(SLICE_GRAD, _slice_grad_bwd, (g,), {"shape": x.shape, "slices": node.saved["slices"]}),)


def _slice_grad_bwd(node, out, g):
    return (_slice_op(g, node.saved["slices"]),)


def _slice_op(x: Tensor, slices: Tuple[Triple, ...]) -> Tensor:
    if all(t[0] == 0 and t[2] == 1 and (t[1] is None or t[1] >= n) for t, n in zip(slices, x.shape)):
        return x
    return unary(SLICE, _slice_bwd, x, slices=slices)


def _full_triples(shape: Tuple[int, ...]) -> List[Triple]:
    return [(0, n, 1) for n in shape]


def slice(x: Tensor, begin: Sequence[Any], end: Sequence[Any],  # noqa: A001
          step: Optional[Sequence[Any]] = None) -> Tensor:
    """Strided slice (MXNet's ``slice``): axis ``i`` becomes ``x[begin[i]:end[i]:step[i]]``.

    ``begin``/``end``/``step`` are per-axis sequences of equal length (at most ``x.ndim``; later axes
    are kept whole); a None entry means the default (the whole axis, step 1). Bounds follow Python
    slicing: negative values count from the end, out-of-range values are clamped, and a negative step
    walks backwards. Shape: (d0, ...) -> (len(range(begin[i], end[i], step[i])) for each axis, ...).
    """
    _check_tensor("slice", x)
    shapes = (x.shape,)
    begin = tuple(begin) if _is_seq(begin) else (begin,)
    end = tuple(end) if _is_seq(end) else (end,)
    if step is None:
        step = (None,) * len(begin)
    step = tuple(step) if _is_seq(step) else (step,)
    if not len(begin) == len(end) == len(step):
        raise OpError("slice", f"begin {begin}, end {end} and step {tuple(step)} must have the same length",
                      shapes=shapes)
    if len(begin) > x.ndim:
        raise OpError("slice", f"{len(begin)} axes given for a tensor of {x.ndim} dimension(s)", shapes=shapes)
    triples = _full_triples(x.shape)
    for i, (b, e, s) in enumerate(zip(begin, end, step)):
        b = None if b is None else _int("slice", b, "begin", shapes)
        e = None if e is None else _int("slice", e, "end", shapes)
        s = None if s is None else _int("slice", s, "step", shapes)
        if s == 0:
            raise OpError("slice", f"step of axis {i} is 0", shapes=shapes)
        triples[i] = _triple(b, e, s, x.shape[i])
    return _slice_op(x, tuple(triples))


def slice_axis(x: Tensor, axis: int, begin: Optional[int], end: Optional[int]) -> Tensor:
    """``x[..., begin:end, ...]`` along ``axis`` (Python bounds; None means from the start / to the end).

    Shape: (..., n, ...) -> (..., len(range(n)[begin:end]), ...).
    """
    _check_tensor("slice_axis", x)
    shapes = (x.shape,)
    a = _axis("slice_axis", axis, x.ndim, shapes)
    b = None if begin is None else _int("slice_axis", begin, "begin", shapes)
    e = None if end is None else _int("slice_axis", end, "end", shapes)
    return _slice_along(x, a, b, e)


def _slice_along(x: Tensor, axis: int, b: Optional[int], e: Optional[int]) -> Tensor:
    triples = _full_triples(x.shape)
    triples[axis] = _triple(b, e, None, x.shape[axis])
    return _slice_op(x, tuple(triples))


# -- concatenate / stack / split -----------------------------------------------------------------

def _check_tensors(op: str, tensors: Any) -> List[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise OpError(op, f"expected a list or tuple of Tensors, got {type(tensors).__name__}")
    ts = list(tensors)
    if not ts:
        raise OpError(op, "expected at least one tensor, got an empty sequence")
    for t in ts:
        if not isinstance(t, Tensor):
            raise OpError(op, f"expected a list of unidl Tensors, got an element of type {type(t).__name__}",
                          shapes=[u.shape for u in ts if isinstance(u, Tensor)])
    dev = ts[0].device
    if any(t.device is not dev for t in ts):
        devs = ", ".join(str(t.device) for t in ts)
        raise DeviceMismatchError(op, f"inputs are on different devices: {devs}", shapes=[t.shape for t in ts])
    return ts


def _as_grad(g: Tensor, like: Tensor) -> Tensor:
    if g.dtype != like.dtype:
        from .elementwise import astype

        return astype(g, like.dtype)
    return g


def _concatenate_bwd(node, out, g):
    axis = node.saved["axis"]
    grads = []
    off = 0
    for p in node.parents:
        n = p.shape[axis]
        grads.append(_as_grad(_slice_along(g, axis, off, off + n), p) if p.requires_grad else None)
        off += n
    return tuple(grads)


def concatenate(tensors: Sequence[Tensor], axis: Optional[int] = 0) -> Tensor:
    """Join tensors along an existing ``axis`` (all flattened first when None); dtypes promote as NumPy.

    Shapes: (..., n_i, ...) equal except along ``axis`` -> (..., sum(n_i), ...).
    """
    ts = _check_tensors("concatenate", tensors)
    shapes = [t.shape for t in ts]
    if axis is None:
        ts = [reshape(t, (-1,)) for t in ts]
        axis = 0
    nd = ts[0].ndim
    if nd == 0:
        raise OpError("concatenate", "0-d tensors cannot be concatenated (use stack)", shapes=shapes)
    if any(t.ndim != nd for t in ts):
        raise OpError("concatenate", "all inputs must have the same number of dimensions", shapes=shapes)
    a = _axis("concatenate", axis, nd, shapes)
    ref = ts[0].shape
    for t in ts[1:]:
        if any(d != r for i, (d, r) in enumerate(zip(t.shape, ref)) if i != a):
            raise OpError("concatenate", f"shapes must match except along axis {a}", shapes=shapes)
    if len(ts) == 1:
        return ts[0]
    return apply(CONCATENATE, _concatenate_bwd, ts, {"axis": a})


def _stack_bwd(node, out, g):
    axis = node.saved["axis"]
    return tuple(_as_grad(reshape(_slice_along(g, axis, i, i + 1), p.shape), p) if p.requires_grad else None
                 for i, p in enumerate(node.parents))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new ``axis`` (a position in the result, in ``[-ndim-1, ndim]``).

    Shapes: k tensors of (...) -> (..., k, ...).
    """
    ts = _check_tensors("stack", tensors)
    shapes = [t.shape for t in ts]
    ref = ts[0].shape
    if any(t.shape != ref for t in ts):
        raise OpError("stack", "all inputs must have the same shape", shapes=shapes)
    a = _axis("stack", axis, ts[0].ndim + 1, shapes)
    return apply(STACK, _stack_bwd, ts, {"axis": a})


def split(x: Tensor, indices_or_sections: Union[int, Sequence[int]], axis: int = 0) -> List[Tensor]:
    """Split ``x`` along ``axis`` as ``np.split``: into N equal parts (an error when the axis size is not
    divisible by N), or at the given sorted indices (Python slice bounds, so pieces may be empty).

    Each piece is a slice of ``x`` (its gradient is padded back with zeros).
    Shape: (..., n, ...) -> list of (..., n_i, ...) with sum(n_i) == n.
    """
    _check_tensor("split", x)
    shapes = (x.shape,)
    if x.ndim == 0:
        raise OpError("split", "cannot split a 0-d tensor", shapes=shapes)
    a = _axis("split", axis, x.ndim, shapes)
    n = x.shape[a]
    if _is_seq(indices_or_sections):
        points = [_int("split", i, "split index", shapes) for i in indices_or_sections]
        bounds: List[Optional[int]] = [0] + points + [None]
    else:
        k = _int("split", indices_or_sections, "indices_or_sections", shapes)
        if k <= 0:
            raise OpError("split", f"number of sections must be positive, got {k}", shapes=shapes)
        if n % k:
            raise OpError("split", f"axis {a} of size {n} does not split into {k} equal sections", shapes=shapes)
        step = n // k
        bounds = [i * step for i in range(k)] + [None]
    return [_slice_along(x, a, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


# -- pad ------------------------------------------------------------------------------------------

_PAD_MODES = ("constant", "edge", "reflect")


def _pad_index(mode: str, n: int, before: int, after: int) -> List[int]:
    """For each padded position along one axis, the input position whose value it holds."""
    if mode == "edge" or n == 1:
        return [min(max(j - before, 0), n - 1) for j in range(before + n + after)]
    period = 2 * (n - 1)  # reflect about both ends, repeatedly, as np.pad does for wide pads
    out = []
    for j in range(before + n + after):
        m = (j - before) % period
        out.append(period - m if m >= n else m)
    return out


def _gather_adjoint(g: Tensor, axis: int, idx: List[int], n: int) -> Tensor:
    """The adjoint of gathering along ``axis`` at ``idx`` (consecutive entries differ by -1, 0 or 1):
    ``out[i] = sum of g[j] over idx[j] == i``, built from slices, flips, sums and zero pads."""
    from .elementwise import add
    from .reduce import sum as rsum

    total: Optional[Tensor] = None
    j, m = 0, len(idx)
    while j < m:
        d = idx[j + 1] - idx[j] if j + 1 < m else 1
        k = j + 1
        while k < m and idx[k] - idx[k - 1] == d:
            k += 1
        if k == j + 1:
            d = 1
        piece = _slice_along(g, axis, j, k)
        if d == 0:
            piece = rsum(piece, axis=axis, keepdims=True)
            lo = idx[j]
        elif d < 0:
            piece = flip(piece, axis)
            lo = idx[k - 1]
        else:
            lo = idx[j]
        width = [(0, 0)] * g.ndim
        width[axis] = (lo, n - lo - piece.shape[axis])
        piece = _pad(piece, tuple(width), "constant", 0)
        total = piece if total is None else add(total, piece)
        j = k
    assert total is not None
    return total


def _pad_bwd(node, out, g):
    x = node.parents[0]
    width, mode = node.saved["pad_width"], node.saved["mode"]
    if mode == "constant":
        return (_slice_op(g, tuple((b, b + n, 1) for (b, _), n in zip(width, x.shape))),)
    for axis, ((b, a), n) in enumerate(zip(width, x.shape)):
        if b or a:
            g = _gather_adjoint(g, axis, _pad_index(mode, n, b, a), n)
    return (g,)


def _pad(x: Tensor, width: Tuple[Tuple[int, int], ...], mode: str, value: Any) -> Tensor:
    if not any(b or a for b, a in width):
        return x
    attrs = {"pad_width": width, "mode": mode, "constant_value": value}
    return unary(PAD, _pad_bwd, x, **attrs)


def pad(x: Tensor, pad_width: Any, mode: str = "constant", constant_value: Any = 0) -> Tensor:
    """Pad ``x`` as ``np.pad``: ``pad_width`` is ``((before, after),) * ndim`` or anything broadcasting to
    it (an int, or one (before, after) pair for every axis).

    ``mode``: 'constant' (``constant_value``, cast to x's dtype), 'edge' (repeat the edge values) or
    'reflect' (mirror without repeating the edge; wide pads reflect repeatedly). edge/reflect need a
    non-empty axis wherever they pad. Shape: (d0, ...) -> (before0 + d0 + after0, ...).
    """
    import numpy as np

    _check_tensor("pad", x)
    shapes = (x.shape,)
    if mode not in _PAD_MODES:
        raise OpError("pad", f"mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}", shapes=shapes)
    try:
        pw = np.asarray(pad_width)
        ok = pw.dtype.kind in "iu"
        pw = np.broadcast_to(pw, (x.ndim, 2)) if ok else pw
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise OpError("pad", f"pad_width {pad_width!r:.80} must be integer (before, after) pairs, one per axis "
                      "(or broadcastable to that)", shapes=shapes)
    width = tuple((int(b), int(a)) for b, a in pw)
    if any(b < 0 or a < 0 for b, a in width):
        raise OpError("pad", f"pad_width {width} has negative entries", shapes=shapes)
    if mode != "constant":
        for i, ((b, a), n) in enumerate(zip(width, x.shape)):
            if n == 0 and (b or a):
                raise OpError("pad", f"cannot pad the empty axis {i} in mode {mode!r}", shapes=shapes)
        value = 0
    else:
        value = constant_value
        if not isinstance(value, scalar_types):
            raise OpError("pad", f"constant_value must be a scalar, got {type(value).__name__}", shapes=shapes)
    return _pad(x, width, mode, value)


# -- tile / repeat / flip -------------------------------------------------------------------------

def _tile_bwd(node, out, g):
    from .reduce import sum as rsum

    x = node.parents[0]
    reps = node.saved["reps"]
    shape = (1,) * (len(reps) - x.ndim) + x.shape
    inter = tuple(d for pair in zip(reps, shape) for d in pair)
    gs = rsum(reshape(g, inter), axis=tuple(range(0, 2 * len(reps), 2)))
    return (reshape(gs, x.shape),)


def tile(x: Tensor, reps: Union[int, Sequence[int]]) -> Tensor:
    """``x`` repeated ``reps[i]`` times along each axis, as ``np.tile`` (shorter ``reps`` are padded
    with 1s on the left; longer ones give ``x`` leading size-1 axes).

    Shape: (d0, ...) -> (reps0 * d0, ...) with max(ndim, len(reps)) dimensions.
    """
    _check_tensor("tile", x)
    shapes = (x.shape,)
    seq = tuple(reps) if _is_seq(reps) else (reps,)
    r = tuple(_int("tile", v, "reps", shapes) for v in seq)
    if any(v < 0 for v in r):
        raise OpError("tile", f"reps {r} must be non-negative", shapes=shapes)
    r = (1,) * (x.ndim - len(r)) + r
    if all(v == 1 for v in r) and len(r) == x.ndim:
        return x
    return unary(TILE, _tile_bwd, x, reps=r)


def _repeat_bwd(node, out, g):
    from .reduce import sum as rsum

    x = node.parents[0]
    repeats, axis = node.saved["repeats"], node.saved["axis"]
    n = x.shape[axis]
    if isinstance(repeats, int):
        shape = x.shape[:axis] + (n, repeats) + x.shape[axis + 1:]
        return (rsum(reshape(g, shape), axis=axis + 1),)
    import numpy as np

    from ..creation import zeros_like
    from .index import index_add

    idx = np.repeat(np.arange(n), repeats)
    key = (_slice(None),) * axis + (idx,)
    return (index_add(zeros_like(x), key, g),)


def repeat(x: Tensor, repeats: Union[int, Sequence[int]], axis: Optional[int] = None) -> Tensor:
    """Repeat each element ``repeats`` times (or ``repeats[i]`` times for element ``i``) along ``axis``
    (of the flattened ``x`` when None), as ``np.repeat``.

    Shape: (..., n, ...) -> (..., n * repeats or sum(repeats), ...).
    """
    _check_tensor("repeat", x)
    shapes = (x.shape,)
    if axis is None:
        x = reshape(x, (-1,))
        a = 0
    else:
        a = _axis("repeat", axis, x.ndim, shapes)
    n = x.shape[a]
    if _is_seq(repeats):
        reps = tuple(_int("repeat", v, "repeats", shapes) for v in repeats)
        if len(reps) == 1:
            reps = reps[0]
        elif len(reps) != n:
            raise OpError("repeat", f"{len(reps)} repeats given for an axis of size {n}; expected {n} or 1",
                          shapes=shapes)
    else:
        reps = _int("repeat", repeats, "repeats", shapes)
    if (reps < 0) if isinstance(reps, int) else any(v < 0 for v in reps):
        raise OpError("repeat", f"repeats {reps} must be non-negative", shapes=shapes)
    if reps == 1:
        return x
    return unary(REPEAT, _repeat_bwd, x, repeats=reps, axis=a)


def _flip_bwd(node, out, g):
    return (unary(FLIP, _flip_bwd, g, axis=node.saved["axis"]),)


def flip(x: Tensor, axis: Axes = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes when None). Shape: unchanged."""
    _check_tensor("flip", x)
    axes = tuple(range(x.ndim)) if axis is None else _axes("flip", axis, x.ndim, (x.shape,))
    if not axes:
        return x
    return unary(FLIP, _flip_bwd, x, axis=axes)
