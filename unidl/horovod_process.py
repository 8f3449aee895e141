"""Horovod's process-level API (``init``, ``rank``, ``size``, ``local_rank``, ...) over
:mod:`unidl.distributed`, written once for the faces' ``horovod.mxnet`` and ``horovod.keras``.

Each face makes one :class:`HorovodProcess` with its module name and the error type its framework raises,
and exports the bound methods as module functions (``init = _process.init``).
"""
from __future__ import annotations

from typing import Any, Type


class HorovodProcess:
    """The process functions of one ``horovod.<framework>`` module.

    Args:
        module: the module name used in messages (``"horovod.mxnet"``).
        error: the error raised for a communicator other than the world one and, when ``wrap_unavailable``,
            for a missing MPI (otherwise :class:`unidl.distributed.DistributedUnavailableError` propagates).
    """

    def __init__(self, module: str, error: Type[Exception], wrap_unavailable: bool = False) -> None:
        self.module, self.error, self.wrap_unavailable = module, error, wrap_unavailable

    def dist(self) -> Any:
        """:mod:`unidl.distributed`, joined to the MPI job."""
        import unidl.distributed as dist

        try:
            dist.init()
        except dist.DistributedUnavailableError as e:
            if not self.wrap_unavailable:
                raise
            raise self.error(f"{self.module}: {e}") from None
        return dist

    def init(self, comm: Any = None, process_sets: Any = None) -> None:
        """Join the MPI job (``comm`` must be None or the world communicator)."""
        dist = self.dist()
        if comm is not None and not (isinstance(comm, list) and sorted(comm) in ([], list(range(dist.size())))):
            if not (hasattr(comm, "Get_size") and comm.Get_size() == dist.size()):
                raise self.error(f"{self.module}.init: only the world communicator (every rank) is supported by "
                                 "unidl")

    def shutdown(self) -> None:
        """Nothing to release (MPI finalizes at exit)."""

    def is_initialized(self) -> bool:
        import unidl.distributed as dist

        return dist.is_initialized()

    def rank(self) -> int:
        return self.dist().rank()

    def size(self) -> int:
        return self.dist().size()

    def local_rank(self) -> int:
        return self.dist().local_rank()

    def local_size(self) -> int:
        return self.dist().local_size()

    def cross_rank(self) -> int:
        return self.rank() // max(self.local_size(), 1)

    def cross_size(self) -> int:
        return self.size() // max(self.local_size(), 1)

