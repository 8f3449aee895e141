"""``mx.sym`` / ``mx.symbol``: MXNet 1.x's symbolic graphs — enough to export a HybridBlock
(``HybridBlock.export``), read and write ``-symbol.json`` files and run them in ``gluon.SymbolBlock``."""
from __future__ import annotations

from . import op as _op
from .op import *  # noqa: F401,F403
from .symbol import Group, NameManager, Prefix, Symbol, Variable, load, load_json, var


def _bind_methods() -> None:
    def method(fname):
        f = getattr(_op, fname)

        def m(self, *args, **kwargs):
            return f(self, *args, **kwargs)

        m.__name__ = fname
        return m

    for fname in ("transpose", "swapaxes", "expand_dims", "flatten", "clip", "softmax", "log_softmax", "relu",
                  "sigmoid", "tanh", "exp", "log", "sqrt", "square", "abs", "sum", "mean", "max", "min", "prod"):
        setattr(Symbol, fname, method(fname))

    def reshape(self, *shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if shape:
            kwargs["shape"] = tuple(shape)
        return _op.reshape(self, **kwargs)

    Symbol.reshape = reshape


_bind_methods()

__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "NameManager", "Prefix"] + list(_op.__all__)
