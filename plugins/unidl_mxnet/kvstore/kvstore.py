"""A single-process key-value store with MXNet 1.9.1's ``KVStore`` semantics.

``init`` stores a copy of a value per key; ``push`` sums the values pushed for a key (a list of arrays,
one per device in MXNet) and either replaces the stored value with the sum or, once an updater is set
(``set_optimizer`` / ``_set_updater``), calls ``updater(key, summed, stored)`` which updates ``stored``
in place; ``pull`` copies the stored value into every ``out`` array.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from ..base import MXNetError
from ..ndarray.ndarray import NDArray

_LOCAL_TYPES = ("local", "device", "local_update_cpu", "local_allreduce_cpu", "local_allreduce_device", "nccl")


class KVStoreBase:
    """Base class of key-value stores (``mx.kv.KVStoreBase``); ``@KVStoreBase.register`` makes a subclass
    creatable by its lower-case class name with ``mx.kv.create``."""

    OPTIMIZER = "optimizer"
    kv_registry: Dict[str, type] = {}

    def is_capable(self, capability: str) -> bool:
        """Whether the store supports ``capability`` (``'optimizer'``: updates on the store)."""
        return capability.lower() == self.OPTIMIZER

    @staticmethod
    def register(klass: type) -> type:
        """Register a KVStoreBase subclass under its lower-case class name (``mx.kv.create(name)``)."""
        if not (isinstance(klass, type) and issubclass(klass, KVStoreBase)):
            raise TypeError(f"can only register subclasses of KVStoreBase, got {klass!r}")
        name = klass.__name__.lower()
        if name in KVStoreBase.kv_registry:
            import warnings

            warnings.warn(f"WARNING: New kvstore {klass.__module__}.{klass.__name__} is overriding existing kvstore "
                          f"{KVStoreBase.kv_registry[name].__module__}.{KVStoreBase.kv_registry[name].__name__}")
        KVStoreBase.kv_registry[name] = klass
        return klass


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


class KVStore(KVStoreBase):
    """The ``local`` / ``device`` store: one process, ``rank`` 0 of ``num_workers`` 1.

    Keys are ints or strs (not both in one store); values are NDArrays of any shape.
    """

    def __init__(self, kv_type: str = "local") -> None:
        self._type = kv_type
        self._store: Dict[Any, NDArray] = {}
        self._key_type: Optional[type] = None
        self._updater: Optional[Callable[[Any, NDArray, NDArray], None]] = None
        self._optimizer: Any = None
        self._compression: Any = None

    # -- facts --------------------------------------------------------------------------------
    @property
    def type(self) -> str:
        return self._type

    @property
    def rank(self) -> int:
        return 0

    @property
    def num_workers(self) -> int:
        return 1

    # -- keys ---------------------------------------------------------------------------------
    def _keys_values(self, op: str, key: Any, value: Any, check_stored: bool = True) -> tuple:
        """Pairs each key with its list of arrays (one key with one array or a list, or lists of both)."""
        if isinstance(key, (list, tuple)):
            keys = list(key)
            values = _as_list(value)
            if len(values) != len(keys):
                raise MXNetError(f"KVStore.{op}: {len(keys)} keys but {len(values)} values")
            values = [_as_list(v) for v in values]
        else:
            keys, values = [key], [_as_list(value)]
        for k, vs in zip(keys, values):
            if not isinstance(k, (int, str)) or isinstance(k, bool):
                raise MXNetError(f"KVStore.{op}: keys must be int or str, got {type(k).__name__} {k!r}")
            kt = int if isinstance(k, int) else str
            if self._key_type is not None and kt is not self._key_type:
                raise MXNetError(f"KVStore.{op}: mixed key types are not allowed (key {k!r} is {kt.__name__}, the "
                                 f"store holds {self._key_type.__name__} keys)")
            for v in vs:
                if not isinstance(v, NDArray):
                    raise MXNetError(f"KVStore.{op}: values must be NDArrays, got {type(v).__name__} for key {k!r}")
            if check_stored and k not in self._store:
                raise MXNetError(f"KVStore.{op}: key {k!r} has not been inited (call kv.init first)")
        return keys, values

    def _remember_key_type(self, keys: Sequence[Any]) -> None:
        if keys and self._key_type is None:
            self._key_type = int if isinstance(keys[0], int) else str

    # -- operations ---------------------------------------------------------------------------
    def init(self, key: Any, value: Any) -> None:
        """Store a copy of ``value`` under ``key`` (each key once)."""
        keys, values = self._keys_values("init", key, value, check_stored=False)
        for k, vs in zip(keys, values):
            if k in self._store:
                raise MXNetError(f"KVStore.init: duplicate init of key {k!r}; call kv.init or kv.broadcast once per "
                                 "key")
            self._store[k] = vs[0].copy()
        self._remember_key_type(keys)

    def _merged(self, k: Any, vs: List[NDArray]) -> NDArray:
        stored = self._store[k]
        total = vs[0].as_in_context(stored.context)
        for v in vs[1:]:
            total = total + v.as_in_context(stored.context)
        if total.shape != stored.shape:
            raise MXNetError(f"KVStore.push: key {k!r} holds shape {stored.shape}, got {total.shape}")
        return total

    def push(self, key: Any, value: Any, priority: int = 0) -> None:
        """Sum the arrays pushed for each key into the store (through the updater when one is set)."""
        keys, values = self._keys_values("push", key, value)
        for k, vs in zip(keys, values):
            merged = self._merged(k, vs)
            if self._updater is not None:
                self._updater(k, merged, self._store[k])
            else:
                self._store[k][:] = merged.astype(self._store[k].dtype)

    def pull(self, key: Any, out: Any = None, priority: int = 0, ignore_sparse: bool = True) -> None:
        """Copy the stored value of each key into its ``out`` array(s)."""
        if out is None:
            raise MXNetError("KVStore.pull: out must be given (the array(s) to write the value into)")
        keys, outs = self._keys_values("pull", key, out)
        for k, os_ in zip(keys, outs):
            stored = self._store[k]
            for o in os_:
                if o.shape != stored.shape:
                    raise MXNetError(f"KVStore.pull: key {k!r} holds shape {stored.shape}, out has shape {o.shape}")
                o[:] = stored.as_in_context(o.context).astype(o.dtype)

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """``push`` then ``pull``; with ``out=None`` the result goes back into ``value``."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """``init`` the key with ``value`` then ``pull`` it into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key: Any, out: Any = None, priority: int = 0, row_ids: Any = None) -> None:
        """Copy only the rows ``row_ids`` of the stored value into ``out`` (its other rows become zero), as a
        row_sparse pull does; row_sparse arrays are dense-backed in unidl."""
        if out is None:
            raise MXNetError("KVStore.row_sparse_pull: out must be given (the array(s) to write the rows into)")
        if row_ids is None:
            raise MXNetError("KVStore.row_sparse_pull: row_ids must be given")
        keys, outs = self._keys_values("row_sparse_pull", key, out)
        rows = _as_list(row_ids)
        if isinstance(key, (list, tuple)) and len(rows) == 1 and len(keys) > 1:
            rows = rows * len(keys)
        for k, os_ in zip(keys, outs):
            stored = self._store[k]
            ids = rows[0] if len(rows) == 1 else None
            for j, o in enumerate(os_):
                rid = ids if ids is not None else rows[j]
                if o.shape != stored.shape:
                    raise MXNetError(f"KVStore.row_sparse_pull: key {k!r} holds shape {stored.shape}, out has shape "
                                     f"{o.shape}")
                _pull_rows(stored, o, rid)

    def set_gradient_compression(self, compression_params: Dict[str, Any]) -> None:
        """Accepted and ignored: compression only changes what travels between devices/machines."""
        self._compression = dict(compression_params)

    def set_optimizer(self, optimizer: Any) -> None:
        """Update stored values with ``optimizer`` on every ``push`` (the pushed sum is the gradient)."""
        from ..optimizer import Optimizer, get_updater

        if not isinstance(optimizer, Optimizer):
            raise MXNetError(f"KVStore.set_optimizer: expected an mx.optimizer.Optimizer, got {type(optimizer).__name__}")
        self._optimizer = optimizer
        self._set_updater(get_updater(optimizer))

    def _set_updater(self, updater: Callable[[Any, NDArray, NDArray], None]) -> None:
        """``updater(key, pushed_sum, stored)`` runs on every push and updates ``stored`` in place."""
        self._updater = updater

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        """Write the updater's states (unidl's trainer-states format) to ``fname`` atomically."""
        if self._updater is None or not hasattr(self._updater, "get_states"):
            raise MXNetError("KVStore.save_optimizer_states: no optimizer is set on this kvstore")
        from unidl.io.atomic import write_bytes_atomic

        write_bytes_atomic(fname, self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname: str) -> None:
        """Read states written by :meth:`save_optimizer_states`."""
        if self._updater is None or not hasattr(self._updater, "set_states"):
            raise MXNetError("KVStore.load_optimizer_states: no optimizer is set on this kvstore")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    def barrier(self) -> None:
        """Nothing to wait for with one worker."""

    def __repr__(self) -> str:
        return f"<KVStore type={self._type} keys={len(self._store)}>"


