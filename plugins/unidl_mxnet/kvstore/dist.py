"""Distributed key-value stores on :mod:`unidl.distributed` (MPI): ``dist_sync``, ``dist_device_sync`` and
``horovod``.

MXNet 1.9 runs ``dist_*`` stores with parameter servers: workers push gradients, a server sums every
worker's push and (with an optimizer set) updates the weight, and workers pull it. unidl has no servers:
every rank keeps the store's values and the reduction is an allreduce that sums in rank order
(:func:`unidl.distributed.allreduce_many`), after which each rank runs the same updater on the same numbers,
so every rank holds the weights the server would have sent, bit for bit. ``init`` takes rank 0's value, as
the server keeps the first worker's init. A push of several keys (the Trainer pushes all its gradients at
once) is one collective per dtype, not one per key. A Trainer whose gradients were reduced in buckets during
backward (:mod:`unidl.grad_buckets`) hands them over with ``_pushpull_reduced``, which skips the collective.

The ``horovod`` store has no optimizer (``is_capable('optimizer')`` is False, so the Trainer updates on the
workers): ``pushpull`` sums over the ranks, ``broadcast`` copies rank 0's value.
"""
from __future__ import annotations

from typing import Any, List

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from .kvstore import KVStore, KVStoreBase, _as_list

DIST_TYPES = ("dist_sync", "dist_device_sync", "dist_sync_device", "dist")


def _dist(what: str) -> Any:
    """unidl.distributed, initialized; MXNetError naming ``what`` when MPI is missing."""
    import unidl.distributed as dist

    try:
        dist.init()
    except dist.DistributedUnavailableError as e:
        raise MXNetError(f"{what}: distributed training needs MPI: {e}") from None
    return dist


def _reduce_ndarrays(dist: Any, arrays: List[NDArray], what: str) -> None:
    """Sum NDArrays over the ranks in place (rank order), in one bucket per dtype."""
    hosts, back = [], []
    for a in arrays:
        data = a._t.data
        if isinstance(data, np.ndarray) and data.flags.c_contiguous:
            hosts.append(data)
            back.append(None)
        else:
            host = np.ascontiguousarray(data.get() if hasattr(data, "get") else np.asarray(data))
            hosts.append(host)
            back.append(data)
    try:
        dist.allreduce_many(hosts, op="sum", name=what)
    except dist.DistributedError as e:
        raise MXNetError(str(e)) from None
    for host, data in zip(hosts, back):
        if data is not None:
            data[...] = host if isinstance(data, np.ndarray) else type(data)(host)


class DistKVStore(KVStore):
    """``mx.kv.create('dist_sync')``: synchronous data parallelism over the ranks of an MPI job."""

    _unidl_bucketed = True

    def __init__(self, kv_type: str = "dist_sync") -> None:
        super().__init__(kv_type)
        self._dist = _dist(f"mx.kv.create({kv_type!r})")

    @property
    def rank(self) -> int:
        return self._dist.rank()

    @property
    def num_workers(self) -> int:
        return self._dist.size()

    def init(self, key: Any, value: Any) -> None:
        """Store rank 0's value under each key (every rank calls init with its own value)."""
        keys, values = self._keys_values("init", key, value, check_stored=False)
        for k in keys:
            if k in self._store:
                raise MXNetError(f"KVStore.init: duplicate init of key {k!r}; call kv.init or kv.broadcast once per "
                                 "key")
        for k, vs in zip(keys, values):
            v = vs[0].copy()
            try:
                _inplace(v, lambda h: self._dist.broadcast(h, root=0))
            except self._dist.DistributedError as e:
                raise MXNetError(f"KVStore.init: key {k!r}: {e}") from None
            self._store[k] = v
        self._remember_key_type(keys)

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum each key's arrays on this rank, then over the ranks (rank order); update or replace the store."""
        keys, values = self._keys_values("push", key, value)
        merged = []
        for k, vs in zip(keys, values):
            m = self._merged(k, vs)
            merged.append(m.copy() if any(m is v for v in vs) else m)
        _reduce_ndarrays(self._dist, merged, "KVStore.push")
        for k, m in zip(keys, merged):
            if self._updater is not None:
                self._updater(k, m, self._store[k])
            else:
                self._store[k][:] = m.astype(self._store[k].dtype)

    def _pushpull_reduced(self, keys: List[Any], reduced: List[NDArray], outs: List[List[NDArray]]) -> None:
        """``pushpull(keys, grads, out=outs)`` for gradients the Trainer's buckets already summed over the ranks
        during backward (one context per rank): the store's update or replacement and the pull, no collective."""
        for k, m in zip(keys, reduced):
            if self._updater is not None:
                self._updater(k, m, self._store[k])
            else:
                self._store[k][:] = m.astype(self._store[k].dtype)
        self.pull(keys, outs)

    def barrier(self) -> None:
        """Wait for every rank."""
        self._dist.barrier()

    def __repr__(self) -> str:
        return f"<KVStore type={self._type} rank={self.rank} num_workers={self.num_workers} keys={len(self._store)}>"


