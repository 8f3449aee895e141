"""Indexing kernels: getitem and its scatter-add adjoint, take, take_along_axis, scatter_add, one_hot.

Keys reach the kernels already normalised by the op functions: a tuple of ints, slices, None,
Ellipsis, Python bools and backend integer/bool arrays. ``mode`` is 'raise', 'wrap' or 'clip'.
NumPy checks index bounds itself; other array modules (CuPy wraps silently) are checked here.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple


def kernels(xp: Any, bounds_check: Optional[Callable[[Any, int, Optional[int]], None]] = None
            ) -> Dict[str, Callable[..., Any]]:
    """The index kernels on ``xp``; ``bounds_check(idx, n, axis)`` replaces the host-side bounds
    check used where ``xp`` is not NumPy (a GPU plugin can check on the device without a sync)."""
    is_numpy = getattr(xp, "__name__", "") == "numpy"

    if hasattr(xp.add, "at"):
        add_at = xp.add.at
    else:  # pragma: no cover - older CuPy
        import cupyx

        add_at = cupyx.scatter_add

    def add_rows(out: Any, idx: Any, rows: Any) -> None:
        """``out[idx[j]] += rows[j]`` for 1-D ``idx``, repeated indices accumulating (in place)."""
        k = idx.shape[0]
        width = rows.size // k if k else 0
        if not is_numpy or width < 32 or k < 2:
            add_at(out, idx, rows)
            return
        # NumPy's add.at is slow for wide rows. Instead sort the indices, rank each occurrence
        # within its run of equal indices, and do one duplicate-free fancy ``+=`` per rank.
        n = out.shape[0]
        lo = int(idx.min())
        if lo < -n:
            raise IndexError(f"index {lo} is out of bounds for axis 0 with size {n}")
        if lo < 0:
            idx = xp.where(idx < 0, idx + n, idx)
        order = xp.argsort(idx, kind="stable")
        s = idx[order]
        new = xp.empty(k, dtype=bool)
        new[0] = True
        xp.not_equal(s[1:], s[:-1], out=new[1:])
        starts = xp.flatnonzero(new)
        rank = xp.arange(k) - xp.repeat(starts, xp.diff(xp.append(starts, k)))
        counts = xp.bincount(rank).tolist()
        if len(counts) > max(64, k // 16):  # few distinct indices, many repeats: add.at is as fast
            add_at(out, idx, rows)
            return
        by_rank = order[xp.argsort(rank, kind="stable")]
        pos = 0
        for c in counts:
            sel = by_rank[pos:pos + c]
            out[idx[sel]] += rows[sel]
            pos += c

    def is_rows_key(key: tuple) -> bool:
        """A key of one integer array on axis 0 followed only by full slices (x[idx], x[idx, :])."""
        k0 = key[0] if key else None
        if getattr(k0, "dtype", None) is None or k0.dtype.kind == "b":
            return False
        return all(k is Ellipsis or (isinstance(k, slice) and k == slice(None)) for k in key[1:])

    def as_array(r: Any) -> Any:
        # Integer indexing down to one element gives a NumPy scalar; ops return arrays.
        return r if isinstance(r, xp.ndarray) else xp.asarray(r)

    def check_bounds(idx: Any, n: int, axis: Optional[int]) -> None:
        if idx.size:
            lo, hi = int(idx.min()), int(idx.max())
            if lo < -n or hi >= n:
                bad = lo if lo < -n else hi
                where = f"axis {axis}" if axis is not None else "the flattened input"
                raise IndexError(f"index {bad} is out of bounds for {where} with size {n}")

    if bounds_check is not None:
        check_bounds = bounds_check  # noqa: F811

    def fix(idx: Any, n: int, mode: str, axis: Optional[int]) -> Any:
        """Indices valid for fancy indexing (negative allowed) under ``mode``."""
        if mode == "raise":
            if not is_numpy:
                check_bounds(idx, n, axis)
            return idx
        if n == 0:
            if idx.size:
                raise IndexError(f"cannot take {idx.size} index(es) from an empty axis "
                                 f"({'flattened input' if axis is None else f'axis {axis}'} has size 0)")
            return idx
        if mode == "wrap":
            return idx % n
        return xp.clip(idx, 0, n - 1)

    def key_bounds(x_shape: Tuple[int, ...], key: tuple) -> None:
        """Bounds of integer array components of a getitem key (for array modules that do not check)."""
        consumed = sum(getattr(k, "ndim", 1) if getattr(k, "dtype", None) is not None and k.dtype.kind == "b"
                       else (0 if k is None or k is Ellipsis or isinstance(k, bool) else 1) for k in key)
        ax = 0
        for k in key:
            if k is Ellipsis:
                ax += len(x_shape) - consumed
            elif k is None or isinstance(k, bool):
                continue
            elif getattr(k, "dtype", None) is not None and k.dtype.kind == "b":
                ax += k.ndim
            else:
                if getattr(k, "dtype", None) is not None and ax < len(x_shape):
                    check_bounds(k, x_shape[ax], ax)
                ax += 1

    def getitem(x: Any, key: tuple) -> Any:
        if not is_numpy:
            key_bounds(x.shape, key)
        return as_array(x[key])

    def index_add(x: Any, values: Any, key: tuple, shape: Tuple[int, ...], basic: bool) -> Any:
        # x None: the adjoint of getitem, values scattered into zeros of ``shape``.
        if x is None:
            out = xp.zeros(shape, dtype=values.dtype)
            if basic:  # a basic key selects each element at most once: assign into the view
                out[key] = values
                return out
        else:
            out = x.copy()
            if basic:
                out[key] += values
                return out
        if not is_numpy:
            key_bounds(shape, key)
        if is_numpy and is_rows_key(key):
            idx = key[0]
            rows = xp.broadcast_to(values, idx.shape + shape[1:]).reshape((idx.size,) + shape[1:])
            add_rows(out, idx.reshape(-1), rows)
        else:
            add_at(out, key, values)
        return out

    def take(x: Any, indices: Any, axis: Optional[int], mode: str) -> Any:
        if is_numpy:
            return as_array(xp.take(x, indices, axis=axis, mode=mode))
        n = x.size if axis is None else x.shape[axis]
        return as_array(xp.take(x, fix(indices, n, mode, axis), axis=axis))

    def take_grad(g: Any, indices: Any, shape: Tuple[int, ...], axis: Optional[int], mode: str) -> Any:
        if axis is None:
            size = 1
            for d in shape:
                size *= d
            out = xp.zeros(size, dtype=g.dtype)
            add_at(out, fix(indices, size, mode, None).reshape(-1), g.reshape(-1))
            return out.reshape(shape)
        out = xp.zeros(shape, dtype=g.dtype)
        pre, post = shape[:axis], shape[axis + 1:]
        rows = xp.moveaxis(g.reshape(pre + (indices.size,) + post), axis, 0)
        add_rows(xp.moveaxis(out, axis, 0), fix(indices, shape[axis], mode, axis).reshape(-1), rows)
        return out

    def along_axis_key(shape: Tuple[int, ...], indices: Any, axis: int, mode: str) -> tuple:
        """The fancy-index tuple that picks ``indices`` along ``axis`` (NumPy's take_along_axis)."""
        nd = len(shape)
        key = []
        for i, n in enumerate(shape):
            if i == axis:
                key.append(fix(indices, n, mode, axis))
            else:
                key.append(xp.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)))
        return tuple(key)

    def take_along_axis(x: Any, indices: Any, axis: Optional[int], mode: str) -> Any:
        if axis is None:
            x = x.reshape(-1)
            axis = 0
        if is_numpy and mode == "raise":
            return xp.take_along_axis(x, indices, axis=axis)
        return x[along_axis_key(x.shape, indices, axis, mode)]

    def scatter_add(x: Any, indices: Any, updates: Any, axis: Optional[int], mode: str,
                    shape: Tuple[int, ...]) -> Any:
        # x None: the adjoint of take_along_axis, updates scattered into zeros of ``shape``.
        out = xp.zeros(shape, dtype=updates.dtype) if x is None else x.copy()
        flat = out.reshape(-1) if axis is None else out
        add_at(flat, along_axis_key(flat.shape, indices, 0 if axis is None else axis, mode), updates)
        return out

    def one_hot(indices: Any, depth: int, on_value: Any, off_value: Any, dtype: Any) -> Any:
        if indices.dtype.kind not in "iu":
            indices = indices.astype(xp.int64)
        hit = xp.expand_dims(indices, -1) == xp.arange(depth)
        if on_value == 1 and off_value == 0:
            return hit.astype(dtype)
        return xp.where(hit, xp.asarray(on_value, dtype=dtype), xp.asarray(off_value, dtype=dtype))

    def nonzero(x: Any) -> Any:
        return tuple(i.astype(xp.int64) for i in xp.nonzero(x if x.ndim else x.reshape(1)))

    return {
        "nonzero": nonzero,
        "getitem": getitem,
        "index_add": index_add,
        "take": take,
        "take_grad": take_grad,
        "take_along_axis": take_along_axis,
        "scatter_add": scatter_add,
        "one_hot": one_hot,
    }
