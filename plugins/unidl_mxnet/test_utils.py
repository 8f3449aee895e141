"""``mx.test_utils``: the comparison and random-data helpers of MXNet 1.9.1's test utilities.

Comparisons work on host copies (``asnumpy()``) with MXNet's per-dtype default tolerances (float32:
rtol 1e-4, atol 1e-3). Random arrays come from unidl's seeded generator (``mx.random.seed``).
Dataset fetchers read files already on disk; unidl never downloads (a missing file is an OSError saying
where to put it). Record-file iterators (``get_mnist_iterator``) are not supported.
"""
from __future__ import annotations

import contextlib
import functools
import gzip
import json
import logging
import numbers
import os
import random as rnd
import struct
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import unidl.random as _urandom

from .base import MXNetError, unsupported_attrs
from .context import Context, current_context, num_gpus
from .ndarray.ndarray import NDArray
from .ndarray import array  # noqa: F401 - `from mxnet.test_utils import *` hands tests mx.nd.array as `array`
from .util import getenv, setenv, use_np

_unsupported = unsupported_attrs("mxnet.test_utils", {
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
    "rand_sparse_ndarray": "unidl_mxnet's sparse arrays are dense underneath; use rand_ndarray(shape, stype)",
    "create_sparse_array": "unidl_mxnet's sparse arrays are dense underneath; use rand_ndarray(shape, stype)",
})


def __getattr__(name: str) -> Any:
    if name == "ss":  # scipy.stats, as MXNet's module exposes it (None without scipy); imported on first use
        try:
            import scipy.stats as stats
        except ImportError:
            stats = None
        globals()["ss"] = stats
        return stats
    if name == "mx":
        import unidl_mxnet

        return unidl_mxnet
    return _unsupported(name)


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
    return a.asnumpy() if hasattr(a, "asnumpy") and not isinstance(a, np.ndarray) else a


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
    """A standard-normal NDArray of ``shape`` (float32 unless ``dtype``). ``stype`` 'csr' / 'row_sparse': a
    sparse array with about ``density`` (default: uniform in [0, 1)) of its entries (rows, for row_sparse)
    non-zero, values uniform in [0, 1) as MXNet's."""
    from . import ndarray as nd

    if stype == "default":
        return nd.array(random_arrays(tuple(shape)), ctx=ctx or default_context(), dtype=dtype)
    if stype not in ("csr", "row_sparse"):
        raise MXNetError(f"rand_ndarray: unknown stype {stype!r}; expected 'default', 'csr' or 'row_sparse'")
    shape = tuple(shape)
    dens = float(_urandom.uniform(0.0, 1.0, (1,)).numpy()[0]) if density is None else float(density)
    vals = _urandom.uniform(0.0, 1.0, shape, dtype="float32").numpy().astype(dtype or np.float32)
    keep_shape = shape if stype == "csr" else shape[:1] + (1,) * (len(shape) - 1)
    keep = _urandom.uniform(0.0, 1.0, keep_shape, dtype="float32").numpy() < dens
    dense = nd.array(vals * keep, ctx=ctx or default_context(), dtype=dtype or np.float32)
    return dense.tostype(stype)


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


def effective_dtype(dat: Any) -> np.dtype:
    """The dtype whose tolerances apply to ``dat``: its own dtype (no reduced-precision GEMM on CPU)."""
    return np.dtype(getattr(dat, "dtype", np.float64))


def random_sample(population: Sequence[Any], k: int) -> list:
    """``k`` distinct elements of ``population`` drawn with Python's ``random`` (seeded by ``with_seed``)."""
    if not 0 <= k <= len(population):
        raise ValueError(f"random_sample: k={k} is outside [0, {len(population)}]")
    return rnd.sample(list(population), k)


