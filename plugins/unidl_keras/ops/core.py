"""``keras.ops`` core: conversion, casting, shapes, gradient stopping, slicing/scattering and the
control-flow helpers (run eagerly: unidl executes define-by-run, so loops are Python loops)."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops as U
from unidl.tensor import Tensor

from ..backend import config
from ..backend.keras_tensor import KerasTensor
from ..utils import tree
from . import _dtypes
from .node import symbolic

__all__ = ["convert_to_tensor", "convert_to_numpy", "cast", "saturate_cast", "shape", "dtype", "is_tensor",
           "stop_gradient", "cond", "fori_loop", "while_loop", "scan", "map", "switch", "scatter",
           "scatter_update", "slice", "slice_update", "vectorized_map", "unstack", "custom_gradient"]


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    """``x`` (array-like, scalar, Tensor, Variable) as a tensor; Python ints -> int32, floats -> floatx."""
    if isinstance(x, KerasTensor):
        return x if dtype is None else cast(x, dtype)
    if sparse:
        raise ValueError("unidl has no sparse tensors: `sparse=True` is not supported")
    return _dtypes.to_tensor(x, dtype)


def convert_to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (a host copy of a tensor)."""
    if isinstance(x, KerasTensor):
        raise ValueError("A KerasTensor is symbolic: it has no value to convert to NumPy.")
    if isinstance(x, Tensor):
        return np.array(x.numpy(), copy=True)
    return np.asarray(x)


@symbolic
def cast(x: Any, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float types). Shape: unchanged."""
    return _dtypes.cast_to(_dtypes.to_tensor(x), config.standardize_dtype(dtype))


@symbolic
def saturate_cast(x: Any, dtype: Any) -> Tensor:
    """Cast with values clipped to ``dtype``'s range first (no wrap-around)."""
    x = _dtypes.to_tensor(x)
    dt = np.dtype(config.standardize_dtype(dtype))
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = float(info.min), float(info.max)
        if x.dtype.kind == "f":
            x = U.clip(x, lo, hi)
        else:
            x = U.clip(x, max(lo, float(np.iinfo(x.dtype).min)), min(hi, float(np.iinfo(x.dtype).max)))
    return _dtypes.cast_to(x, dt)


def shape(x: Any) -> Tuple[Any, ...]:
    """The shape as a tuple (None for unknown dims of a KerasTensor)."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def dtype(x: Any) -> str:
    """The dtype name of ``x`` (``'float32'``, ...)."""
    if isinstance(x, KerasTensor):
        return x.dtype
    return config.standardize_dtype(getattr(x, "dtype", None) or _dtypes.to_tensor(x).dtype)


def is_tensor(x: Any) -> bool:
    """True for unidl Tensors (and keras Variables, which are Tensors)."""
    return isinstance(x, Tensor)


@symbolic
def stop_gradient(variable: Any) -> Tensor:
    """The same values, cut out of the autograd graph."""
    return _dtypes.to_tensor(variable).detach()


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()`` (decided eagerly)."""
    return true_fn() if bool(pred) else false_fn()


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, the index clamped to the valid range as Keras does."""
    i = int(index)
    i = min(max(i, 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: Any = None) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; returns the final loop vars."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while bool(cond(*state)) and (maximum_iterations is None or n < maximum_iterations):
        out = body(*state)
        state = (out,) if single else tuple(out) if isinstance(out, (list, tuple)) else (out,)
        n += 1
    if single:
        return state[0]
    return type(loop_vars)(state) if isinstance(loop_vars, list) else state


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _stack_tree(items: List[Any]) -> Any:
    if not items:
        return None
    flat = [tree.flatten(it) for it in items]
    stacked = [U.stack([_dtypes.to_tensor(f[j]) for f in flat], axis=0) for j in range(len(flat[0]))]
    return tree.pack_sequence_as(items[0], stacked)


def scan(f: Callable[[Any, Any], Tuple[Any, Any]], init: Any, xs: Any = None, length: Any = None,
         reverse: bool = False, unroll: int = 1) -> Tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns ``(carry, stacked ys)``."""
    if xs is None:
        n = int(length)
        slices = [None] * n
    else:
        flat = [_dtypes.to_tensor(v) for v in tree.flatten(xs)]
        n = int(flat[0].shape[0]) if length is None else int(length)
        slices = [tree.pack_sequence_as(xs, [v[i] for v in flat]) for i in range(n)]
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, [None] * n
    for i in order:
        carry, ys[i] = f(carry, slices[i])
    if any(y is None for y in ys):
        return carry, None
    return carry, _stack_tree(ys)


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along axis 0, results stacked."""
    flat = [_dtypes.to_tensor(v) for v in tree.flatten(xs)]
    n = int(flat[0].shape[0])
    return _stack_tree([f(tree.pack_sequence_as(xs, [v[i] for v in flat])) for i in range(n)])


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` on each slice of ``elements`` along axis 0, stacked (a Python loop here)."""
    return map(function, elements)


