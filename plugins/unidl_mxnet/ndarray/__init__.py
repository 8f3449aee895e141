"""``mx.nd``: the NDArray and its operator set."""
from __future__ import annotations

from . import ops as _ops
from . import math_ops as _math_ops
from . import nn_ops as _nn_ops
from . import sort_ops as _sort_ops
from . import extra_ops as _extra_ops
from . import legacy_ops as _legacy_ops
from . import update_ops as _update_ops
from .ndarray import NDArray, infer_reshape, wrap
from .ops import *  # noqa: F401,F403
from .math_ops import *  # noqa: F401,F403
from .nn_ops import *  # noqa: F401,F403
from .sort_ops import *  # noqa: F401,F403
from .extra_ops import *  # noqa: F401,F403
from .legacy_ops import *  # noqa: F401,F403
from .update_ops import *  # noqa: F401,F403
from .ops import (add, divide, equal, greater, greater_equal, lesser, lesser_equal, modulo, multiply,
                  negative, not_equal, power, subtract)
from .. import random  # noqa: F401  (mx.nd.random)
from . import image  # noqa: F401  (mx.nd.image)
from . import contrib, sparse, _internal  # noqa: F401  (mx.nd.contrib, mx.nd.sparse, mx.nd._internal)
from .sparse import BaseSparseNDArray, CSRNDArray, RowSparseNDArray  # noqa: F401
from .utils import load_frombuffer, save
from .utils import load_strict as load
from ..base import MXNetError

__all__ = ["NDArray", "MXNetError", "random", "image", "contrib", "sparse", "wrap", "infer_reshape", "save", "load",
           "load_frombuffer", "CSRNDArray", "RowSparseNDArray", "BaseSparseNDArray"] + [
    n for n in dir(_ops) if not n.startswith("_") and callable(getattr(_ops, n)) and n not in (
        "Any", "List", "Optional", "Sequence", "Union", "Number", "Context", "current_context", "from_any")]
__all__ += (_sort_ops.__all__ + _math_ops.__all__ + _nn_ops.__all__ + _extra_ops.__all__ + _legacy_ops.__all__
            + _update_ops.__all__)


def _with_out(fn):
    """``fn`` also taking MXNet's ``out=`` (the result is written there and ``out`` returned) and ``name=``
    (ignored), which every ``mx.nd`` operator accepts."""
    import functools

    @functools.wraps(fn)
    def op(*args, out=None, name=None, **kwargs):
        res = fn(*args, **kwargs)
        return res if out is None else _ops._to_out(res, out)

    return op


def _add_out_args() -> None:
    import inspect

    g = globals()
    done: dict = {}  # one wrapper per function, so aliases stay the same object (CTCLoss is ctc_loss)
    for n in __all__:
        fn = g.get(n)
        if not inspect.isfunction(fn) or n in ("wrap", "infer_reshape", "save", "load", "load_frombuffer",
                                                  "from_numpy", "from_dlpack", "to_dlpack_for_read",
                                                  "to_dlpack_for_write", "waitall", "reset_arrays"):
            continue
        if id(fn) in done:
            g[n] = done[id(fn)]
        elif "out" not in inspect.signature(fn).parameters:
            g[n] = done[id(fn)] = _with_out(fn)


_add_out_args()


def _swap(fn):
    def r(self, other):
        return fn(other, self)

    return r


def _inplace(fn):
    def i(self, other):
        from unidl import ops

        res = fn(self, other)
        ops.setitem(self._t, Ellipsis, res._t)
        return self

    return i


def _bind_operators() -> None:
    for dunder, fn in {"add": add, "sub": subtract, "mul": multiply, "truediv": divide, "mod": modulo,
                       "pow": power}.items():
        setattr(NDArray, f"__{dunder}__", fn)
        setattr(NDArray, f"__r{dunder}__", _swap(fn))
        setattr(NDArray, f"__i{dunder}__", _inplace(fn))
    for dunder, fn in {"eq": equal, "ne": not_equal, "gt": greater, "ge": greater_equal, "lt": lesser,
                       "le": lesser_equal}.items():
        setattr(NDArray, f"__{dunder}__", fn)
    NDArray.__neg__ = negative
    NDArray.__abs__ = _ops.abs
    NDArray.__hash__ = object.__hash__
    for name in ("sum", "mean", "max", "min", "prod", "norm", "argmax", "argmin", "exp", "log", "sqrt",
                 "square", "abs", "sign", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "clip",
                 "transpose", "swapaxes", "broadcast_to",
                 "broadcast_like", "tile", "repeat", "flip", "split", "slice", "slice_axis", "take", "pick",
                 "one_hot", "zeros_like", "ones_like"):
        setattr(NDArray, name, getattr(_ops, name))
    for name in _sort_ops.__all__:
        setattr(NDArray, name, getattr(_sort_ops, name))
    for name in ("arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "degrees",
                 "radians", "log2", "log10", "cbrt", "rcbrt", "rsqrt", "round", "rint", "fix", "softsign",
                 "cumsum", "diag", "reshape_like", "nansum", "nanprod"):
        setattr(NDArray, name, getattr(_math_ops, name))
    for name in ("sin", "cos", "tan", "floor", "ceil", "trunc", "reciprocal", "log1p", "expm1", "erf",
                 "broadcast_axis", "slice_like"):
        setattr(NDArray, name, getattr(_ops, name))
    # the rest of MXNet's fluent methods (x.softmin(), x.split_v2(...), ...): the mx.nd operator of that name
    for name in ("shape_array", "size_array", "softmin", "split_v2", "broadcast_axes", "pad", "nansum", "nanprod",
                 "argmax_channel", "moveaxis", "diag", "topk", "sort", "argsort", "cast", "smooth_l1",
                 "log_sigmoid", "mish", "hard_sigmoid"):
        fn = globals().get(name)
        if fn is not None and not hasattr(NDArray, name):
            setattr(NDArray, name, fn)


_bind_operators()

from .cached_op import CachedOp  # noqa: E402  (runs a Symbol graph; imports gluon lazily)
