"""``mx.npx``: MXNet 1.9's NumPy extensions — the NumPy-mode switch (``set_np``), neural-network operators
for ``mx.np`` arrays, contexts, and ``save``/``load`` of ``.params``-format files.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Union

from .. import ndarray as _nd
from .. import numpy as _np
from ..base import MXNetError
from ..context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus  # noqa: F401
from ..ndarray import utils as _nd_utils
from ..numpy.multiarray import as_np
from ..util import (is_np_array, is_np_shape, np_array, np_shape, reset_np, set_np, set_np_shape,  # noqa: F401
                    use_np, use_np_array, use_np_shape)
from ._op import *  # noqa: F401,F403
from ._op import __all__ as _op_all

# ``F.np`` / ``F.npx`` inside ``hybrid_forward(self, F, ...)`` (F is ``mx.nd``), as in MXNet 1.9
_nd.np = _np
_nd.npx = sys.modules[__name__]


def waitall() -> None:
    """Wait for all pending work (a no-op on the cpu; see ``mx.nd.waitall``)."""
    _nd.waitall()


def save(file: str, arr: Union[Any, List[Any], Dict[str, Any]]) -> None:
    """Write an ``mx.np.ndarray``, a list or a str -> array dict in MXNet's ``.params`` format (atomically).

    Note: 0-d arrays are written with shape (1,) (the V2 record format has no 0-d arrays).
    """
    _nd_utils.save(file, arr)


def load(file: str) -> Union[List[Any], Dict[str, Any]]:
    """Read a file written by ``npx.save`` / ``nd.save`` (here or by MXNet): ``mx.np`` arrays in a list, or a
    dict when the file has names."""
    return as_np(_nd_utils.load(file))


__all__ = list(_op_all) + ["set_np", "reset_np", "is_np_array", "is_np_shape", "use_np", "use_np_array",
                           "use_np_shape", "np_array", "np_shape", "set_np_shape", "cpu", "gpu", "cpu_pinned",
                           "num_gpus", "current_context", "waitall", "save", "load", "MXNetError", "Context"]
