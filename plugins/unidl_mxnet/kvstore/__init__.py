"""``mx.kv`` / ``mx.kvstore``: MXNet's key-value store for one process (``create('local' | 'device')``).

unidl runs one process on one device, so ``local`` and ``device`` stores are the same in-memory store
(rank 0 of 1 worker). Distributed stores (``dist_*``, ``horovod``, ``byteps``) raise a clear error.
"""
from .kvstore import KVStore, KVStoreBase, TestStore, create

__all__ = ["create", "KVStore", "KVStoreBase", "TestStore"]