def _pull_rows(stored: NDArray, out: NDArray, row_ids: Any) -> None:
    from unidl import ops, no_grad

    ids = ops.astype(ops.reshape(row_ids._t.detach(), (-1,)), "int64")
    src = ops.to_device(stored._t.detach(), out._t.device)
    with no_grad():
        keep = ops.zeros_like(src) if hasattr(ops, "zeros_like") else ops.multiply(src, 0)
        ops.setitem(keep, ids, ops.astype(ops.take(src, ids, axis=0), src.dtype))
        ops.setitem(out._t, Ellipsis, ops.astype(keep, out._t.dtype))


@KVStoreBase.register
class TestStore(KVStoreBase):
    """MXNet's ``teststore``: sums pushed values in Python, keeps no values and cannot run an optimizer."""

    __test__ = False  # not a pytest class

    def broadcast(self, key: Any, value: Any, out: Any, priority: int = 0) -> None:
        """Copy ``value`` into every ``out`` array."""
        for o in _as_list(out):
            o[:] = value

    def pushpull(self, key: Any, value: Any, out: Any = None, priority: int = 0) -> None:
        """The sum of ``value`` (a list of arrays) written to ``out`` (or back into ``value``)."""
        if isinstance(value, NDArray):
            if out is not None:
                for o in _as_list(out):
                    o[:] = value
            return
        ctx = value[0].context
        total = value[0].as_in_context(ctx)
        for v in value[1:]:
            total = total + v.as_in_context(ctx)
        for o in (value if out is None else _as_list(out)):
            o[:] = total

    @staticmethod
    def is_capable(capability: str) -> bool:
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return False
        raise ValueError(f"Unknown capability: {capability}")

    @property
    def type(self) -> str:
        return "teststore"

    @property
    def rank(self) -> int:
        return 0

    @property
    def num_workers(self) -> int:
        return 1

    def set_optimizer(self, optimizer: Any) -> None:
        raise NotImplementedError("TestStore does not support optimizers (is_capable('optimizer') is False)")

    def save_optimizer_states(self, fname: str, dump_optimizer: bool = False) -> None:
        raise NotImplementedError("TestStore does not hold optimizer states")

    def load_optimizer_states(self, fname: str) -> None:
        raise NotImplementedError("TestStore does not hold optimizer states")


