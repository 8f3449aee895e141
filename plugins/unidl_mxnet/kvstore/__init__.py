"""``mx.kv`` / ``mx.kvstore``: MXNet's key-value store for one process (``create('local' | 'device')``).

``local`` and ``device`` stores are the same in-memory store of one process (rank 0 of 1 worker).
``dist_sync`` / ``dist_device_sync`` / ``horovod`` reduce over the ranks of an MPI job (``unidl launch -n N``,
``pip install "unidl[dist]"``); ``dist_async`` and ``byteps`` raise a clear error.
"""
from .dist import DistKVStore, Horovod
from .kvstore import KVStore, KVStoreBase, TestStore, create

__all__ = ["create", "KVStore", "KVStoreBase", "TestStore", "DistKVStore", "Horovod"]
