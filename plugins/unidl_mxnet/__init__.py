"""unidl_mxnet: MXNet 1.x's API on the unidl core (``import unidl_mxnet as mx``).

``mx.nd`` (NDArray and its operator set), ``mx.autograd``, contexts (``mx.cpu``, ``mx.gpu``,
``mx.context``), ``mx.random``, ``mx.init``, ``mx.optimizer``, ``mx.lr_scheduler``, ``mx.metric``, and
``mx.gluon`` (Parameter, Block/HybridBlock, nn, rnn, loss, data, utils, Trainer). ``.params`` files are
read and written in MXNet 1.x's binary format. Submodules beyond the core (``metric``, ``np``, ...) load on
first access. Registered as a frontend plugin standing in for the ``mxnet`` module, for ``unidl run``.
"""
from __future__ import annotations

import sys

import unidl

from . import autograd, context, gluon, ndarray, optimizer, random
from . import initializer
from . import initializer as init
from . import ndarray as nd
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus
from .util import is_np_array, is_np_shape, np_array, np_shape, set_np_shape, use_np, use_np_array, use_np_shape

#: submodules loaded on first attribute access (``mx.metric``, ``mx.np``, ...): attribute -> module
_LAZY_SUBMODULES = {
    "metric": "metric", "lr_scheduler": "lr_scheduler", "np": "numpy", "numpy": "numpy",
    "npx": "numpy_extension", "numpy_extension": "numpy_extension", "test_utils": "test_utils",
    "sym": "symbol", "symbol": "symbol", "kv": "kvstore", "kvstore": "kvstore", "util": "util",
    "io": "io", "image": "image", "img": "image", "recordio": "recordio", "runtime": "runtime",
    "name": "name", "profiler": "profiler",
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
           "num_gpus", "current_context", "MXNetError", "is_np_array", "is_np_shape", "np_array", "np_shape",
           "set_np_shape", "use_np", "use_np_array", "use_np_shape"]


#: module paths (relative to ``mxnet``) whose public names ``unidl port`` lists as implemented
_INVENTORY_MODULES = ("nd", "autograd", "random", "context", "init", "optimizer", "lr_scheduler", "metric",
                      "gluon", "gluon.nn", "gluon.rnn", "gluon.loss", "gluon.data", "gluon.data.vision",
                      "gluon.data.vision.transforms", "gluon.utils", "gluon.contrib.nn",
                      "gluon.model_zoo.vision", "np", "np.random", "npx", "sym", "io", "kv", "test_utils",
                      "image", "nd.image", "recordio", "profiler")


def _public_names(mod) -> list:
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in dir(mod) if not n.startswith("_")]
    return list(names)


def _inventory():
    """Public names this frontend implements, as ``mxnet.<path>`` strings (for ``unidl port``).

    A module not implemented yet is left out (its names are then reported as unsupported).
    """
    import importlib.util

    names = [f"mxnet.{n}" for n in __all__]
    # a lazy submodule counts only when its module exists (``mx.kv`` without kvstore.py is unsupported)
    names += [f"mxnet.{n}" for n, m in _LAZY_SUBMODULES.items() if importlib.util.find_spec(f"{__name__}.{m}")]
    for path in _INVENTORY_MODULES:
        mod = sys.modules[__name__]
        try:
            for part in path.split("."):
                mod = getattr(mod, part)
        except AttributeError:
            continue
        names.append(f"mxnet.{path}")
        names += [f"mxnet.{path}.{n}" for n in _public_names(mod)]
    return names


@unidl.hookimpl
def unidl_register_frontends(registry):
    registry.add("mxnet", package="unidl_mxnet", provides=("mxnet",), framework_version=__version__,
                 inventory=_inventory, canonical="unidl_mxnet.gluon.canonical")
    # `import horovod.mxnet as hvd` (Horovod's MXNet API over unidl.distributed); `horovod` is a stand-in parent
    registry.add("horovod.mxnet", package="unidl_mxnet.horovod", provides=("horovod.mxnet",),
                 framework_version="0.28.1")
