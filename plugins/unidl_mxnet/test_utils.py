"""``mx.test_utils``: the comparison and random-data helpers of MXNet 1.9.1's test utilities.

Comparisons work on host copies (``asnumpy()``) with MXNet's per-dtype default tolerances (float32:
rtol 1e-4, atol 1e-3). Random arrays come from unidl's seeded generator (``mx.random.seed``).
Dataset fetchers read files already on disk; unidl never downloads (a missing file is an OSError saying
where to put it). Record-file iterators (``get_mnist_iterator``) are not supported.
"""
from __future__ import annotations

import gzip
import numbers
import os
import struct
from typing import Any, Optional, Sequence, Tuple

import numpy as np

import unidl.random as _urandom

from .base import MXNetError, unsupported_attrs
from .context import Context, current_context, num_gpus
from .ndarray.ndarray import NDArray

__getattr__ = unsupported_attrs("mxnet.test_utils", {
    "get_mnist_iterator": "it builds mx.io.MNISTIter over MXNet's binary files; use get_mnist() with "
                          "mx.io.NDArrayIter, or gluon.data.vision.MNIST",
    "get_cifar10": "CIFAR-10 comes as MXNet .rec record files, which unidl_mxnet does not decode; use "
                   "gluon.data.vision.CIFAR10 with the python-version files",
    "check_numeric_gradient": "it checks symbolic executors; compare autograd gradients with finite "
                              "differences yourself",
    "check_symbolic_forward": "symbolic executors are not supported by unidl_mxnet",
    "check_symbolic_backward": "symbolic executors are not supported by unidl_mxnet",
    "check_consistency": "it compares symbolic executors across contexts, which unidl_mxnet lacks",
    "check_speed": "symbolic executors are not supported by unidl_mxnet",
    "rand_sparse_ndarray": "sparse arrays are not supported by unidl_mxnet",
    "create_sparse_array": "sparse arrays are not supported by unidl_mxnet",
})


def default_context() -> Context:
    """The context tests run on (the current default context)."""
    return current_context()


def set_default_context(ctx: Context) -> None:
    """Make ``ctx`` the default context of array creation (as ``with ctx:`` does, without the scope)."""
    if not isinstance(ctx, Context):
        raise MXNetError(f"set_default_context: expected an mx.Context, got {type(ctx).__name__}")
    Context._local.value = ctx


def default_dtype() -> type:
    return np.float32


def default_rtols() -> dict:
    """Default relative tolerance per dtype."""
    return {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-5,
            np.dtype(np.bool_): 0, np.dtype(np.int8): 0, np.dtype(np.uint8): 0, np.dtype(np.int32): 0,
            np.dtype(np.uint32): 0, np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def default_atols() -> dict:
    """Default absolute tolerance per dtype."""
    return {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-20,
            np.dtype(np.bool_): 0, np.dtype(np.int8): 0, np.dtype(np.uint8): 0, np.dtype(np.int32): 0,
            np.dtype(np.uint32): 0, np.dtype(np.int64): 0, np.dtype(np.uint64): 0}


def get_rtol(rtol: Optional[float] = None, dtype: Any = np.dtype(np.float64)) -> float:
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_atol(atol: Optional[float] = None, dtype: Any = np.dtype(np.float64)) -> float:
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_etol(etol: Optional[float] = None) -> float:
    return 0 if etol is None else etol


def get_tolerance(dat: Any, tol: Any, default_tol: dict) -> float:
    """``tol`` if a number, else its (or the default's) entry for ``dat``'s dtype."""
    if isinstance(tol, numbers.Number):
        return tol
    return (tol or {}).get(np.dtype(dat.dtype), default_tol[np.dtype(dat.dtype)])


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> Tuple[float, float]:
    """The (rtol, atol) for comparing ``x`` and ``y``: the looser default of their two dtypes."""
    x = np.array(x) if isinstance(x, numbers.Number) else x
    y = np.array(y) if isinstance(y, numbers.Number) else y
    return (max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
            max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())))


def _host(a: Any) -> Any:
    return a.asnumpy() if isinstance(a, NDArray) else a


def same(a: Any, b: Any) -> bool:
    """Whether two arrays have equal shapes and elements."""
    return bool(np.array_equal(_host(a), _host(b)))


def _check_shapes(a: Any, b: Any) -> None:
    if np.shape(a) != np.shape(b):
        raise AssertionError(f"a.shape = {np.shape(a)} and b.shape = {np.shape(b)} are not equal")


def almost_equal(a: Any, b: Any, rtol: Optional[float] = None, atol: Optional[float] = None,
                 equal_nan: bool = False, use_broadcast: bool = True) -> bool:
    """``numpy.allclose`` with MXNet's defaults (rtol 1e-5, atol 1e-20 unless given)."""
    a, b = _host(a), _host(b)
    if not use_broadcast:
        _check_shapes(a, b)
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan))


