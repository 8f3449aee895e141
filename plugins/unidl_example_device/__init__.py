"""unidl_example_device: the worked example of a plugin that brings a new device type, ``example``.

Its memory is NumPy buffers wrapped in :class:`ExampleArray`, which refuses implicit conversion to a
host array (as CuPy does): every value that crosses between host and device goes through the two
transfer functions registered below, so a missed transfer fails loudly instead of silently running
on the CPU. It implements only the *primitive tier* (``unidl.primitives.PRIMITIVES``); every other
op runs through its composite definition in the core, written with those primitives.

Read ``docs/writing-a-plugin.md`` beside it, run ``unidl plugins --coverage example`` and
``unidl conform --device example``.
"""
from __future__ import annotations

import types

import numpy as np

import unidl

NAME = "example"
_M32, _M64 = 0xFFFFFFFF, (1 << 64) - 1


_HOST_ONLY = frozenset({"tolist", "tobytes", "tofile", "dump", "dumps", "data", "ctypes"})


class ExampleArray:
    """An array in the example device's memory (a NumPy buffer the host may not read implicitly)."""

    __slots__ = ("_a", "__weakref__")

    def __init__(self, a: np.ndarray) -> None:
        self._a = a

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)

    def astype(self, dtype, copy=True):
        return ExampleArray(self._a.astype(dtype, copy=copy))

    def __getattr__(self, name):  # other ndarray methods (copy, fill, view, ...) run on the device
        if name in _HOST_ONLY or name.startswith("__"):
            raise AttributeError(f"ExampleArray.{name}: move the array to the host first (Tensor.numpy())")
        attr = getattr(self._a, name)
        return device_fn(attr) if callable(attr) else _wrap(attr)

    def __setitem__(self, key, value):  # in-place copy on the device (optimizer updates write back)
        self._a[_unwrap(key)] = _unwrap(value)

    def __array__(self, *args, **kw):
        raise TypeError("example device memory cannot be read implicitly; transfer it with "
                        "Tensor.numpy() (the device's to_host)")

    def __repr__(self) -> str:
        return f"ExampleArray(shape={self.shape}, dtype={self.dtype})"


def _unwrap(v):
    if isinstance(v, ExampleArray):
        return v._a
    if isinstance(v, (tuple, list)):
        return type(v)(_unwrap(x) for x in v)
    return v


def _wrap(r):
    if isinstance(r, tuple):
        return tuple(_wrap(x) for x in r)
    if isinstance(r, (np.ndarray, np.generic)):
        return ExampleArray(np.asarray(r))
    return r


def device_fn(fn):
    """``fn`` on NumPy arrays as a function on device arrays (arguments unwrapped, results wrapped)."""
    def run(*args, **kw):
        return _wrap(fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kw.items()}))
    run.__name__ = getattr(fn, "__name__", "kernel")
    return run


# -- transfers: the only way values cross between host and device --------------------------------------
def to_host(a: ExampleArray) -> np.ndarray:
    return np.array(a._a, copy=True)


def from_host(a, index: int = 0) -> ExampleArray:
    return ExampleArray(np.array(a, copy=True, order="C"))  # a fresh C-contiguous device buffer


# -- the array namespace (what CuPy is to cuda): array types, dtypes and array creation only -----------
_CREATE = ("zeros", "ones", "empty", "full", "eye", "arange", "zeros_like", "ones_like", "empty_like",
           "full_like", "asarray", "array")
xp = types.ModuleType("unidl_example_device.xp", "array creation on the example device")
xp.ndarray = ExampleArray
for _n in _CREATE:
    setattr(xp, _n, device_fn(getattr(np, _n)))
for _n in ("bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
           "float32", "float64", "complex64", "complex128", "dtype", "pi", "inf", "nan"):
    setattr(xp, _n, getattr(np, _n))


