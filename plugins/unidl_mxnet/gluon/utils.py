"""``gluon.utils``: batch splitting across contexts, global-norm gradient clipping, file helpers.

``download`` never touches the network (unidl runs offline): it returns a file that is already there (and
matches ``sha1_hash`` when one is given), as MXNet's would, and otherwise raises an error naming the URL and
where to put the file.
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, List, Optional, Sequence

import numpy as np

from unidl.nn import optim

from ..context import Context
from ..ndarray.ndarray import NDArray, from_any, wrap


def split_data(data: NDArray, num_slice: int, batch_axis: int = 0, even_split: bool = True) -> List[NDArray]:
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``.

    Shapes: (..., N, ...) -> num_slice arrays of (..., N_i, ...); with ``even_split=False`` the first
    ``N % num_slice`` slices get one more row. ValueError when ``even_split`` and N is not divisible.
    """
    from .. import ndarray as nd

    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices along axis {batch_axis}. "
            f"Use a batch size that's multiple of {num_slice} or set even_split=False to allow uneven partitioning "
            "of data.")
    n_each, extras = divmod(size, num_slice)
    sizes = [0] + extras * [n_each + 1] + (num_slice - extras) * [n_each]
    points = np.array(sizes).cumsum()
    if batch_axis != 0:
        return [nd.slice_axis(data, axis=batch_axis, begin=int(points[i]), end=int(points[i + 1]))
                for i in range(num_slice)]
    return [data[int(points[i]):int(points[i + 1])] if i < num_slice - 1 else data[int(points[i]):size]
            for i in range(num_slice)]


def split_and_load(data: Any, ctx_list: Sequence[Context], batch_axis: int = 0,
                   even_split: bool = True) -> List[NDArray]:
    """Split ``data`` (an NDArray or array-like) along ``batch_axis`` and put slice i on ``ctx_list[i]``."""
    if not isinstance(data, NDArray):
        data = from_any(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays: Sequence[NDArray], max_norm: float, check_isfinite: bool = True) -> Any:
    """Rescale ``arrays`` in place so that the 2-norm of all of them together is at most ``max_norm``.

    ``total = sqrt(sum_i ||a_i||^2)``; every array is multiplied by ``min(max_norm / (total + 1e-8), 1)``
    (:func:`unidl.nn.optim.clip_global_norm`). Returns ``total``: a NumPy scalar when ``check_isfinite``
    (warning if it is NaN or inf), else a (1,) NDArray.
    """
    if len(arrays) == 0:
        raise AssertionError("clip_global_norm: arrays must not be empty")
    for a in arrays:
        if not isinstance(a, NDArray):
            raise TypeError(f"clip_global_norm: arrays must be NDArrays, got {type(a).__name__}")
    total = optim.clip_global_norm([a.tensor for a in arrays], float(max_norm), check_isfinite=check_isfinite)
    if check_isfinite:
        return arrays[0].dtype(total)
    return wrap(total)


def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the SHA-1 hex digest of the file's content equals ``sha1_hash``."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        while True:
            chunk = f.read(1048576)
            if not chunk:
                break
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def replace_file(src: str, dst: str) -> None:
    """Atomically move ``src`` onto ``dst``."""
    try:
        os.replace(src, dst)
    except OSError:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError(f"Moving downloaded temp file - {src}, to {dst} failed. Please retry the download.") from None


def download(url: str, path: Optional[str] = None, overwrite: bool = False, sha1_hash: Optional[str] = None,
             retries: int = 5, verify_ssl: bool = True) -> str:
    """The local file for ``url`` (``path``, a directory + the URL's file name, or the file name).

    unidl never downloads: when that file exists (and matches ``sha1_hash`` if given, and not ``overwrite``)
    its name is returned as MXNet does; otherwise an OSError says where to place the file by hand.
    """
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise AssertionError("Can't construct file-name from this URL. Please set the `path` option manually.")
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split("/")[-1]) if os.path.isdir(path) else path
    if retries < 0:
        raise AssertionError(f"Number of retries should be at least 0, currently it's {retries}")
    if overwrite or not os.path.exists(fname) or (sha1_hash and not check_sha1(fname, sha1_hash)):
        why = ("overwrite=True" if overwrite else "it does not exist" if not os.path.exists(fname)
               else f"its SHA-1 does not match {sha1_hash}")
        raise OSError(f"gluon.utils.download: unidl_mxnet works offline and never downloads; {url} is needed at "
                      f"{os.path.abspath(fname)} but {why}. Download it yourself and place it there.")
    return fname


class HookHandle:
    """What ``register_forward_hook`` / ``register_forward_pre_hook`` return: ``detach()`` removes the hook
    (also on leaving a ``with`` block)."""

    def __init__(self) -> None:
        self._hooks_dict_ref: Any = None
        self._id: Optional[int] = None

    def attach(self, hooks_dict: Any, hook: Any) -> None:
        if self._hooks_dict_ref is not None:
            raise AssertionError("The same handle cannot be attached twice.")
        import weakref

        self._id = id(hook)
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self) -> None:
        hooks = self._hooks_dict_ref() if self._hooks_dict_ref is not None else None
        if hooks is not None and self._id in hooks:
            del hooks[self._id]

    def __enter__(self) -> "HookHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.detach()


def shape_is_known(shape: Any) -> bool:
    """Whether every dimension of ``shape`` is known (MXNet 1.x legacy shapes: 0 means unknown)."""
    if shape is None:
        return False
    if len(shape) == 0:
        return False
    for d in shape:
        if d == 0:
            return False
        if d < 0:
            raise AssertionError(f"shape dimension size cannot be less than 0, while received {d}")
    return True


def _brief_print_list(lst: Sequence[Any], limit: int = 7) -> str:
    """``'a', 'b', ..., 'z'``: a list printed with at most ``limit`` items."""
    lst = list(lst)
    if len(lst) > limit:
        return _brief_print_list(lst[:limit // 2], limit) + ", ..., " + _brief_print_list(lst[-limit // 2:], limit)
    return ", ".join(f"'{i}'" for i in lst)


__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download", "replace_file"]
