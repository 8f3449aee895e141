"""unidl_mxnet: MXNet 1.x's API on the unidl core (``import unidl_mxnet as mx``).

So far: ``mx.nd`` (NDArray and its operator set), ``mx.autograd``, contexts (``mx.cpu``, ``mx.gpu``,
``mx.context``), ``mx.random``, ``mx.init``, ``mx.optimizer`` (sgd, adam) and the core of ``mx.gluon``
(Parameter, Block/HybridBlock, nn.Dense/Activation/Dropout/Flatten/Sequential, losses, Trainer).
More layers, ``.params`` files and ``mx.np`` come next (issue 4). Registered as a frontend plugin standing in for the ``mxnet`` module, for ``unidl run``.
"""
from __future__ import annotations

import unidl

from . import autograd, context, gluon, ndarray, optimizer, random
from . import initializer
from . import initializer as init
from . import ndarray as nd
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus

#: submodules loaded on first attribute access (``mx.metric``, ``mx.np``, ...): attribute -> module
_LAZY_SUBMODULES = {
    "metric": "metric", "lr_scheduler": "lr_scheduler", "np": "numpy", "numpy": "numpy",
    "npx": "numpy_extension", "numpy_extension": "numpy_extension", "test_utils": "test_utils",
    "sym": "symbol", "symbol": "symbol", "kv": "kvstore", "kvstore": "kvstore", "util": "util",
}


def __getattr__(name):
    modname = _LAZY_SUBMODULES.get(name)
    if modname is None:
        raise AttributeError(f"module 'mxnet' (unidl_mxnet) has no attribute {name!r}")
    import importlib

    try:
        mod = importlib.import_module(f"{__name__}.{modname}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{modname}":
            raise
        raise AttributeError(f"mxnet.{name} is not yet supported by unidl_mxnet") from None
    globals()[name] = mod
    return mod


__version__ = "1.9.1"  # the MXNet version whose behaviour this frontend follows

__all__ = ["nd", "ndarray", "autograd", "random", "context", "gluon", "init", "initializer", "optimizer", "Context", "cpu", "cpu_pinned", "gpu",
           "num_gpus", "current_context", "MXNetError"]


def _inventory():
    """Public names this frontend implements, as ``mxnet.<path>`` strings (for ``unidl port``)."""
    names = [f"mxnet.{n}" for n in __all__]
    names += [f"mxnet.nd.{n}" for n in dir(nd) if not n.startswith("_")]
    names += [f"mxnet.autograd.{n}" for n in dir(autograd) if not n.startswith("_")]
    names += [f"mxnet.random.{n}" for n in random.__all__]
    names += [f"mxnet.gluon.{n}" for n in gluon.__all__]
    names += [f"mxnet.gluon.nn.{n}" for n in gluon.nn.__all__]
    names += [f"mxnet.gluon.loss.{n}" for n in gluon.loss.__all__]
    names += [f"mxnet.gluon.rnn.{n}" for n in gluon.rnn.__all__]
    names += [f"mxnet.init.{n}" for n in initializer.__all__]
    names += [f"mxnet.optimizer.{n}" for n in optimizer.__all__]
    return names


@unidl.hookimpl
def unidl_register_frontends(registry):
    registry.add("mxnet", package="unidl_mxnet", provides=("mxnet",), framework_version=__version__,
                 inventory=_inventory)
