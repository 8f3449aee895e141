"""``keras.ops`` core: conversion, casting, shapes, gradient stopping, slicing/scattering and the
control-flow helpers (run eagerly: unidl executes define-by-run, so loops are Python loops)."""
from __future__ import annotations

import builtins
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
from .operation import Operation

__all__ = ["convert_to_tensor", "convert_to_numpy", "cast", "saturate_cast", "shape", "dtype", "is_tensor",
           "stop_gradient", "cond", "fori_loop", "while_loop", "scan", "map", "switch", "scatter",
           "scatter_update", "slice", "slice_update", "vectorized_map", "unstack", "custom_gradient",
           "associative_scan", "KerasTensor", "Cond", "Switch", "WhileLoop", "ForiLoop", "Scan", "AssociativeScan",
           "Map", "VectorizedMap", "Unstack", "Slice", "ScatterUpdate"]

builtins_slice = builtins.slice


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    """``x`` (array-like, scalar, Tensor, Variable) as a tensor; Python ints -> int32, floats -> floatx."""
    if _has_kt(x):
        return _route(_convert_eager, "convert_to_tensor", _convert_spec, x, dtype, sparse, ragged)
    return _convert_eager(x, dtype, sparse, ragged)


def _convert_eager(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    if sparse:
        raise ValueError("unidl has no sparse tensors: `sparse=True` is not supported")
    if dtype is None and isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind not in "USO":
        return unidl.tensor(x)  # a 0-d array keeps its dtype (NumPy scalars and Python numbers are weak)
    return _dtypes.to_tensor(x, dtype)


def _convert_spec(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> KerasTensor:
    dt = config.standardize_dtype(x.dtype) if dtype is None else config.standardize_dtype(dtype)
    sp = False if sparse is not None and not sparse else x.sparse
    return KerasTensor(x.shape, dtype=dt, sparse=sp)


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
        if _dtypes.is_floating(x.dtype):
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


# -- control flow ------------------------------------------------------------------------------------
# Eager: Python loops over ops (unidl executes define-by-run). Symbolic (a KerasTensor among the tensor
# arguments): one functional-graph node (an OpLayer) whose output spec is Keras's ``compute_output_spec``.

def _has_kt(*structs: Any) -> bool:
    return any(isinstance(t, KerasTensor) for t in tree.flatten(structs))


def _route(fn: Callable[..., Any], name: str, spec: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args)`` eagerly, or a graph node with output ``spec(*args)`` when a KerasTensor is among them."""
    from .node import OpLayer

    if _has_kt(args, kwargs):
        return OpLayer(fn, name, spec)(*args, **kwargs)
    return fn(*args, **kwargs)


def _spec_of(fn: Callable[..., Any], *args: Any) -> Any:
    """The output KerasTensors of ``fn(*args)`` (Keras's ``backend.compute_output_spec``), found by running
    ``fn`` on placeholder tensors."""
    from ..layers.layer import infer_output_spec

    with np.errstate(all="ignore"):
        return infer_output_spec(fn, args, {})


def _kt_like(t: Any, shape: Any = None) -> KerasTensor:
    return KerasTensor(tuple(t.shape) if shape is None else shape, dtype=config.standardize_dtype(t.dtype))


def _as_spec(x: Any) -> Any:
    """A KerasTensor (or a structure of them) for tensor-likes; other leaves unchanged."""
    def one(t: Any) -> Any:
        if isinstance(t, KerasTensor):
            return t
        if isinstance(t, (Tensor, np.ndarray, np.generic, int, float, bool)):
            t = t if hasattr(t, "shape") else np.asarray(t)
            return _kt_like(t)
        return t

    return tree.map_structure(one, x)


def _check_same_output_spec(true_spec: Any, false_spec: Any) -> bool:
    try:
        from ..tree import assert_same_structure

        assert_same_structure(true_spec, false_spec)
    except Exception:  # noqa: BLE001 - any structural mismatch means "not the same"
        return False

    def leaf(t: Any, f: Any) -> bool:
        if t is None or f is None:
            return t is None and f is None
        return t.shape == f.shape and t.dtype == f.dtype

    return all(tree.flatten(tree.map_structure(leaf, true_spec, false_spec)))


def _cond_eager(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    return true_fn() if bool(pred) else false_fn()


def _cond_spec(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    t, f = _spec_of(true_fn), _spec_of(false_fn)
    if not _check_same_output_spec(t, f):
        raise ValueError("`true_fn` and `false_fn` should return outputs of the same kind (struct, dtype and shape). "
                         f"Got {t} and {f} instead.")
    return t


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """``true_fn()`` if ``pred`` else ``false_fn()``; with a symbolic ``pred`` both branches' outputs must
    match in structure, shape and dtype, and the result is symbolic."""
    return _route(_cond_eager, "cond", _cond_spec, pred, true_fn, false_fn)


def _switch_eager(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    i = int(np.asarray(_dtypes.to_tensor(index).numpy() if isinstance(index, Tensor) else index))
    i = min(max(i, 0), len(branches) - 1)
    return branches[i](*operands)


def _switch_spec(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    return _spec_of(branches[0], *operands)  # as Keras: the first branch's output


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """``branches[index](*operands)``, the index clamped to the valid range as Keras does."""
    return _route(_switch_eager, "switch", _switch_spec, index, branches, *operands)


def _while_eager(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
                 maximum_iterations: Any = None) -> Any:
    is_tuple = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_tuple else (loop_vars,)
    state = tree.map_structure(lambda v: _dtypes.to_tensor(v) if not isinstance(v, Tensor) else v, state)
    n = 0
    while (maximum_iterations is None or n < maximum_iterations) and bool(cond(*state)):
        out = body(*state)
        state = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        n += 1
    return state if is_tuple else state[0]


def _while_spec(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
                maximum_iterations: Any = None) -> Any:
    return tree.map_structure(lambda v: KerasTensor(v.shape, dtype=v.dtype), loop_vars)


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: Any = None) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most ``maximum_iterations`` times);
    a tuple/list of loop variables is passed positionally, anything else as one argument. Returns the final
    loop variables (a tuple for a tuple/list)."""
    return _route(_while_eager, "while_loop", _while_spec, cond, body, loop_vars,
                  maximum_iterations=maximum_iterations)


def _fori_eager(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _fori_spec(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any) -> Any:
    return KerasTensor(init_val.shape, dtype=init_val.dtype)


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns ``val``."""
    if _has_kt(lower, upper, init_val):
        from .node import OpLayer

        return OpLayer(lambda v: _fori_eager(lower, upper, body_fun, v), "fori_loop",
                       lambda v: _fori_spec(lower, upper, body_fun, v))(init_val)
    return _fori_eager(lower, upper, body_fun, init_val)


def _stack_tree(items: List[Any]) -> Any:
    flat = [tree.flatten(it) for it in items]
    stacked = [U.stack([_dtypes.to_tensor(f[j]) for f in flat], axis=0) for j in range(len(flat[0]))]
    return tree.pack_sequence_as(items[0], stacked)


def _scan_eager(f: Callable[[Any, Any], Tuple[Any, Any]], init: Any, xs: Any = None, length: Any = None,
                reverse: bool = False, unroll: Any = 1) -> Tuple[Any, Any]:
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"`unroll` must be an positive integer or boolean. Received: unroll={unroll}")
    if xs is None and length is None:
        raise ValueError("Got no `xs` to scan over and `length` not provided.")
    in_seq, out_seq = tree.is_nested(xs), tree.is_nested(init)
    if xs is None:
        xs_flat: List[Tensor] = []
        n = int(length)
    else:
        xs_flat = [_dtypes.to_tensor(v) for v in tree.flatten(xs)]
        n = int(length) if length is not None else int(xs_flat[0].shape[0])
    init_flat = [_dtypes.to_tensor(v) for v in tree.flatten(init)]
    carry = tree.pack_sequence_as(init, init_flat) if out_seq else init_flat[0]
    dummy_y = [U.zeros_like(v) for v in init_flat]  # as Keras's torch backend: a list of zeros like init's leaves
    order = range(n - 1, -1, -1) if reverse else range(n)
    ys: List[Any] = [None] * n
    for i in order:
        sl = [v[i] for v in xs_flat]
        x = (tree.pack_sequence_as(xs, sl) if in_seq else sl[0]) if sl else None
        carry, y = f(carry, x)
        ys[i] = y if y is not None else dummy_y
    return carry, (_stack_tree(ys) if n else None)


def _scan_spec(f: Callable[[Any, Any], Tuple[Any, Any]], init: Any, xs: Any = None, length: Any = None,
               reverse: bool = False, unroll: Any = 1) -> Tuple[Any, Any]:
    if xs is None:
        n, x = int(length), None
    else:
        first = tree.flatten(xs)[0]
        n = int(length) if length is not None else first.shape[0]
        x = tree.map_structure(lambda t: _kt_like(t, tuple(t.shape[1:])), _as_spec(xs))
    carry, y = _spec_of(f, _as_spec(init), x)
    y = tree.map_structure(lambda t: KerasTensor((n,) + tuple(t.shape), dtype=t.dtype), y)
    return carry, y


def scan(f: Callable[[Any, Any], Tuple[Any, Any]], init: Any, xs: Any = None, length: Any = None,
         reverse: bool = False, unroll: Any = 1) -> Tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (or ``length`` times with ``x=None``);
    returns ``(carry, stacked ys)`` (a ``None`` y stacks zeros shaped like ``init``, as Keras's torch backend)."""
    return _route(_scan_eager, "scan", _scan_spec, f, init, xs, length=length, reverse=reverse, unroll=unroll)


def _map_eager(f: Callable[[Any], Any], xs: Any) -> Any:
    flat = [_dtypes.to_tensor(v) for v in tree.flatten(xs)]
    n = int(flat[0].shape[0])
    return _stack_tree([f(tree.pack_sequence_as(xs, [v[i] for v in flat])) for i in range(n)])


def _map_spec(f: Callable[[Any], Any], xs: Any) -> Any:
    xs = _as_spec(xs)
    n = tree.flatten(xs)[0].shape[0]
    y = _spec_of(f, tree.map_structure(lambda t: _kt_like(t, tuple(t.shape[1:])), xs))
    return tree.map_structure(lambda t: KerasTensor((n,) + tuple(t.shape), dtype=t.dtype), y)


def map(f: Callable[[Any], Any], xs: Any) -> Any:  # noqa: A001 - Keras's name
    """``f`` applied to each slice of ``xs`` along axis 0, results stacked."""
    return _route(_map_eager, "map", _map_spec, f, xs)


def _vmap_eager(function: Callable[[Any], Any], elements: Any) -> Any:
    return _map_eager(function, elements)


def _vmap_spec(function: Callable[[Any], Any], elements: Any) -> Any:
    return _map_spec(function, elements)


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` on each slice of ``elements`` along axis 0, stacked (a Python loop here)."""
    return _route(_vmap_eager, "vectorized_map", _vmap_spec, function, elements)


def _first_dim_check(elems_flat: List[Any], axis: int) -> None:
    lens = {t.shape[axis] for t in elems_flat}
    if len(lens) != 1:
        raise ValueError("Array inputs to associative_scan must have the same first dimension. (saw: {})"
                         .format([tuple(t.shape) for t in elems_flat]))


def _assoc_eager(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    flat = [_dtypes.to_tensor(v) for v in tree.flatten(elems)]
    ax = axis % flat[0].ndim
    _first_dim_check(flat, ax)
    if reverse:
        flat = [U.flip(v, ax) for v in flat]

    def sl(t: Tensor, start: int, stop: Any = None, step: int = 1) -> Tensor:
        key = [builtins_slice(None)] * t.ndim
        key[ax] = builtins_slice(start, stop, step)
        return t[tuple(key)]

    def combine(a: List[Tensor], b: List[Tensor]) -> List[Tensor]:
        c = f(tree.pack_sequence_as(elems, a), tree.pack_sequence_as(elems, b))
        return [_dtypes.to_tensor(v) for v in tree.flatten(c)]

    def interleave(even: Tensor, odd: Tensor) -> Tensor:
        ne, no = even.shape[ax], odd.shape[ax]
        if ne == no + 1:  # pad odd by one slot, interleave, drop the padding
            odd = U.concatenate([odd, sl(even, 0, 1)], axis=ax)
        both = U.stack([even, odd], axis=ax + 1)
        shape = list(even.shape)
        shape[ax] = 2 * even.shape[ax]
        out = U.reshape(both, shape)
        return sl(out, 0, ne + no)

    def rec(xs: List[Tensor]) -> List[Tensor]:
        n = xs[0].shape[ax]
        if n < 2:
            return xs
        reduced = combine([sl(x, 0, -1, 2) for x in xs], [sl(x, 1, None, 2) for x in xs])
        odd = rec(reduced)
        if n % 2 == 0:
            even = combine([sl(e, 0, -1) for e in odd], [sl(x, 2, None, 2) for x in xs])
        else:
            even = combine(odd, [sl(x, 2, None, 2) for x in xs])
        even = [U.concatenate([sl(x, 0, 1), e], axis=ax) for x, e in zip(xs, even)]
        return [interleave(e, o) for e, o in zip(even, odd)]

    out = rec(flat)
    if reverse:
        out = [U.flip(v, ax) for v in out]
    return tree.pack_sequence_as(elems, out)


def _assoc_spec(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    elems = _as_spec(elems)
    flat = tree.flatten(elems)
    _first_dim_check(flat, axis)

    def one(t: Any) -> KerasTensor:
        shape = list(t.shape)
        shape[axis] = 1
        return _kt_like(t, tuple(shape))

    x = tree.map_structure(one, elems)
    y = _spec_of(f, x, x)
    return tree.map_structure(lambda t: KerasTensor(flat[0].shape, dtype=t.dtype), y)


def associative_scan(f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Inclusive scan of ``elems`` along ``axis`` with an associative ``f`` (``[a, f(a, b), f(f(a, b), c),
    ...]``), combined in the parallel order of Blelloch's algorithm as ``jax.lax.associative_scan``."""
    return _route(_assoc_eager, "associative_scan", _assoc_spec, f, elems, reverse=reverse, axis=axis)


def _unstack_eager(x: Any, num: Any = None, axis: int = 0) -> List[Tensor]:
    x = _dtypes.to_tensor(x)
    ax = _canonical_axis(axis, x.ndim)
    n = x.shape[ax]
    return [U.squeeze(p, ax) for p in U.split(x, n, axis=ax)]


def _canonical_axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}.")
    return axis % ndim


def _unstack_spec(x: Any, num: Any = None, axis: int = 0) -> List[KerasTensor]:
    ax = _canonical_axis(axis, len(x.shape))
    shape = tuple(x.shape[:ax]) + tuple(x.shape[ax + 1:])
    n = x.shape[ax] if num is None else num
    if n is None:
        raise ValueError(f"Cannot infer argument `num` from shape {x.shape}. Either provide a tensor with a concrete "
                         "shape in the `axis` dimension or explicitly pass the `num` argument.")
    return [KerasTensor(shape, dtype=x.dtype) for _ in range(n)]


def unstack(x: Any, num: Any = None, axis: int = 0) -> List[Tensor]:
    """The slices of ``x`` along ``axis``, as a list of ``x.shape[axis]`` tensors."""
    if isinstance(x, KerasTensor):
        return _spec_check_then_route(x, num, axis)
    return _unstack_eager(x, num, axis)


def _spec_check_then_route(x: KerasTensor, num: Any, axis: int) -> Any:
    _unstack_spec(x, num, axis)  # Keras's checks first (unknown num, axis range)
    return _route(_unstack_eager, "unstack", _unstack_spec, x, num, axis)


def _index_key(indices: Tensor) -> tuple:
    """Rows of an ``(..., k)`` index array as a k-tuple of index arrays (for ``x[key]``)."""
    return tuple(indices[..., j] for j in range(indices.shape[-1]))


def _int_indices(indices: Any) -> Tensor:
    idx = _dtypes.to_tensor(indices)
    return idx if idx.dtype.kind in "iu" else U.astype(idx, "int64")


@symbolic
def scatter(indices: Any, values: Any, shape: Sequence[int]) -> Tensor:
    """Zeros of ``shape`` with ``values`` added at ``indices`` (an ``(N, k)`` int array addressing the
    first k dims; repeated indices accumulate). Differentiable in ``values``."""
    values = _dtypes.to_tensor(values)
    idx = _int_indices(indices)
    base = unidl.zeros(tuple(int(s) for s in shape), dtype=values.dtype)
    return U.index_add(base, _index_key(idx), values)


def _replace_at(inputs: Tensor, key: tuple, updates: Tensor) -> Tensor:
    placed = U.index_add(U.zeros_like(inputs), key, updates)
    hit = U.greater(U.index_add(unidl.zeros(inputs.shape, dtype="float32"), key,
                                unidl.ones(updates.shape, dtype="float32")), 0)
    return U.where(hit, placed, inputs)


@symbolic
def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: Any = None) -> Tensor:
    """A copy of ``inputs`` with the entries at ``indices`` (``(N, k)`` ints) replaced by ``updates``, or
    combined with them by ``reduction`` ('add', 'max', 'min', 'mul'; repeated indices all apply)."""
    inputs = _dtypes.to_tensor(inputs)
    updates = _dtypes.cast_to(_dtypes.to_tensor(updates), inputs.dtype)
    idx = _int_indices(indices)
    key = _index_key(idx)
    if reduction is None:
        return _replace_at(inputs, key, updates)
    if reduction == "add":
        return U.index_add(inputs, key, updates)
    if reduction not in ("max", "min", "mul"):
        raise ValueError(f"Unsupported reduction: {reduction}")
    # duplicates: reduce the updates per distinct position first (positions read on the host), then combine
    k = idx.shape[-1]
    lin = np.ravel_multi_index(tuple(idx.numpy().reshape(-1, k).T), tuple(inputs.shape[:k]))
    uniq, inv = np.unique(lin, return_inverse=True)
    seg = _dtypes.to_tensor(inv.reshape(-1).astype(np.int64))
    red = U.segment_reduce(U.reshape(updates, (len(lin),) + tuple(updates.shape[idx.ndim - 1:])), seg, len(uniq),
                           {"mul": "prod"}.get(reduction, reduction))
    ukey = tuple(_dtypes.to_tensor(np.asarray(c, dtype=np.int64)) for c in np.unravel_index(uniq, inputs.shape[:k]))
    cur = inputs[ukey]
    new = {"max": U.maximum, "min": U.minimum, "mul": U.multiply}[reduction](cur, red)
    return _replace_at(inputs, ukey, new)


def _static_starts(start_indices: Any) -> List[int]:
    return [int(s) for s in (start_indices.numpy() if isinstance(start_indices, Tensor) else start_indices)]


def _slice_spec(inputs: Any, start_indices: Any, shape: Sequence[int]) -> KerasTensor:
    if len(shape) != len(inputs.shape):
        raise ValueError("The number of dimensions in `inputs` must match the number of dimensions in `shape`. "
                         f"Received inputs.shape={inputs.shape} and shape={shape}")
    if hasattr(start_indices, "__len__") and len(start_indices) != len(inputs.shape):
        raise ValueError("The number of dimensions in `start_indices` must match the number of dimensions in "
                         f"`inputs`. Received start_indices={start_indices} and inputs.shape={inputs.shape}")
    out = []
    for i, (d, s) in enumerate(zip(inputs.shape, shape)):
        if s != -1:
            out.append(s)
        elif isinstance(start_indices, KerasTensor) or d is None:
            out.append(None)
        else:
            out.append(d - int(start_indices[i]))
    return KerasTensor(tuple(out), dtype=inputs.dtype)


def _slice(inputs: Any, start_indices: Any, shape: Sequence[int]) -> Tensor:  # noqa: A001
    """The block of ``inputs`` starting at ``start_indices`` with size ``shape`` (-1: to the end)."""
    inputs = _dtypes.to_tensor(inputs)
    starts = _static_starts(start_indices)
    ends = [inputs.shape[i] if int(s) == -1 else b + int(s) for i, (b, s) in enumerate(zip(starts, shape))]
    return U.slice(inputs, starts, ends)


def slice(inputs: Any, start_indices: Any, shape: Sequence[int]) -> Any:  # noqa: A001
    """The block of ``inputs`` starting at ``start_indices`` with size ``shape`` (-1: to the end)."""
    if _has_kt(inputs, start_indices):
        _slice_spec(inputs, start_indices, shape)
    return _route(_slice, "slice", _slice_spec, inputs, start_indices, shape)


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


# -- op classes with Keras's constructor arguments -------------------------------------------------------

class Cond(Operation):
    """``Cond()(pred, true_fn, false_fn)``."""
    _fn = staticmethod(cond)

    def compute_output_spec(self, pred: Any, true_fn: Any, false_fn: Any) -> Any:
        return _cond_spec(pred, true_fn, false_fn)

    def _check_output_spec(self, true_fn_spec: Any, false_fn_spec: Any) -> bool:
        return _check_same_output_spec(true_fn_spec, false_fn_spec)


class Switch(Operation):
    """``Switch()(index, branches, *operands)``."""
    _fn = staticmethod(switch)

    def compute_output_spec(self, index: Any, branches: Any, *operands: Any) -> Any:
        return _switch_spec(index, branches, *operands)


class WhileLoop(Operation):
    """``WhileLoop(cond, body, maximum_iterations)(loop_vars)``."""

    def __init__(self, cond: Callable[..., Any], body: Callable[..., Any], maximum_iterations: Any = None, *,
                 name: Any = None) -> None:
        super().__init__(name=name)
        self.cond, self.body, self.maximum_iterations = cond, body, maximum_iterations

    def call(self, loop_vars: Any) -> Any:
        return while_loop(self.cond, self.body, loop_vars, maximum_iterations=self.maximum_iterations)

    def compute_output_spec(self, loop_vars: Any) -> Any:
        return _while_spec(self.cond, self.body, loop_vars, self.maximum_iterations)


class ForiLoop(Operation):
    """``ForiLoop(lower, upper, body_fun)(init_val)``."""

    def __init__(self, lower: Any, upper: Any, body_fun: Callable[..., Any], *, name: Any = None) -> None:
        super().__init__(name=name)
        self.lower, self.upper, self.body_fun = lower, upper, body_fun

    def call(self, init_val: Any) -> Any:
        return fori_loop(self.lower, self.upper, self.body_fun, init_val)

    def compute_output_spec(self, init_val: Any) -> Any:
        return KerasTensor(init_val.shape, dtype=init_val.dtype)


class Scan(Operation):
    """``Scan(length, reverse, unroll)(f, init, xs)``."""

    def __init__(self, length: Any = None, reverse: bool = False, unroll: Any = 1, *, name: Any = None) -> None:
        super().__init__(name=name)
        self.length, self.reverse, self.unroll = length, reverse, unroll

    def call(self, f: Any, init: Any, xs: Any = None) -> Any:
        return scan(f, init, xs, length=self.length, reverse=self.reverse, unroll=self.unroll)

    def compute_output_spec(self, f: Any, init: Any, xs: Any = None) -> Any:
        return _scan_spec(f, init, xs, self.length, self.reverse, self.unroll)


class AssociativeScan(Operation):
    """``AssociativeScan(reverse, axis)(f, elems)``."""

    def __init__(self, reverse: bool = False, axis: int = 0, *, name: Any = None) -> None:
        super().__init__(name=name)
        self.reverse, self.axis = reverse, axis

    def call(self, f: Any, elems: Any) -> Any:
        return associative_scan(f, elems, reverse=self.reverse, axis=self.axis)

    def compute_output_spec(self, f: Any, elems: Any) -> Any:
        return _assoc_spec(f, elems, self.reverse, self.axis)


class Map(Operation):
    """``Map()(f, xs)``."""
    _fn = staticmethod(map)

    def compute_output_spec(self, f: Any, xs: Any) -> Any:
        return _map_spec(f, xs)


class VectorizedMap(Operation):
    """``VectorizedMap(function)(elements)``."""

    def __init__(self, function: Callable[..., Any], *, name: Any = None) -> None:
        super().__init__(name=name)
        self.function = function

    def call(self, elements: Any) -> Any:
        return vectorized_map(self.function, elements)

    def compute_output_spec(self, elements: Any) -> Any:
        return _map_spec(self.function, elements)


class Unstack(Operation):
    """``Unstack(num, axis)(x)``."""

    def __init__(self, num: Any = None, axis: int = 0, *, name: Any = None) -> None:
        super().__init__(name=name)
        self.num, self.axis = num, axis

    def call(self, x: Any) -> Any:
        return unstack(x, self.num, self.axis)

    def compute_output_spec(self, x: Any) -> Any:
        return _unstack_spec(x, self.num, self.axis)


class Slice(Operation):
    """``Slice(shape)(inputs, start_indices)``."""

    def __init__(self, shape: Sequence[int], *, name: Any = None) -> None:
        super().__init__(name=name)
        self.shape = shape

    def call(self, inputs: Any, start_indices: Any) -> Any:
        return slice(inputs, start_indices, self.shape)

    def compute_output_spec(self, inputs: Any, start_indices: Any) -> Any:
        return _slice_spec(inputs, start_indices, self.shape)


class ScatterUpdate(Operation):
    """``ScatterUpdate(reduction)(inputs, indices, updates)``."""

    def __init__(self, reduction: Any = None, *, name: Any = None) -> None:
        super().__init__(name=name)
        self.reduction = reduction

    def call(self, inputs: Any, indices: Any, updates: Any) -> Any:
        return scatter_update(inputs, indices, updates, reduction=self.reduction)

    def compute_output_spec(self, inputs: Any, indices: Any, updates: Any) -> Any:
        return KerasTensor(inputs.shape, dtype=inputs.dtype)


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f(*args) -> (output, grad_fn)`` so that the gradient of ``output`` with respect to the tensor
    arguments is ``grad_fn(*args, upstream=g)`` (one gradient per argument, as Keras's torch backend calls
    it) instead of the derivative of ``f``'s own ops. ``f`` runs outside the recording scope."""
    import functools

    from unidl.autograd import STATE, Node, pause

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with pause(train_mode=STATE.training):
            res = f(*args, **kwargs)
        try:
            output, grad_fn = res
        except (TypeError, ValueError):
            raise ValueError("A function decorated with keras.ops.custom_gradient must return (output, grad_fn); "
                             f"got {type(res).__name__}") from None
        parents = tuple(a if isinstance(a, Tensor) else None for a in args)
        if not (STATE.recording and any(p is not None and p.requires_grad for p in parents)):
            return output
        out = _dtypes.to_tensor(output)

        def bwd(node: Any, o: Any, g: Tensor) -> tuple:
            grads = grad_fn(*args, upstream=g)
            grads = tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)
            if len(grads) != len(parents):
                raise ValueError(f"The grad_fn of {getattr(f, '__name__', 'a custom_gradient function')} returned "
                                 f"{len(grads)} gradient(s) for {len(parents)} argument(s)")
            return tuple(None if p is None or gr is None else _dtypes.cast_to(_dtypes.to_tensor(gr), p.dtype)
                         for p, gr in zip(parents, grads))

        out = U.multiply(out, 1) if out._node is not None or out.requires_grad else out
        out._node = Node(f"custom_gradient:{getattr(f, '__name__', 'fn')}", parents, bwd)
        out.requires_grad = True
        return out

    return wrapper


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Cast``, ``Cumsum``, ...) exist where the function does
    import sys

    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
