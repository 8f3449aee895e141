"""Shape ops: reshape, transpose, broadcast_to, expand_dims, squeeze, concatenate, stack, split,
slice, pad, tile, repeat, flip.
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple

from ..errors import OpError
from ._core import Tensor, defop, unary

__all__ = ["reshape", "broadcast_to", "transpose"]

RESHAPE = defop("reshape", doc="same elements, new shape (C order)")
BROADCAST_TO = defop("broadcast_to", doc="broadcast to a shape (NumPy rules)")
TRANSPOSE = defop("transpose", doc="permute axes")


def _resolve_shape(op: str, x_shape: Tuple[int, ...], shape: Sequence[int]) -> Tuple[int, ...]:
    shape = tuple(int(d) for d in shape)
    size = 1
    for d in x_shape:
        size *= d
    neg = [i for i, d in enumerate(shape) if d == -1]
    if len(neg) > 1 or any(d < -1 for d in shape):
        raise OpError(op, f"invalid target shape {shape}: at most one -1 and no other negative sizes",
                      shapes=(x_shape,))
    known = 1
    for d in shape:
        if d != -1:
            known *= d
    if neg:
        if known == 0 or size % known:
            raise OpError(op, f"cannot reshape {size} elements into {shape}", shapes=(x_shape,))
        shape = shape[:neg[0]] + (size // known,) + shape[neg[0] + 1:]
    elif known != size:
        raise OpError(op, f"cannot reshape {size} elements into shape {shape}", shapes=(x_shape,))
    return shape


def _reshape_bwd(node, out, g):
    return (reshape(g, node.parents[0].shape),)


def reshape(x: Tensor, shape: Any, *more: int) -> Tensor:
    """``x`` with a new shape of the same size; one entry may be -1. ``reshape(x, 2, 3)`` works too."""
    if more or isinstance(shape, int):
        shape = (shape,) + more
    shape = _resolve_shape("reshape", x.shape, shape)
    if shape == x.shape:
        return x
    return unary(RESHAPE, _reshape_bwd, x, shape=shape)


def _broadcast_to_bwd(node, out, g):
    from .reduce import unbroadcast

    return (unbroadcast(g, node.parents[0].shape),)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` (a read-only view on cpu)."""
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
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return (transpose(g, tuple(inv)),)


def transpose(x: Tensor, axes: Any = None, *more: int) -> Tensor:
    """Permute axes (reverse them when ``axes`` is None). ``transpose(x, 1, 0)`` works too."""
    nd = x.ndim
    if axes is None:
        axes = tuple(range(nd - 1, -1, -1))
    elif isinstance(axes, int):
        axes = (axes,) + more
    axes = tuple(int(a) for a in axes)
    if len(axes) != nd or sorted(a % nd if nd else a for a in axes) != list(range(nd)):
        raise OpError("transpose", f"axes {axes} are not a permutation of the {nd} axes", shapes=(x.shape,))
    axes = tuple(a % nd for a in axes)
    if axes == tuple(range(nd)):
        return x
    return unary(TRANSPOSE, _transpose_bwd, x, axes=axes)