def _host_of(a: NDArray) -> np.ndarray:
    """``a``'s data as a C-contiguous host array: the array itself when it is one, else a copy (read only)."""
    data = a._t.data
    if isinstance(data, np.ndarray) and data.flags.c_contiguous:
        return data
    return np.ascontiguousarray(data.get() if hasattr(data, "get") else np.asarray(data))


def _inplace(a: NDArray, fn: Any) -> None:
    """Run the in-place collective ``fn`` on ``a``'s data (through a contiguous host copy when the parameter
    keeps a non-C memory order or lives on a GPU, written back afterwards)."""
    data = a._t.data
    host = _host_of(a)
    fn(host)
    if host is not data:
        data[...] = host if isinstance(data, np.ndarray) else type(data)(host)


@KVStoreBase.register
class Horovod(KVStoreBase):
    """``mx.kv.create('horovod')``: allreduce on the MPI ranks, no optimizer on the store."""

    def __init__(self) -> None:
        self._dist = _dist("mx.kv.create('horovod')")

    @property
    def type(self) -> str:
        return "horovod"

    @property
    def rank(self) -> int:
        return self._dist.rank()

    @property
    def local_rank(self) -> int:
        return self._dist.local_rank()

    @property
    def num_workers(self) -> int:
        return self._dist.size()

    @staticmethod
    def is_capable(capability: str) -> bool:
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return False
        raise ValueError(f"Unknown capability: {capability}")

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """Rank 0's ``value`` into every ``out`` array on every rank."""
        v = (value[0] if isinstance(value, (list, tuple)) else value).copy()
        _inplace(v, lambda h: self._dist.broadcast(h, root=0))
        for o in _as_list(out):
            o[:] = v

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """The sum over the ranks (rank order) of ``value`` (summed over a list first) into ``out`` / ``value``."""
        vs = _as_list(value)
        total = vs[0].copy()
        for v in vs[1:]:
            total = total + v.as_in_context(total.context)
        _reduce_ndarrays(self._dist, [total], "KVStore.pushpull")
        for o in (vs if out is None else _as_list(out)):
            o[:] = total

    def _pushpull_reduced(self, keys: List[Any], reduced: List[NDArray], outs: List[List[NDArray]]) -> None:
        """``pushpull`` of each key for gradients the Trainer's buckets already summed over the ranks."""
        for m, os_ in zip(reduced, outs):
            for o in os_:
                o[:] = m

    def set_optimizer(self, optimizer: Any) -> None:
        raise NotImplementedError("the horovod kvstore does not run optimizers (is_capable('optimizer') is False)")

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        raise NotImplementedError("the horovod kvstore does not hold optimizer states")

    def load_optimizer_states(self, fname: str) -> None:
        raise NotImplementedError("the horovod kvstore does not hold optimizer states")

    def barrier(self) -> None:
        self._dist.barrier()


__all__ = ["DistKVStore", "Horovod", "DIST_TYPES"]
