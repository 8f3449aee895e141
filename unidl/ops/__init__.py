"""The op set: every function here takes and returns :class:`unidl.Tensor` and is differentiable
where the math allows. One module per family; each op's forward runs a kernel registered by a
plugin and its backward is written with other ops.
"""
from __future__ import annotations

from ..creation import empty_like, full_like, ones_like, zeros_like
from ..tensor import Tensor as _Tensor
from . import activation as _activation
from . import arrange as _arrange
from . import conv as _conv
from . import elementwise as _elementwise
from . import elementwise_extra as _elementwise_extra
from . import index as _index
from . import linalg as _linalg
from . import nn as _nn
from . import norm as _norm
from . import optim as _optim
from . import pool as _pool
from . import quant as _quant
from . import random as _random
from . import reduce as _reduce
from . import rnn as _rnn
from . import shape as _shape
from . import transfer as _transfer

_FAMILIES = (_activation, _arrange, _conv, _elementwise, _elementwise_extra, _index, _linalg, _nn, _norm, _optim, _pool, _quant, _random, _reduce, _rnn, _shape, _transfer)
from . import special as _special  # noqa: E402
from . import spectral as _spectral  # noqa: E402
_FAMILIES += (_special, _spectral)
__all__ = ["zeros_like", "ones_like", "full_like", "empty_like"]
for _fam in _FAMILIES:
    for _name in _fam.__all__:
        globals()[_name] = getattr(_fam, _name)
    __all__ += _fam.__all__
del _fam, _name


def _swap(fn):
    def r(a, b):
        return fn(b, a)

    r.__name__ = f"r{fn.__name__}"
    return r


def _install_tensor_methods() -> None:
    """Bind operators and method forms of ops onto Tensor (directly, so they cost no extra call)."""
    g = globals()
    T = _Tensor
    binops = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
              "floordiv": "floor_divide", "mod": "mod", "pow": "power", "matmul": "matmul"}
    for dunder, name in binops.items():
        fn = g.get(name)
        if fn is None:
            continue
        setattr(T, f"__{dunder}__", fn)
        setattr(T, f"__r{dunder}__", _swap(fn))
    for dunder, name in {"neg": "negative", "abs": "abs", "pos": None, "invert": "logical_not"}.items():
        if name is None:
            setattr(T, f"__{dunder}__", lambda self: self)
        elif name in g:
            setattr(T, f"__{dunder}__", g[name])
    for dunder, name in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                         "gt": "greater", "ge": "greater_equal", "and": "logical_and",
                         "or": "logical_or", "xor": "logical_xor"}.items():
        if name in g:
            setattr(T, f"__{dunder}__", g[name])
    if "getitem" in g:
        T.__getitem__ = g["getitem"]
    if "setitem" in g:
        T.__setitem__ = g["setitem"]
    methods = ["sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "logsumexp",
               "cumsum", "reshape", "transpose", "broadcast_to", "expand_dims", "squeeze", "flip", "tile",
               "repeat", "exp", "log", "sqrt", "abs", "clip", "astype", "matmul", "dot", "softmax",
               "log_softmax", "sigmoid", "tanh", "relu", "take", "flatten", "swapaxes", "square",
               "sin", "cos", "maximum", "minimum", "sign", "floor", "ceil", "round", "pow"]
    for name in methods:
        if name in g:
            setattr(T, name, _numpy_protocol(g[name]) if name in _REDUCTIONS else g[name])
    if "transpose" in g:
        T.T = property(lambda self: g["transpose"](self))


_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std")


def _numpy_protocol(fn):
    """A reduction method NumPy's functions can call (``np.min(t)`` calls ``t.min(axis=None, out=None)``,
    ``np.sum(t)`` also passes ``dtype``): ``out`` must be None, ``dtype`` casts the result."""
    def method(self, axis=None, *args, out=None, dtype=None, **kwargs):
        if out is not None:
            raise TypeError(f"Tensor.{fn.__name__}: out= is not supported (unidl Tensors are immutable values)")
        res = fn(self, axis, *args, **kwargs)
        return res if dtype is None else astype(res, dtype)

    method.__name__, method.__doc__ = fn.__name__, fn.__doc__
    return method


_install_tensor_methods()

# composites of non-primitive ops (unidl.primitives), attached to their ops: what a device without the
# fused kernel runs
from . import composite_basic as _composite_basic, composite_extra as _composite_extra  # noqa: E402,F401
from . import composite_nn as _composite_nn, composite_optim as _composite_optim  # noqa: E402,F401
from . import composite_special as _composite_special  # noqa: E402,F401
from . import composite_math as _composite_math, composite_int as _composite_int  # noqa: E402,F401
from . import composite_linalg as _composite_linalg  # noqa: E402,F401
