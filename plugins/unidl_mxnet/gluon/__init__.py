"""``mx.gluon``: blocks, parameters, layers, losses and the Trainer."""
from . import loss, nn, rnn
from .block import Block, HybridBlock
from .parameter import Constant, DeferredInitializationError, Parameter, ParameterDict
from .trainer import Trainer

__all__ = ["Block", "HybridBlock", "Parameter", "ParameterDict", "Constant", "Trainer", "nn", "loss", "rnn",
           "DeferredInitializationError"]

#: submodules and names loaded on first attribute access: attribute -> (module, attribute or None)
_LAZY = {"data": ("data", None), "utils": ("utils", None), "model_zoo": ("model_zoo", None),
         "contrib": ("contrib", None), "SymbolBlock": ("symbol_block", "SymbolBlock")}


def __getattr__(name):
    entry = _LAZY.get(name)
    if entry is None:
        raise AttributeError(f"module 'mxnet.gluon' (unidl_mxnet.gluon) has no attribute {name!r}")
    import importlib

    modname, attr = entry
    try:
        mod = importlib.import_module(f"{__name__}.{modname}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{modname}":
            raise
        raise AttributeError(f"mxnet.gluon.{name} is not yet supported by unidl_mxnet") from None
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value
