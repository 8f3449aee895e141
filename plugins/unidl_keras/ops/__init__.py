"""``keras.ops``: the NumPy-like op set, the ``nn`` ops and the core helpers, on :mod:`unidl.ops`.

``keras.ops.relu``, ``keras.ops.nn.relu`` and ``keras.ops.numpy.add`` are the same functions. Each
op runs eagerly on tensors and records a functional-graph node when given a KerasTensor
(:mod:`.node`). ``_getitem`` and the arithmetic names serve KerasTensor's Python operators.
"""
from __future__ import annotations

from . import core, image, math, nn, numpy
from ._dtypes import result_type
from .core import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .node import symbolic as _symbolic
from .numpy import *  # noqa: F401,F403
from .numpy import get_item


@_symbolic
def _getitem(x, key):
    """``x[key]`` (KerasTensor.__getitem__ and Tensor indexing)."""
    return numpy.get_item.eager(x, key)


def __getattr__(name: str):
    if name == "random":  # keras.ops.random is the backend's random module (keras.random here)
        import importlib

        return importlib.import_module("unidl_keras.random")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(set(core.__all__) | set(math.__all__) | set(nn.__all__) | set(numpy.__all__)
                 | {"result_type", "core", "image", "math", "nn", "numpy"})