def np_reduce(dat: np.ndarray, axis: Any, keepdims: bool, numpy_reduce_func: Callable) -> np.ndarray:
    """Reduce ``dat`` over ``axis`` (int, tuple or None) one axis at a time with ``numpy_reduce_func``
    (called as ``f(x, axis=i, keepdims=True)``), keeping the reduced axes when ``keepdims``."""
    if isinstance(axis, int):
        axis = [axis]
    else:
        axis = list(axis) if axis is not None else list(range(len(dat.shape)))
    ret = dat
    for i in reversed(sorted(axis)):
        ret = numpy_reduce_func(ret, axis=i, keepdims=True)
    if not keepdims:
        keep = [s for i, s in enumerate(ret.shape) if i not in axis and i - len(ret.shape) not in axis]
        ret = ret.reshape(tuple(keep))
    return ret


def retry(n: int) -> Callable:
    """Decorator: run the test up to ``n`` times, passing as soon as one run raises no AssertionError."""
    if n <= 0:
        raise ValueError(f"retry: n must be positive, got {n}")

    def decorate(f: Callable) -> Callable:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(n):
                try:
                    return f(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
        return wrapper
    return decorate


@contextlib.contextmanager
def discard_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (C-level stderr included) inside the ``with`` block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def environment(*args: Any) -> Iterator[None]:
    """Set environment variables inside the ``with`` block and restore them after.

    ``environment("NAME", "value")`` or ``environment({"A": "1", "B": None})``; None unsets a variable.
    """
    if len(args) == 2:
        changes: Dict[str, Optional[str]] = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        changes = dict(args[0])
    else:
        raise ValueError("environment: expected (name, value) or a dict of name -> value")
    saved = {k: os.environ.get(k) for k in changes}

    def apply(values: Dict[str, Optional[str]]) -> None:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = str(v)

    apply(changes)
    try:
        yield
    finally:
        apply(saved)


def gen_buckets_probs_with_ppf(ppf: Callable[[float], float], nbuckets: int) -> Tuple[list, list]:
    """``nbuckets`` equal-probability intervals of a continuous distribution given its inverse CDF."""
    edges = [ppf(i / float(nbuckets)) for i in range(nbuckets + 1)]
    buckets = [(edges[i], edges[i + 1]) for i in range(nbuckets)]
    return buckets, [1.0 / nbuckets] * nbuckets


def chi_square_check(generator: Callable[[int], Any], buckets: list, probs: Sequence[float],
                     nsamples: int = 1000000) -> Tuple[float, np.ndarray, np.ndarray]:
    """Pearson's chi-square test of ``generator(nsamples)`` against ``probs`` over ``buckets``.

    Buckets are ascending ``(low, high)`` intervals for a continuous generator, or the possible values of a
    discrete one. Returns ``(p_value, observed counts, expected counts)``. As in MXNet 1.9.1, the expected
    counts are ``int32(nsamples * float32(probs))`` and are handed to ``scipy.stats.chisquare`` as they are,
    so SciPy refuses (ValueError) counts whose totals differ; a continuous sample below the first bucket is
    counted in it."""
    import scipy.stats as stats

    if not isinstance(buckets, list):
        raise TypeError(f"chi_square_check: buckets must be a list, got {type(buckets).__name__}")
    samples = np.asarray(_host(generator(nsamples)))
    if len(probs) != len(buckets):
        raise ValueError(f"chi_square_check: {len(buckets)} buckets but {len(probs)} probabilities")
    expected = (nsamples * np.array(probs, dtype=np.float32)).astype(np.int32)
    observed = np.zeros(len(buckets), dtype=np.int64)
    if isinstance(buckets[0], (list, tuple)):
        edges = np.zeros(2 * len(buckets), dtype=np.float32)
        for i, (lo, hi) in enumerate(buckets):
            if lo > hi or (i + 1 < len(buckets) and hi > buckets[i + 1][0]):
                raise ValueError(f"chi_square_check: buckets must be ascending, non-overlapping intervals, got "
                                 f"{buckets}")
            edges[2 * i], edges[2 * i + 1] = lo, hi
        ids = np.searchsorted(edges, samples, side="right") // 2
        observed[:] = np.bincount(ids.ravel(), minlength=len(buckets) + 1)[:len(buckets)]
    else:
        for i, value in enumerate(buckets):
            observed[i] = int((samples == value).sum())
    _, p = stats.chisquare(f_obs=observed, f_exp=expected)
    return float(p), observed, expected


def verify_generator(generator: Callable[[int], Any], buckets: list, probs: Sequence[float],
                     nsamples: int = 1000000, nrepeat: int = 5, success_rate: float = 0.2,
                     alpha: float = 0.05) -> List[float]:
    """Repeat :func:`chi_square_check` ``nrepeat`` times; raise AssertionError unless at least
    ``success_rate`` of the runs have p > ``alpha``. Returns the p-values."""
    results = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    pvalues = [r[0] for r in results]
    if sum(p > alpha for p in pvalues) < nrepeat * success_rate:
        raise AssertionError(f"generator test failed: chi-square p-values {pvalues}, observed "
                             f"{[r[1].tolist() for r in results]}, expected {[r[2].tolist() for r in results]}, "
                             f"buckets {buckets}, probs {list(probs)}")
    return pvalues


def compare_ndarray_tuple(t1: Any, t2: Any, rtol: Optional[float] = None, atol: Optional[float] = None) -> None:
    """assert_almost_equal over (nested tuples of) arrays; None on either side compares as equal."""
    if t1 is None or t2 is None:
        return
    if isinstance(t1, (tuple, list)):
        for a, b in zip(t1, t2):
            compare_ndarray_tuple(a, b, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)


def compare_optimizer(opt1: Any, opt2: Any, shape: Any, dtype: Any, w_stype: str = "default",
                      g_stype: str = "default", rtol: float = 1e-4, atol: float = 1e-5,
                      compare_states: bool = True, ntensors: int = 1) -> None:
    """Update the same random weights with two optimizers and assert equal states and weights.

    ``shape`` is one shape (one tensor) or a list of shapes; with a list, ``opt2`` updates all tensors in one
    multi-tensor call and ``opt1`` one at a time."""
    from . import random as mxrandom

    ctx = default_context()

    def pair(stype: str, density: Optional[float]) -> Tuple[NDArray, NDArray]:
        # (opt2's array, opt1's dense copy): a sparse array for opt2 as MXNet builds it (weights fully dense)
        if stype == "default":
            a = mxrandom.uniform(shape=shape, ctx=ctx, dtype=dtype)
            return a, a.copyto(ctx)
        if stype in ("row_sparse", "csr"):
            a = rand_ndarray(shape, stype, density=density, dtype=dtype)
            return a, a.copyto(ctx).tostype("default")
        raise MXNetError(f"compare_optimizer: storage type {stype!r} is not supported (default, row_sparse, csr)")

    if not isinstance(shape, list):
        if ntensors != 1:
            raise ValueError("compare_optimizer: ntensors must be 1 for a single shape")
        w2, w1 = pair(w_stype, 1)
        g2, g1 = pair(g_stype, None)
        state1 = opt1.create_state_multi_precision(0, w1)
        state2 = opt2.create_state_multi_precision(0, w2)
        if compare_states:
            compare_ndarray_tuple(state1, state2)
        opt1.update_multi_precision(0, w1, g1, state1)
        opt2.update_multi_precision(0, w2, g2, state2)
        if compare_states:
            compare_ndarray_tuple(state1, state2, rtol=rtol, atol=atol)
        assert_almost_equal(w1, w2, rtol=rtol, atol=atol)
        return
    w1 = [mxrandom.uniform(shape=s, ctx=ctx, dtype=dtype) for s in shape]
    g1 = [mxrandom.uniform(shape=s, ctx=ctx, dtype=dtype) for s in shape]
    w2 = [w.copyto(ctx) for w in w1]
    g2 = [g.copyto(ctx) for g in g1]
    states2 = [opt2.create_state_multi_precision(0, w2[i]) for i in range(ntensors)]
    opt2.update_multi_precision(list(range(ntensors)), w2, g2, states2)
    for i in range(ntensors):
        state1 = opt1.create_state_multi_precision(i, w1[i])
        opt1.update_multi_precision(i, w1[i], g1[i], state1)
        if compare_states:
            compare_ndarray_tuple(state1, states2[i], rtol, atol)
        compare_ndarray_tuple(w1[i], w2[i], rtol, atol)


def collapse_sum_like(a: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Sum ``a`` down to ``shape`` (which broadcasts to ``a.shape``): the gradient of a broadcast."""
    a = np.asarray(a)
    shape = tuple(shape)
    lead = a.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"collapse_sum_like: shape {shape} has more axes than the array's {a.shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape) if axes else a.reshape(shape)


def is_op_runnable() -> bool:
    """Whether every operator can run on the default context (always, on unidl's kernels)."""
    return True


def check_gluon_hybridize_consistency(net_builder: Callable[..., Any], data_l: Sequence[Any],
                                      numpy_func: Optional[Callable] = None, test_grad: bool = True,
                                      rtol: float = 1e-4, atol: float = 1e-4) -> None:
    """Run a HybridBlock eagerly and hybridized, with and without autograd, from the same initial
    parameters, and assert equal outputs (and input gradients when ``test_grad``); compare with
    ``numpy_func`` when given. ``net_builder(prefix=...)`` builds the block."""
    from . import autograd, initializer
    from .util import use_np as _use_np

    @_use_np
    def run() -> None:
        saved_out = saved_grads = None
        params: Optional[Dict[str, np.ndarray]] = None

        class FromSaved(initializer.Initializer):
            def _init_weight(self, name: str, arr: Any) -> None:
                arr[()] = params[name]
        for hybridize in (False, True):
            for use_autograd in ((False, True) if test_grad else (False,)):
                net = net_builder(prefix="net_")
                if params is None:
                    net.initialize()
                else:
                    net.initialize(FromSaved())
                if hybridize:
                    net.hybridize()
                inputs = [x.copy() for x in data_l]
                if use_autograd:
                    for x in inputs:
                        x.attach_grad()
                    with autograd.record():
                        out = net(*inputs)
                    out.backward()
                else:
                    out = net(*inputs)
                if params is None:
                    params = {v.name: v.data().asnumpy() for v in net.collect_params().values()}
                if saved_out is None:
                    saved_out = out.asnumpy()
                    if numpy_func is not None:
                        expected = numpy_func(*[x.asnumpy() for x in data_l])
                        assert_almost_equal(saved_out, expected, rtol=rtol, atol=atol)
                else:
                    assert_almost_equal(out.asnumpy(), saved_out, rtol=rtol, atol=atol)
                if use_autograd:
                    grads = [x.grad.asnumpy() for x in inputs]
                    if saved_grads is None:
                        saved_grads = grads
                    else:
                        for g, s in zip(grads, saved_grads):
                            assert_almost_equal(g, s, rtol=rtol, atol=atol)

    run()


__all__ = ["default_context", "set_default_context", "default_dtype", "default_rtols", "default_atols", "get_rtol",
           "get_atol", "get_etol", "get_tolerance", "get_tols", "same", "almost_equal", "assert_almost_equal",
           "assert_allclose", "assert_exception", "random_arrays", "random_uniform_arrays", "rand_ndarray",
           "rand_shape_2d", "rand_shape_3d", "rand_shape_nd", "list_gpus", "download", "get_mnist",
           "effective_dtype", "random_sample", "np_reduce", "retry", "discard_stderr", "environment",
           "gen_buckets_probs_with_ppf", "chi_square_check", "verify_generator", "compare_ndarray_tuple",
           "compare_optimizer", "collapse_sum_like", "is_op_runnable", "check_gluon_hybridize_consistency",
           "use_np", "getenv", "setenv", "array", "Context", "current_context",
           # the modules MXNet's test_utils hands to `from mxnet.test_utils import *`
           "np", "mx", "os", "sys", "time", "json", "logging", "numbers", "struct", "gzip", "rnd", "ss"]
