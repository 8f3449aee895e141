"""Symbolic calls of elementwise ``keras.ops``: the output shape is Keras's broadcast of the input shapes.

Running an op on placeholders (:func:`~unidl_keras.ops.node.symbolic`) cannot broadcast ``(None, 3)``
with ``(2, None)``: the placeholder sizes of the unknown dims clash. Keras broadcasts shapes by rule
instead: an unknown dim matches any size (``None`` with ``d`` gives ``d`` unless ``d`` is 1), so
``(None, 3)`` and ``(2, None)`` give ``(2, 3)``. :func:`symbolic_broadcast` wraps an elementwise op
that way: the shape comes from :func:`broadcast_shapes` over its array arguments, the dtype from
running the op once on placeholders whose unknown dims are 1 (which always broadcast).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.errors import UnidlError

from ..backend.keras_tensor import KerasTensor
from ._dtypes import result_type
from .node import OpLayer, any_symbolic

Shape = Tuple[Optional[int], ...]


def broadcast_shapes(*shapes: Sequence[Optional[int]], op: str = "op") -> Shape:
    """NumPy broadcasting of ``shapes`` where ``None`` (unknown) matches any size.

    Raises:
        ValueError: two known sizes differ and neither is 1.
    """
    out: list = []
    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for i in range(ndim):
        d: Optional[int] = 1
        for s in padded:
            e = s[i]
            if e == 1:
                continue
            if d == 1:
                d = e
            elif d is None:
                d = e if e is not None else None
            elif e is not None and e != d:
                raise ValueError(f"{op}: cannot broadcast shapes {', '.join(str(tuple(s)) for s in shapes)}: "
                                 f"axis {i - ndim} has sizes {d} and {e}; expected equal sizes or 1")
        out.append(d)
    return tuple(out)


def _is_array(a: Any) -> bool:
    return hasattr(a, "shape") and hasattr(a, "dtype") and not isinstance(a, type)


def _placeholder(a: Any) -> Any:
    if isinstance(a, KerasTensor):
        return unidl.zeros(tuple(1 if d is None else d for d in a.shape), dtype=a.dtype)
    return a


def broadcast_output_spec(fn: Callable[..., Any], name: str, args: tuple, kwargs: dict) -> Any:
    """The KerasTensor ``fn(*args, **kwargs)`` gives: broadcast shape (unless the op reduces), op's dtype."""
    shapes = [tuple(a.shape) for a in (*args, *kwargs.values()) if _is_array(a)]
    shape = broadcast_shapes(*shapes, op=name)
    try:
        with np.errstate(all="ignore"), unidl.no_grad():
            out = fn(*[_placeholder(a) for a in args], **{k: _placeholder(v) for k, v in kwargs.items()})
    except (TypeError, UnidlError):
        # no kernel for these dtypes (gcd of floats): the spec is still Keras's, the inputs' result type
        # (the eager call raises then)
        return KerasTensor(shape, dtype=result_type(*[a for a in args if _is_array(a)]).name)
    if isinstance(out, (tuple, list)):  # where(condition) alone: Keras's spec is condition-shaped indices
        return KerasTensor(shape, dtype=out[0].dtype.name if out else "int32")
    if len(out.shape) != len(shape):  # a reduction of the broadcast result (allclose)
        shape = tuple(out.shape)
    return KerasTensor(shape, dtype=out.dtype.name)


class BroadcastOpLayer(OpLayer):
    """An :class:`OpLayer` of an elementwise op: output shapes broadcast as Keras does."""

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return broadcast_output_spec(self.fn, self.op_name, args, kwargs)


def symbolic_broadcast(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`~unidl_keras.ops.node.symbolic`, for elementwise ops (see the module docstring)."""
    name = fn.__name__.lstrip("_") or "op"

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if any_symbolic(args, kwargs):
            return BroadcastOpLayer(fn, name)(*args, **kwargs)
        return fn(*args, **kwargs)

    op.eager = fn  # type: ignore[attr-defined]
    return op
