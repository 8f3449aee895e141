"""Shape ops: reshape, transpose, broadcast_to, expand_dims, squeeze, flatten, swapaxes, moveaxis.
(Slicing, joining, splitting, padding, tiling and flipping live in :mod:`unidl.ops.arrange`.)

Ops that only rearrange the shape (expand_dims, squeeze, flatten, swapaxes, moveaxis) are written
with reshape/transpose. Slicing follows Python's rules (out-of-range bounds are clamped, negative
values count from the end); kernels receive it as one (start, stop, step) triple per axis.
"""
from __future__ import annotations

import operator
from typing import Any, Optional, Sequence, Tuple, Union

from ..errors import OpError
from ._core import Tensor, defop, unary

__all__ = ["reshape", "broadcast_to", "transpose", "expand_dims", "squeeze", "flatten", "swapaxes", "moveaxis"]

Axes = Union[None, int, Sequence[int]]
Triple = Tuple[int, Optional[int], int]

RESHAPE = defop("reshape", doc="same elements, new shape (C order)")
BROADCAST_TO = defop("broadcast_to", doc="broadcast to a shape (NumPy rules)")
TRANSPOSE = defop("transpose", doc="permute axes")



def _resolve_shape(op: str, x_shape: Tuple[int, ...], shape: Sequence[int]) -> Tuple[int, ...]:
    # (loops, not generator expressions: this runs on every reshape)
    if type(shape) is tuple:
        for d in shape:
            if type(d) is not int:
                shape = tuple(int(d) for d in shape)
                break
    else:
        shape = tuple(int(d) for d in shape)
    size = 1
    for d in x_shape:
        size *= d
    neg, n_neg, bad, known = -1, 0, False, 1
    for i, d in enumerate(shape):
        if d == -1:
            if not n_neg:
                neg = i
            n_neg += 1
        else:
            bad = bad or d < -1
            known *= d
    if n_neg > 1 or bad:
        raise OpError(op, f"invalid target shape {shape}: at most one -1 and no other negative sizes",
                      shapes=(x_shape,))
    if n_neg:
        if known == 0 or size % known:
            raise OpError(op, f"cannot reshape {size} elements into {shape}", shapes=(x_shape,))
        shape = shape[:neg] + (size // known,) + shape[neg + 1:]
    elif known != size:
        raise OpError(op, f"cannot reshape {size} elements into shape {shape}", shapes=(x_shape,))
    return shape


def _reshape_bwd(node, out, g):
    return (reshape(g, node.parents[0].shape),)


def reshape(x: Tensor, shape: Any, *more: int) -> Tensor:
    """``x`` with a new shape of the same size; one entry may be -1. ``reshape(x, 2, 3)`` works too."""
    _check_tensor("reshape", x)
    if more or isinstance(shape, int):
        shape = (shape,) + more
    xs = x.data.shape
    shape = _resolve_shape("reshape", xs, shape)
    if shape == xs:
        return x
    return unary(RESHAPE, _reshape_bwd, x, shape=shape)


def _broadcast_to_bwd(node, out, g):
    from .reduce import unbroadcast

    return (unbroadcast(g, node.parents[0].shape),)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` (a read-only view on cpu)."""
    _check_tensor("broadcast_to", x)
    shape = tuple(int(d) for d in shape)
    if shape == x.shape:
        return x
    xs = x.shape
    ok = len(shape) >= len(xs) and all(d == s or d == 1 for d, s in zip(xs[::-1], shape[::-1]))
    if not ok:
        raise OpError("broadcast_to", f"cannot broadcast shape {xs} to {shape}", shapes=(xs,))
    return unary(BROADCAST_TO, _broadcast_to_bwd, x, shape=shape)


def _transpose_bwd(node, out, g):
    axes = node.saved["axes"]
    if axes == (1, 0):  # a matrix (Gluon's Dense weight): its own inverse
        return (unary(TRANSPOSE, _transpose_bwd, g, axes=axes),)
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return (transpose(g, tuple(inv)),)


def transpose(x: Tensor, axes: Any = None, *more: int) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None). ``transpose(x, 1, 0)`` works too."""
    _check_tensor("transpose", x)
    nd = x.data.ndim
    if axes is None:
        if nd < 2:
            return x
        return unary(TRANSPOSE, _transpose_bwd, x, axes=tuple(range(nd - 1, -1, -1)))
    elif isinstance(axes, int):
        axes = (axes,) + more
    axes = tuple(int(a) for a in axes)
    if len(axes) != nd or sorted(a % nd if nd else a for a in axes) != list(range(nd)):
        raise OpError("transpose", f"axes {axes} are not a permutation of the {nd} axes", shapes=(x.shape,))
    axes = tuple(a % nd for a in axes)
    if axes == tuple(range(nd)):
        return x
    return unary(TRANSPOSE, _transpose_bwd, x, axes=axes)


# -- argument helpers ------------------------------------------------------------------------------

def _is_seq(v: Any) -> bool:
    """A list/tuple or an array of at least one dimension (not a scalar, not a 0-d array)."""
    return isinstance(v, (tuple, list)) or getattr(v, "ndim", 0) > 0


def _check_tensor(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise OpError(op, f"expected a unidl Tensor, got {type(x).__name__}")


def _int(op: str, v: Any, what: str, shapes: Sequence[Any]) -> int:
    try:
        if isinstance(v, bool):
            raise TypeError
        return operator.index(v)
    except TypeError:
        raise OpError(op, f"{what} must be an integer, got {v!r:.60}", shapes=shapes) from None


def _axis(op: str, axis: Any, ndim: int, shapes: Sequence[Any]) -> int:
    """One axis in ``[-ndim, ndim)`` as a non-negative int."""
    a = _int(op, axis, "axis", shapes)
    if not -ndim <= a < ndim:
        raise OpError(op, f"axis {a} is out of range for {ndim} dimension(s); expected -{ndim} <= axis < {ndim}",
                      shapes=shapes)
    return a % ndim


def _axes(op: str, axis: Any, ndim: int, shapes: Sequence[Any]) -> Tuple[int, ...]:
    """An int or a sequence of distinct axes, normalised, in the order given."""
    seq = tuple(axis) if _is_seq(axis) else (axis,)
    out = tuple(_axis(op, a, ndim, shapes) for a in seq)
    if len(set(out)) != len(out):
        raise OpError(op, f"repeated axis in {axis!r}", shapes=shapes)
    return out


# -- expand_dims / squeeze / flatten / swapaxes / moveaxis (reshape and transpose) ----------------

def expand_dims(x: Tensor, axis: Union[int, Sequence[int]]) -> Tensor:
    """Insert size-1 axes at ``axis`` (positions in the result, as ``np.expand_dims``).

    Shape: (...) -> (...) with ``len(axis)`` more dimensions of size 1.
    """
    _check_tensor("expand_dims", x)
    nd = x.ndim
    seq = tuple(axis) if _is_seq(axis) else (axis,)
    out_nd = nd + len(seq)
    axes = set(_axes("expand_dims", axis, out_nd, (x.shape,)))
    it = iter(x.shape)
    return reshape(x, tuple(1 if i in axes else next(it) for i in range(out_nd)))


def squeeze(x: Tensor, axis: Axes = None) -> Tensor:
    """Remove size-1 axes: all of them when ``axis`` is None, else those named (each must be size 1).

    Shape: (...) -> (...) without the removed axes.
    """
    _check_tensor("squeeze", x)
    shape = x.shape
    if axis is None:
        axes = {i for i, d in enumerate(shape) if d == 1}
    else:
        axes = set(_axes("squeeze", axis, x.ndim, (shape,)))
        bad = sorted(a for a in axes if shape[a] != 1)
        if bad:
            raise OpError("squeeze", f"cannot squeeze axis {bad[0]} of size {shape[bad[0]]}; only size-1 axes "
                          "can be removed", shapes=(shape,))
    return reshape(x, tuple(d for i, d in enumerate(shape) if i not in axes))


def flatten(x: Tensor, start_axis: int = 1, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` (inclusive) into one.

    The default gives (N, -1), what Keras' and Gluon's Flatten produce; a 1-d (N,) becomes (N, 1)
    (an empty range of axes merges into a new size-1 axis). ``flatten(x, 0)`` is ``ravel``.
    Shape: (d0, ..., dk) -> (d0, ..., d[start-1], prod(d[start..end]), d[end+1], ...).
    """
    _check_tensor("flatten", x)
    nd, shape = x.ndim, x.shape
    s = _int("flatten", start_axis, "start_axis", (shape,))
    e = _int("flatten", end_axis, "end_axis", (shape,))
    s = s + nd if s < 0 else s
    e = e + nd if e < 0 else e
    if not (0 <= s <= nd and -1 <= e < nd and s <= e + 1):
        raise OpError("flatten", f"invalid axis range start_axis={start_axis}, end_axis={end_axis} for "
                      f"{nd} dimension(s)", shapes=(shape,))
    size = 1
    for d in shape[s:e + 1]:
        size *= d
    return reshape(x, shape[:s] + (size,) + shape[e + 1:])


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """``x`` with axes ``axis1`` and ``axis2`` exchanged. Shape: permuted."""
    _check_tensor("swapaxes", x)
    a = _axis("swapaxes", axis1, x.ndim, (x.shape,))
    b = _axis("swapaxes", axis2, x.ndim, (x.shape,))
    perm = list(range(x.ndim))
    perm[a], perm[b] = b, a
    return transpose(x, tuple(perm))


def moveaxis(x: Tensor, source: Union[int, Sequence[int]], destination: Union[int, Sequence[int]]) -> Tensor:
    """Move axes ``source`` to positions ``destination`` (ints or equal-length sequences), as NumPy."""
    _check_tensor("moveaxis", x)
    src = _axes("moveaxis", source, x.ndim, (x.shape,))
    dst = _axes("moveaxis", destination, x.ndim, (x.shape,))
    if len(src) != len(dst):
        raise OpError("moveaxis", f"source {source!r} and destination {destination!r} must have the same "
                      "number of elements", shapes=(x.shape,))
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))