# -- the primitive tier ------------------------------------------------------------------------------
def _philox(key, counter: int, nblocks: int) -> np.ndarray:
    """Philox4x32-10 of counters ``counter .. counter+nblocks-1``: uint32 words, shape (4*nblocks,)."""
    counter &= (1 << 128) - 1
    lo = np.arange(nblocks, dtype=np.uint64) + np.uint64(counter & _M64)   # wraps mod 2**64
    hi = (lo < np.uint64(counter & _M64)).astype(np.uint64) + np.uint64(counter >> 64)
    m32, s32 = np.uint64(_M32), np.uint64(32)
    x0, x1, x2, x3 = lo & m32, lo >> s32, hi & m32, hi >> s32
    k0, k1 = int(key[0]) & _M32, int(key[1]) & _M32
    for _ in range(10):
        p0, p1 = x0 * np.uint64(0xD2511F53), x2 * np.uint64(0xCD9E8D57)
        x0, x1, x2, x3 = (p1 >> s32) ^ x1 ^ np.uint64(k0), p1 & m32, (p0 >> s32) ^ x3 ^ np.uint64(k1), p0 & m32
        k0, k1 = (k0 + 0x9E3779B9) & _M32, (k1 + 0xBB67AE85) & _M32
    return np.stack([x0, x1, x2, x3], axis=1).astype(np.uint32).reshape(-1)


def random_bits(*, shape, key, counter, dtype):
    """Philox words: uint32 one word per value, uint64 two (first word high), same bits as every device."""
    n = int(np.prod(shape, dtype=np.int64))
    wide = np.dtype(dtype) == np.uint64
    w = _philox(key, counter, ((2 * n if wide else n) + 3) // 4)[: 2 * n if wide else n]
    if wide:
        w = w.astype(np.uint64)
        w = (w[0::2] << np.uint64(32)) | w[1::2]
    return ExampleArray(w.reshape(shape))


def _checked_take(x, indices, axis, mode):
    return np.asarray(np.take(x, indices, axis=axis, mode=mode))


def _index_add(x, values, key, shape, basic):
    """``x`` (None: zeros of ``shape``) with ``values`` added at ``key``; a basic key selects each element once."""
    out = np.zeros(shape, dtype=values.dtype) if x is None else x.copy()
    if basic and x is None:
        out[key] = values  # assignment: -0.0 stays -0.0
    elif basic:
        out[key] += values
    else:
        np.add.at(out, key, values)  # repeated indices accumulate
    return out


PRIMITIVE_KERNELS = {
    # elementwise, NumPy broadcasting and type promotion
    **{n: device_fn(getattr(np, n)) for n in (
        "add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "equal", "greater", "less",
        "negative", "abs", "sign", "exp", "log", "sqrt", "tanh", "sin", "cos", "floor", "right_shift", "expm1",
        "log1p")},
    "where": device_fn(lambda condition, x=None, y=None, /: np.where(condition, x, y)),
    "astype": device_fn(lambda x, dtype: x.astype(dtype)),
    "bitcast": device_fn(lambda x, dtype: (x if x.flags.c_contiguous else np.ascontiguousarray(x)).view(dtype)),
    # reductions
    "sum": device_fn(lambda x, axis=None, keepdims=False: np.asarray(np.sum(x, axis=axis, keepdims=keepdims))),
    "max": device_fn(lambda x, axis=None, keepdims=False: np.asarray(np.max(x, axis=axis, keepdims=keepdims))),
    "argmax": device_fn(lambda x, axis=None, keepdims=False: np.asarray(np.argmax(x, axis=axis,
                                                                                keepdims=keepdims))),
    "matmul": device_fn(lambda a, b: np.asarray(np.matmul(a, b))),
    # views and data movement
    "reshape": device_fn(lambda x, shape: np.reshape(x, shape)),
    "transpose": device_fn(lambda x, axes: np.transpose(x, axes)),
    "broadcast_to": device_fn(lambda x, shape: np.broadcast_to(x, shape)),
    "concatenate": device_fn(lambda *xs, axis: np.concatenate(xs, axis=axis)),
    # gather / scatter
    "getitem": device_fn(lambda x, key: np.asarray(x[key])),
    "index_add": device_fn(_index_add),
    "take": device_fn(_checked_take),
    # random bits (Philox4x32-10, bit-identical to every other device)
    "random_bits": random_bits,
}


@unidl.hookimpl
def unidl_register_devices(registry):
    registry.add(NAME, xp=xp, is_available=lambda: True, device_count=lambda: 1, to_host=to_host,
                 from_host=from_host, synchronize=lambda index=0: None,
                 capabilities={"float64": True, "float16": True})


@unidl.hookimpl
def unidl_register_kernels(registry):
    for op, fn in PRIMITIVE_KERNELS.items():
        registry.add(op, NAME, fn)