@symbolic
def unstack(x: Any, num: Any = None, axis: int = 0) -> List[Tensor]:
    """The slices of ``x`` along ``axis``, as a list of ``x.shape[axis]`` tensors."""
    x = _dtypes.to_tensor(x)
    n = x.shape[axis]
    return [U.squeeze(p, axis) for p in U.split(x, n, axis=axis)]


def _index_key(indices: Tensor) -> tuple:
    """Rows of an ``(..., k)`` index array as a k-tuple of index arrays (for ``x[key]``)."""
    return tuple(indices[..., j] for j in range(indices.shape[-1]))


@symbolic
def scatter(indices: Any, values: Any, shape: Sequence[int]) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (an ``(N, k)`` int array addressing the
    first k dims; repeated indices accumulate). Differentiable in ``values``."""
    values = _dtypes.to_tensor(values)
    idx = _dtypes.to_tensor(indices)
    base = unidl.zeros(tuple(int(s) for s in shape), dtype=values.dtype)
    return U.index_add(base, _index_key(idx), values)


@symbolic
def scatter_update(inputs: Any, indices: Any, updates: Any) -> Tensor:
    """A copy of ``inputs`` with the entries at ``indices`` (``(N, k)`` ints) replaced by ``updates``."""
    inputs = _dtypes.to_tensor(inputs)
    updates = _dtypes.cast_to(_dtypes.to_tensor(updates), inputs.dtype)
    key = _index_key(_dtypes.to_tensor(indices))
    placed = U.index_add(U.zeros_like(inputs), key, updates)
    hit = U.greater(U.index_add(unidl.zeros(inputs.shape, dtype="float32"), key,
                                unidl.ones(updates.shape, dtype="float32")), 0)
    return U.where(hit, placed, inputs)


def _static_starts(start_indices: Any) -> List[int]:
    return [int(s) for s in (start_indices.numpy() if isinstance(start_indices, Tensor) else start_indices)]


@symbolic
def slice(inputs: Any, start_indices: Any, shape: Sequence[int]) -> Tensor:  # noqa: A001
    """The block of ``inputs`` starting at ``start_indices`` with size ``shape`` (-1: to the end)."""
    inputs = _dtypes.to_tensor(inputs)
    starts = _static_starts(start_indices)
    ends = [inputs.shape[i] if int(s) == -1 else b + int(s) for i, (b, s) in enumerate(zip(starts, shape))]
    return U.slice(inputs, starts, ends)


@symbolic
def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Tensor:
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``; differentiable
    in both (built with ``pad`` and ``where``)."""
    inputs = _dtypes.to_tensor(inputs)
    updates = _dtypes.cast_to(_dtypes.to_tensor(updates), inputs.dtype)
    starts = _static_starts(start_indices)
    widths = [(b, n - b - u) for b, n, u in zip(starts, inputs.shape, updates.shape)]
    placed = U.pad(updates, widths)
    mask = U.pad(unidl.ones(updates.shape, dtype="bool"), widths, constant_value=False)
    return U.where(mask, placed, inputs)


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Not supported: unidl ops carry their own backward functions."""
    raise NotImplementedError("keras.ops.custom_gradient is not supported by the unidl backend; write the "
                              "computation with differentiable keras.ops instead")


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Cast``, ``Cumsum``, ...) exist where the function does
    import sys

    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