def assert_almost_equal(a: Any, b: Any, rtol: Any = None, atol: Any = None, names: Sequence[str] = ("a", "b"),
                        equal_nan: bool = False, use_broadcast: bool = True, mismatches: Tuple[int, int] = (10, 10)
                        ) -> None:
    """Raise AssertionError unless ``|a - b| <= atol + rtol * |b|`` everywhere (tolerances per dtype when
    not given). The message names the worst element, its values and the share of mismatches."""
    if not use_broadcast:
        _check_shapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = np.asarray(_host(a)), np.asarray(_host(b))
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        np.testing.assert_equal(a, b)
        return
    if np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan):
        return
    try:
        af, bf = np.broadcast_arrays(a.astype(np.float64), b.astype(np.float64))
    except ValueError:
        raise AssertionError(f"{names[0]}.shape = {a.shape} and {names[1]}.shape = {b.shape} do not broadcast") from None
    close = np.isclose(af, bf, rtol=rtol, atol=atol, equal_nan=equal_nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(af - bf) / (atol + rtol * np.abs(bf))
    rel = np.where(close, 0.0, np.nan_to_num(rel, nan=np.inf))
    index = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.ndim else ()
    n_bad = int((~close).sum())
    raise AssertionError(
        f"Error {float(rel[index]):f} exceeds tolerance rtol={rtol:e}, atol={atol:e} (mismatch "
        f"{100.0 * n_bad / max(af.size, 1):f}%).\nLocation of maximum error: {tuple(int(i) for i in index)}, "
        f"{names[0]}={float(af[index]):.8f}, {names[1]}={float(bf[index]):.8f}")


def assert_allclose(a: Any, b: Any, rtol: float = 1e-07, atol: float = 0, equal_nan: bool = True) -> None:
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_exception(f: Any, exception_type: type, *args: Any, **kwargs: Any) -> None:
    """Assert that ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type.__name__}")


def random_arrays(*shapes: Sequence[int]) -> Any:
    """Standard-normal float32 host arrays, one per shape (a single array for one shape)."""
    arrays = [_urandom.normal(0.0, 1.0, tuple(s), dtype="float32").numpy() for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes: Sequence[int], low: float = 0.0, high: float = 1.0, dtype: Any = np.float32) -> Any:
    arrays = [_urandom.uniform(low, high, tuple(s), dtype="float32").numpy().astype(dtype) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def rand_ndarray(shape: Sequence[int], stype: str = "default", density: Optional[float] = None, dtype: Any = None,
                 modifier_func: Any = None, shuffle_csr_indices: bool = False, distribution: Any = None,
                 ctx: Optional[Context] = None) -> NDArray:
    """A standard-normal NDArray of ``shape`` (float32 unless ``dtype``); dense storage only."""
    from . import ndarray as nd

    if stype != "default":
        raise MXNetError(f"rand_ndarray(stype={stype!r}): sparse arrays are not supported by unidl_mxnet")
    return nd.array(random_arrays(tuple(shape)), ctx=ctx or default_context(), dtype=dtype)


def _randint(low: int, high: int, n: int) -> list:
    return [int(v) for v in _urandom.randint(low, high, (n,)).numpy()]


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False) -> Tuple[int, int]:
    low = 0 if allow_zero_size else 1
    return _randint(low, dim0 + 1, 1)[0], _randint(low, dim1 + 1, 1)[0]


def rand_shape_3d(dim0: int = 10, dim1: int = 10, dim2: int = 10, allow_zero_size: bool = False) -> Tuple[int, int, int]:
    low = 0 if allow_zero_size else 1
    return _randint(low, dim0 + 1, 1)[0], _randint(low, dim1 + 1, 1)[0], _randint(low, dim2 + 1, 1)[0]


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False) -> tuple:
    return tuple(_randint(0 if allow_zero_size else 1, dim + 1, num_dim))


def list_gpus() -> range:
    """``range(number of GPUs unidl can use)``."""
    return range(num_gpus())


def download(url: str, fname: Optional[str] = None, dirname: Optional[str] = None, overwrite: bool = False,
             retries: int = 5) -> str:
    """The local file for ``url`` (``fname``, or the URL's file name, inside ``dirname`` if given).

    unidl never downloads: the file must already be there (and ``overwrite`` False); otherwise an OSError
    says where to place it.
    """
    if fname is None:
        fname = url.split("/")[-1]
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    if overwrite or not os.path.exists(fname):
        why = "overwrite=True" if overwrite else "it does not exist"
        raise OSError(f"test_utils.download: unidl_mxnet works offline and never downloads; {url} is needed at "
                      f"{os.path.abspath(fname)} but {why}. Download it yourself and place it there.")
    return fname


def get_mnist() -> dict:
    """MNIST from the four ``*-idx?-ubyte.gz`` files in the working directory, as MXNet's loader returns
    it: ``train_data``/``test_data`` float32 (N, 1, 28, 28) in [0, 1], ``train_label``/``test_label`` int8."""
    base = "http://data.mxnet.io/data/mnist/"

    def read(label_name: str, image_name: str):
        with gzip.open(download(base + label_name)) as f:
            struct.unpack(">II", f.read(8))
            label = np.frombuffer(f.read(), dtype=np.int8)
        with gzip.open(download(base + image_name), "rb") as f:
            _, _, rows, cols = struct.unpack(">IIII", f.read(16))
            image = np.frombuffer(f.read(), dtype=np.uint8).reshape(len(label), 1, rows, cols)
        return label, image.astype(np.float32) / 255

    train_lbl, train_img = read("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz")
    test_lbl, test_img = read("t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
    return {"train_data": train_img, "train_label": train_lbl, "test_data": test_img, "test_label": test_lbl}


__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols", "default_atols", "get_rtol",
           "get_atol", "get_etol", "get_tolerance", "get_tols", "same", "almost_equal", "assert_almost_equal",
           "assert_allclose", "assert_exception", "random_arrays", "random_uniform_arrays", "rand_ndarray",
           "rand_shape_2d", "rand_shape_3d", "rand_shape_nd", "list_gpus", "download", "get_mnist"]
