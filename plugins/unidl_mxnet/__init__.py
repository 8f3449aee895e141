"""unidl_mxnet: MXNet 1.x's API on the unidl core (``import unidl_mxnet as mx``).

So far: ``mx.nd`` (NDArray and its operator set), ``mx.autograd``, contexts (``mx.cpu``, ``mx.gpu``,
``mx.context``) and ``mx.random``. Gluon, initializers, optimizers and ``.params`` files come next
(issue 4). Registered as a frontend plugin standing in for the ``mxnet`` module, for ``unidl run``.
"""
from __future__ import annotations

import unidl

from . import autograd, context, ndarray, random
from . import ndarray as nd
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus

__version__ = "1.9.1"  # the MXNet version whose behaviour this frontend follows

__all__ = ["nd", "ndarray", "autograd", "random", "context", "Context", "cpu", "cpu_pinned", "gpu",
           "num_gpus", "current_context", "MXNetError"]


def _inventory():
    """Public names this frontend implements, as ``mxnet.<path>`` strings (for ``unidl port``)."""
    names = [f"mxnet.{n}" for n in __all__]
    names += [f"mxnet.nd.{n}" for n in dir(nd) if not n.startswith("_")]
    names += [f"mxnet.autograd.{n}" for n in dir(autograd) if not n.startswith("_")]
    names += [f"mxnet.random.{n}" for n in random.__all__]
    return names


@unidl.hookimpl
def unidl_register_frontends(registry):
    registry.add("mxnet", package="unidl_mxnet", provides=("mxnet",), framework_version=__version__,
                 inventory=_inventory)
