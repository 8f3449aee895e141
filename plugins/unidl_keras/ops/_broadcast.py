"""Symbolic calls of elementwise ``keras.ops``: the output shape is Keras's broadcast of the input shapes.

Running an op on placeholders (:func:`~unidl_keras.ops.node.symbolic`) cannot broadcast ``(None, 3)``
with ``(2, None)``: the placeholder sizes of the unknown dims clash. Keras broadcasts shapes by rule
instead: an unknown dim matches any size (``None`` with ``d`` gives ``d`` unless ``d`` is 1), so
``(None, 3)`` and ``(2, None)`` give ``(2, 3)``. :func:`symbolic_broadcast` wraps an elementwise op
that way: the shape comes from :func:`broadcast_shapes` over its array arguments, the dtype from
running the op once on placeholders whose unknown dims are 1 (which always broadcast).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.errors import UnidlError

from ..backend.keras_tensor import KerasTensor
from ._dtypes import result_type
from .node import OpLayer, route_symbolic

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
    return route_symbolic(fn, lambda: BroadcastOpLayer(fn, name))


# -- contractions and gathers: the output shape by Keras's rule, the dtype from a size-1 probe run -----------

def _shape(a: Any) -> Shape:
    return tuple(getattr(a, "shape", ()))


def _probe(a: Any) -> Any:
    if _is_array(a) and not isinstance(a, np.generic):  # size 1 everywhere: valid for any contraction or gather
        return unidl.zeros((1,) * len(a.shape), dtype=str(a.dtype) if isinstance(a, KerasTensor) else a.dtype)
    return a


def ruled_spec(rule: Callable[..., Shape], fn: Callable[..., Any]) -> Callable[..., Any]:
    """An output spec for :func:`~unidl_keras.ops.node.symbolic`: shape ``rule(*args, **kwargs)``
    (given the KerasTensors themselves), dtype of ``fn`` run on size-1 placeholders."""
    def spec(*args: Any, **kwargs: Any) -> KerasTensor:
        shape = rule(*args, **kwargs)
        try:
            with np.errstate(all="ignore"), unidl.no_grad():
                out = fn(*[_probe(a) for a in args], **{k: _probe(v) for k, v in kwargs.items()})
        except (TypeError, UnidlError):  # the eager op lacks a case: Keras's result type of the inputs
            return KerasTensor(shape, dtype=result_type(*[a for a in args if _is_array(a)]).name)
        sparse = getattr(rule, "sparse_if_all", False) and all(
            getattr(a, "sparse", False) for a in args if isinstance(a, KerasTensor))
        return KerasTensor(shape, dtype=out.dtype.name, sparse=sparse)

    return spec


def matmul_shape(x1: Any, x2: Any) -> Shape:
    """``matmul``: batch dims broadcast (None matches any size); 1-D operands lose their added axis."""
    s1, s2 = _shape(x1), _shape(x2)
    one1, one2 = len(s1) == 1, len(s2) == 1
    if one1:
        s1 = (1, s1[0])
    if one2:
        s2 = (s2[0], 1)
    if len(s1) < 2 or len(s2) < 2:
        raise ValueError(f"matmul: operands must have at least one axis; received shapes {_shape(x1)} and "
                         f"{_shape(x2)}")
    if s1[-1] is not None and s2[-2] is not None and s1[-1] != s2[-2]:
        raise ValueError(f"matmul: the inner dimensions must be equal (x1.shape[-1] == x2.shape[-2]); received "
                         f"shapes {_shape(x1)} and {_shape(x2)}")
    out = list(broadcast_shapes(s1[:-2], s2[:-2], op="matmul")) + [s1[-2], s2[-1]]
    if one1:
        del out[-2]
    if one2:
        del out[-1]
    return tuple(out)


matmul_shape.sparse_if_all = True  # type: ignore[attr-defined]  # sparse @ sparse stays sparse in Keras


def tensordot_shape(x1: Any, x2: Any, axes: Any = 2) -> Shape:
    """``tensordot``: the uncontracted dims of ``x1`` then those of ``x2``."""
    s1, s2 = list(_shape(x1)), list(_shape(x2))
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        return tuple(s1 + s2) if n <= 0 else tuple(s1[:-n] + s2[n:])
    a1 = [axes[0]] if isinstance(axes[0], (int, np.integer)) else list(axes[0])
    a2 = [axes[1]] if isinstance(axes[1], (int, np.integer)) else list(axes[1])
    for i, j in zip(a1, a2):
        d1, d2 = s1[i], s2[j]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"tensordot: contracted sizes differ: x1 axes {a1} have {[s1[a] for a in a1]}, "
                             f"x2 axes {a2} have {[s2[a] for a in a2]}")
    k1 = {a % len(s1) for a in a1}
    k2 = {a % len(s2) for a in a2}
    return tuple([d for i, d in enumerate(s1) if i not in k1] + [d for i, d in enumerate(s2) if i not in k2])


def inner_shape(x1: Any, x2: Any) -> Shape:
    """``inner``: ``x1.shape[:-1] + x2.shape[:-1]`` (a scalar operand gives the other's shape)."""
    s1, s2 = _shape(x1), _shape(x2)
    if not s1:
        return s2
    if not s2:
        return s1
    if s1[-1] is not None and s2[-1] is not None and s1[-1] != s2[-1]:
        raise ValueError(f"inner: the last dimensions of x1 and x2 must match; received shapes {s1} and {s2}")
    return s1[:-1] + s2[:-1]

