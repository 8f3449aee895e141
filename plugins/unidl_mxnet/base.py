"""MXNet's error type and small helpers shared by the frontend's modules."""
from __future__ import annotations

from unidl.errors import UnidlError


class MXNetError(UnidlError, RuntimeError):
    """The error MXNet raises for bad input (``mxnet.base.MXNetError``)."""