def create(name: Union[str, KVStoreBase] = "local") -> KVStore:
    """A key-value store: ``'local'``, ``'device'`` (and MXNet's other single-machine types) give the one
    in-process store; ``'dist_sync'``, ``'dist_device_sync'`` and ``'horovod'`` reduce over the MPI ranks
    (:mod:`.dist`); asynchronous stores raise MXNetError."""
    if isinstance(name, KVStoreBase):
        return name
    if not isinstance(name, str):
        raise TypeError(f"mx.kv.create: name must be a string, got {type(name).__name__}")
    if name in _LOCAL_TYPES:
        return KVStore(name)
    if name.lower() in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name.lower()]()
    from .dist import DIST_TYPES, DistKVStore

    if name in DIST_TYPES:
        return DistKVStore(name)  # synchronous data parallelism over MPI ranks (unidl.distributed)
    if name.startswith("dist") or name == "byteps":
        raise MXNetError(f"mx.kv.create({name!r}): not supported by unidl_mxnet; the distributed stores are "
                         f"{', '.join(DIST_TYPES[:2])} and 'horovod' (synchronous, over MPI: `unidl launch -n N`)")
    raise MXNetError(f"mx.kv.create: unknown kvstore type {name!r}; expected one of {', '.join(_LOCAL_TYPES)}")
