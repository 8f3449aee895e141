"""``mx.npx`` operators: MXNet's neural-network operators for ``mx.np`` arrays.

They take the same arguments as their ``mx.nd`` counterparts (``npx.convolution`` is ``nd.Convolution``)
and return ``mx.np.ndarray``; the math is the ``mx.nd`` operator's (:mod:`unidl.ops` underneath).
``npx.reshape`` has its own special values (different from ``nd.reshape``'s), see :func:`reshape`.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

from unidl import ops

from .. import ndarray as _nd
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ..numpy._op import _tensor
from ..numpy.multiarray import _own, _wrap, as_np, ndarray


def _arr(x: Any, op: str) -> NDArray:
    if isinstance(x, NDArray):
        return x
    return _wrap(_tensor(x, op))


def _np_op(nd_name: str, name: str, n_arrays: int = 1):
    """``npx.<name>``: ``nd.<nd_name>`` on the first ``n_arrays`` positional arrays, returning np arrays."""

    def op(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_arr(a, name) if i < n_arrays and a is not None else a for i, a in enumerate(args))
        return as_np(getattr(_nd, nd_name)(*args, **kwargs))

    op.__name__ = name
    op.__doc__ = f"``npx.{name}``: MXNet's ``{nd_name}`` operator (same arguments) on ``mx.np`` arrays."
    return op


convolution = _np_op("Convolution", "convolution", 3)
deconvolution = _np_op("Deconvolution", "deconvolution", 3)
pooling = _np_op("Pooling", "pooling")
fully_connected = _np_op("FullyConnected", "fully_connected", 3)
batch_norm = _np_op("BatchNorm", "batch_norm", 5)
layer_norm = _np_op("LayerNorm", "layer_norm", 3)
embedding = _np_op("Embedding", "embedding", 2)
dropout = _np_op("Dropout", "dropout")
sequence_mask = _np_op("SequenceMask", "sequence_mask", 2)
leaky_relu = _np_op("LeakyReLU", "leaky_relu")
pick = _np_op("pick", "pick", 2)
one_hot = _np_op("one_hot", "one_hot")
batch_dot = _np_op("batch_dot", "batch_dot", 2)
batch_flatten = _np_op("flatten", "batch_flatten")


def topk(data: Any, axis: Optional[int] = -1, k: int = 1, ret_typ: str = "indices", is_ascend: bool = False,
         dtype: Any = "float32") -> Any:
    """The ``k`` largest (``is_ascend``: smallest) entries along ``axis``; indices as ``dtype`` (float32 by
    default, as MXNet). 'both' gives [values, indices]."""
    return as_np(_nd.topk(_arr(data, "topk"), axis=axis, k=k, ret_typ=ret_typ, is_ascend=is_ascend, dtype=dtype))


def relu(data: Any) -> ndarray:
    """``max(x, 0)``. Shape unchanged."""
    return _wrap(ops.relu(_tensor(data, "relu")))


def sigmoid(data: Any) -> ndarray:
    """``1 / (1 + exp(-x))``. Shape unchanged."""
    return _wrap(ops.sigmoid(_tensor(data, "sigmoid")))


_ACTS = {"relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh, "softrelu": ops.softplus,
         "softsign": lambda t: ops.divide(t, ops.add(ops.abs(t), 1))}


def activation(data: Any, act_type: str = "relu") -> ndarray:
    """``act_type`` one of relu, sigmoid, tanh, softrelu, softsign. Shape unchanged."""
    fn = _ACTS.get(act_type)
    if fn is None:
        raise MXNetError(f"npx.activation: act_type '{act_type}' is not supported; expected one of {', '.join(_ACTS)}")
    return _wrap(fn(_tensor(data, "activation")))


def _softmax_input(op: str, data: Any, axis: int, length: Any, temperature: Optional[float], use_length: bool):
    t = _tensor(data, op)
    if temperature is not None and temperature != 1.0:
        t = ops.divide(t, t.dtype.type(temperature))
    mask = None
    if use_length:
        if length is None:
            raise MXNetError(f"npx.{op}: use_length=True needs length")
        ln = _tensor(length, op)
        ax = axis % t.ndim
        n = t.shape[ax]
        steps = ops.reshape(ops.astype(_tensor(list(range(n))), ln.dtype), (n,) + (1,) * (t.ndim - 1 - ax))
        # length has data's shape without ``axis``: put that axis back as size 1
        mask = ops.less(steps, ops.expand_dims(ln, ax))
        t = ops.where(mask, t, t.dtype.type(-1e30 if t.dtype.itemsize >= 4 else -6e4))
    return t, mask


def softmax(data: Any, axis: int = -1, length: Any = None, temperature: Optional[float] = None,
            use_length: bool = False, dtype: Any = None) -> ndarray:
    """Softmax along ``axis`` (optionally over the first ``length`` entries only, the rest 0)."""
    t, mask = _softmax_input("softmax", data, axis, length, temperature, use_length)
    out = ops.softmax(t, axis=axis)
    if mask is not None:
        out = ops.where(mask, out, out.dtype.type(0))
    return _wrap(out if dtype is None else ops.astype(out, dtype))


def log_softmax(data: Any, axis: int = -1, length: Any = None, temperature: Optional[float] = None,
                use_length: bool = False, dtype: Any = None) -> ndarray:
    """Log-softmax along ``axis``."""
    t, _ = _softmax_input("log_softmax", data, axis, length, temperature, use_length)
    out = ops.log_softmax(t, axis=axis)
    return _wrap(out if dtype is None else ops.astype(out, dtype))


def reshape(a: Any, newshape: Sequence[int], reverse: bool = False, order: str = "C") -> ndarray:
    """Reshape with npx's special values: -1 infers a dim, -2 copies the input dim, -3 drops an input dim of
    size 1, -4 copies all remaining input dims, -5 merges two input dims, -6 splits one input dim into
    the two values that follow (one may be -1). ``reverse=True`` reads shape and values right to left."""
    t = _tensor(a, "reshape")
    shape = (newshape,) if isinstance(newshape, int) else tuple(newshape)
    return _wrap(_own(ops.reshape(t, npx_reshape_shape(t.shape, shape, reverse)), t))


def npx_reshape_shape(src: Sequence[int], spec: Sequence[int], reverse: bool = False) -> Tuple[int, ...]:
    """The target shape of ``npx.reshape(a, spec, reverse)`` for an input of shape ``src``."""
    src0, spec0 = tuple(src), tuple(int(s) for s in spec)
    src, spec = src0, spec0
    if reverse:  # as MXNet: both read right to left, so -6 takes the two values written before it
        src, spec = src[::-1], spec[::-1]
    out: List[int] = []
    infer_at = -1
    i = j = 0  # i over spec, j over src

    def fail(why: str) -> None:
        raise MXNetError(f"npx.reshape: cannot reshape array of shape {src0} into shape {spec0}"
                         f"{', reverse = 1' if reverse else ''}: {why}")

    while i < len(spec):
        s = spec[i]
        if s > 0 or s == 0:
            out.append(s)
            j += 1
        elif s == -1:
            if infer_at >= 0:
                fail("more than one -1")
            infer_at = len(out)
            out.append(-1)
            j += 1
        elif s == -2:
            if j >= len(src):
                fail("-2 has no input dim left to copy")
            out.append(src[j])
            j += 1
        elif s == -3:
            if j >= len(src) or src[j] != 1:
                fail("-3 index should only be used to skip dimension size 1")
            j += 1
        elif s == -4:
            out.extend(src[j:])
            j = len(src)
        elif s == -5:
            if j + 1 >= len(src):
                fail("-5 needs two input dims")
            out.append(src[j] * src[j + 1])
            j += 2
        elif s == -6:
            if i + 2 >= len(spec) or j >= len(src):
                fail("-6 needs an input dim and two values after it")
            d, p, q = src[j], spec[i + 1], spec[i + 2]
            if p == -1 and q == -1:
                fail("-6 split with two -1")
            p = d // q if p == -1 else p
            q = d // p if q == -1 else q
            if p * q != d:
                fail(f"-6 cannot split {d} into {p} x {q}")
            out += [p, q]
            i += 2
            j += 1
        else:
            fail(f"unknown special value {s}")
        i += 1
    size = 1
    for d in src:
        size *= d
    if infer_at >= 0:
        known = 1
        for k, d in enumerate(out):
            if k != infer_at:
                known *= d
        if known == 0 or size % known:
            fail("cannot infer the -1 dim")
        out[infer_at] = size // known
    total = 1
    for d in out:
        total *= d
    if total != size:
        fail(f"the target shape {tuple(out[::-1] if reverse else out)} has a different size")
    return tuple(out[::-1]) if reverse else tuple(out)


__all__ = ["convolution", "deconvolution", "pooling", "fully_connected", "batch_norm", "layer_norm", "embedding",
           "dropout", "sequence_mask", "leaky_relu", "pick", "one_hot", "batch_dot", "batch_flatten", "topk",
           "relu", "sigmoid", "activation", "softmax", "log_softmax", "reshape", "npx_reshape_shape"]
