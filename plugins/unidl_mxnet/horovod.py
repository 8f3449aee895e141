"""``horovod.mxnet`` on unidl: Horovod's MXNet API (0.28) over :mod:`unidl.distributed` (MPI).

``import horovod.mxnet as hvd`` resolves here under ``unidl run`` / ``unidl launch`` (the MXNet plugin
registers the name). ``hvd.init()``, ``rank()``, ``size()``, ``local_rank()``, ``allreduce`` (average by
default, as Horovod), ``allgather`` (concatenated on the first axis), ``broadcast``, ``broadcast_parameters``,
``DistributedTrainer`` and ``DistributedOptimizer``. Sums are taken in rank order, so results are
deterministic (Horovod's are not). Compression and Adasum are not available; ``process_set`` must be the
global one.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Optional

from unidl.horovod_process import HorovodProcess

from .base import MXNetError
from .gluon.parameter import DeferredInitializationError, Parameter
from .gluon.trainer import Trainer
from .kvstore.dist import _host_of, _inplace
from .ndarray.ndarray import NDArray

__version__ = "0.28.1"

Average, Sum, Adasum, Min, Max, Product = "average", "sum", "adasum", "min", "max", "product"


class _ProcessSet:
    """Horovod's global process set: every rank."""

    process_set_id = 0
    ranks = None

    def size(self) -> int:
        return size()

    def rank(self) -> int:
        return rank()

    def included(self) -> bool:
        return True


global_process_set = _ProcessSet()


class Compression:
    """Horovod's gradient compression: only ``none`` (fp16 compression changes the numbers)."""

    class none:  # noqa: N801 - Horovod's name
        @staticmethod
        def compress(tensor: Any) -> Any:
            return tensor, None

        @staticmethod
        def decompress(tensor: Any, ctx: Any) -> Any:
            return tensor


_PROCESS = HorovodProcess("horovod.mxnet", MXNetError, wrap_unavailable=True)
_d = _PROCESS.dist
init, shutdown, is_initialized = _PROCESS.init, _PROCESS.shutdown, _PROCESS.is_initialized
rank, size, local_rank, local_size = _PROCESS.rank, _PROCESS.size, _PROCESS.local_rank, _PROCESS.local_size
cross_rank, cross_size = _PROCESS.cross_rank, _PROCESS.cross_size


def mpi_threads_supported() -> bool:
    return True


def mpi_enabled() -> bool:
    return True


def mpi_built() -> bool:
    return True


def gloo_enabled() -> bool:
    return False


def gloo_built() -> bool:
    return False


def nccl_built() -> bool:
    return False


def _check_process_set(process_set: Any, what: str) -> None:
    if process_set is not None and process_set is not global_process_set:
        raise MXNetError(f"horovod.mxnet.{what}: only the global process set is supported by unidl")


def _op_of(average: Optional[bool], op: Any, what: str) -> str:
    if op is None:
        op = Sum if average is False else Average
    elif average is not None:
        raise ValueError("The op parameter supersedes average. Please provide only one of them.")
    if op not in (Sum, Average):
        raise MXNetError(f"horovod.mxnet.{what}: op {op!r} is not supported by unidl (Sum and Average are)")
    return op


def _check(t: NDArray, what: str) -> NDArray:
    if not isinstance(t, NDArray):
        raise MXNetError(f"horovod.mxnet.{what}: expected an NDArray, got {type(t).__name__}")
    return t


def allreduce_(tensor: NDArray, average: Optional[bool] = None, name: Optional[str] = None, priority: int = 0,
               prescale_factor: float = 1.0, postscale_factor: float = 1.0, process_set: Any = global_process_set,
               op: Any = None) -> NDArray:
    """Reduce ``tensor`` over the ranks in place (average unless ``average=False`` / ``op=Sum``)."""
    _check_process_set(process_set, "allreduce_")
    op = _op_of(average, op, "allreduce_")
    if prescale_factor != 1.0:
        tensor[:] = tensor * prescale_factor
    dist = _d()
    try:
        _inplace(_check(tensor, "allreduce_"), lambda h: dist.allreduce(h, op="mean" if op == Average else "sum"))
    except dist.DistributedError as e:
        raise MXNetError(f"horovod.mxnet.allreduce{' ' + repr(name) if name else ''}: {e}") from None
    if postscale_factor != 1.0:
        tensor[:] = tensor * postscale_factor
    return tensor


def allreduce(tensor: NDArray, average: Optional[bool] = None, name: Optional[str] = None, priority: int = 0,
              prescale_factor: float = 1.0, postscale_factor: float = 1.0, process_set: Any = global_process_set,
              op: Any = None) -> NDArray:
    """A new array: ``tensor`` reduced over the ranks (average unless ``average=False`` / ``op=Sum``)."""
    return allreduce_(tensor.copy(), average, name, priority, prescale_factor, postscale_factor, process_set, op)


def grouped_allreduce_(tensors: Any, average: Optional[bool] = None, name: Optional[str] = None, priority: int = 0,
                       prescale_factor: float = 1.0, postscale_factor: float = 1.0,
                       process_set: Any = global_process_set, op: Any = None) -> Any:
    """Reduce a list of arrays in place, in one collective per dtype."""
    for t in tensors:
        allreduce_(t, average, name, priority, prescale_factor, postscale_factor, process_set, op)
    return tensors


def grouped_allreduce(tensors: Any, **kwargs: Any) -> Any:
    return grouped_allreduce_([t.copy() for t in tensors], **kwargs)


def allgather(tensor: NDArray, name: Optional[str] = None, priority: int = 0,
              process_set: Any = global_process_set) -> NDArray:
    """Every rank's ``tensor`` concatenated along the first axis, in rank order (same shapes on every rank)."""
    from . import nd

    _check_process_set(process_set, "allgather")
    dist = _d()
    try:
        out = dist.allgather(_host_of(_check(tensor, "allgather")))
    except dist.DistributedError as e:
        raise MXNetError(f"horovod.mxnet.allgather: {e}") from None
    out = out.reshape((-1,) + tuple(tensor.shape[1:])) if tensor.ndim else out
    return nd.array(out, ctx=tensor.context, dtype=tensor.dtype)


def broadcast_(tensor: NDArray, root_rank: int = 0, name: Optional[str] = None, priority: int = 0,
               process_set: Any = global_process_set) -> NDArray:
    """Copy rank ``root_rank``'s ``tensor`` into every rank's, in place."""
    _check_process_set(process_set, "broadcast_")
    dist = _d()
    try:
        _inplace(_check(tensor, "broadcast_"), lambda h: dist.broadcast(h, root=root_rank))
    except dist.DistributedError as e:
        raise MXNetError(f"horovod.mxnet.broadcast{' ' + repr(name) if name else ''}: {e}") from None
    return tensor


def broadcast(tensor: NDArray, root_rank: int = 0, name: Optional[str] = None, priority: int = 0,
              process_set: Any = global_process_set) -> NDArray:
    """A new array holding rank ``root_rank``'s ``tensor``."""
    return broadcast_(tensor.copy(), root_rank, name, priority, process_set)


def broadcast_object(obj: Any, root_rank: int = 0, name: Optional[str] = None,
                     process_set: Any = global_process_set) -> Any:
    """Rank ``root_rank``'s picklable ``obj`` on every rank (from ranks of this job only)."""
    return _d().broadcast_object(obj, root=root_rank)


def allgather_object(obj: Any, name: Optional[str] = None, process_set: Any = global_process_set) -> list:
    return _d().allgather_object(obj)


def _broadcast_parameter(p: Parameter, root_rank: int, name: str) -> None:
    datas = p.list_data()
    broadcast_(datas[0], root_rank, name=name)
    for d in datas[1:]:
        d[:] = datas[0]


def broadcast_parameters(params: Any, root_rank: int = 0, prefix: Optional[str] = None,
                         process_set: Any = global_process_set) -> None:
    """Copy rank ``root_rank``'s parameters to every rank: a dict (or ParameterDict) of Parameters or NDArrays,
    taken in sorted-name order. A Parameter whose initialization is deferred is broadcast when it is
    initialized (at the first forward)."""
    _check_process_set(process_set, "broadcast_parameters")
    if size() == 1:
        return
    if not hasattr(params, "items"):
        raise ValueError(f"invalid params of type: {type(params)}")
    prefix = prefix or ""
    for name, p in sorted(params.items()):
        full = prefix + str(name)
        if isinstance(p, Parameter):
            try:
                p.list_data()
            except DeferredInitializationError:
                _broadcast_after_init(p, root_rank, full)
                continue
            _broadcast_parameter(p, root_rank, full)
        elif isinstance(p, NDArray):
            broadcast_(p, root_rank, name=full)
        else:
            raise ValueError(f"invalid params of type: {type(p)} for {name!r}")


def _broadcast_after_init(p: Parameter, root_rank: int, name: str) -> None:
    finish = p._finish_deferred_init

    def finish_then_broadcast() -> None:
        was_deferred = p._deferred is not None
        finish()
        if was_deferred and p._deferred is None:
            _broadcast_parameter(p, root_rank, name)

    p._finish_deferred_init = finish_then_broadcast  # type: ignore[method-assign]


class DistributedOptimizer:
    """Wraps an ``mx.optimizer.Optimizer``: gradients are summed over the ranks before each update, and
    ``rescale_grad`` is divided by ``size()`` (so the update sees the average)."""

    def __init__(self, optimizer: Any, gradient_predivide_factor: float = 1.0, num_groups: int = 0,
                 process_set: Any = global_process_set) -> None:
        _check_process_set(process_set, "DistributedOptimizer")
        self._optimizer = optimizer
        self._gradient_predivide_factor = gradient_predivide_factor
        self._optimizer.rescale_grad *= gradient_predivide_factor / size()

    def __getattr__(self, item: str) -> Any:
        return getattr(self._optimizer, item)

    def create_state_multi_precision(self, index: Any, weight: Any) -> Any:
        return self._optimizer.create_state_multi_precision(index, weight)

    def _do_allreduce(self, index: Any, grad: Any) -> None:
        if size() == 1:
            return
        if isinstance(index, (tuple, list)):
            for i, g in zip(index, grad):
                allreduce_(g, average=False, name=str(i), prescale_factor=1.0 / self._gradient_predivide_factor)
        else:
            allreduce_(grad, average=False, name=str(index), prescale_factor=1.0 / self._gradient_predivide_factor)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._do_allreduce(index, grad)
        self._optimizer.update(index, weight, grad, state)

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._do_allreduce(index, grad)
        self._optimizer.update_multi_precision(index, weight, grad, state)

    def set_learning_rate(self, lr: float) -> None:
        self._optimizer.set_learning_rate(lr)

    def set_lr_mult(self, args_lr_mult: Any) -> None:
        self._optimizer.set_lr_mult(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: Any) -> None:
        self._optimizer.set_wd_mult(args_wd_mult)


class DistributedTrainer(Trainer):
    """``gluon.Trainer`` that sums the gradients over the ranks (rank order) before each update, in buckets
    reduced while backward runs (one context per rank; else in one collective after backward); the update is
    scaled by ``1/size()`` so it sees the average (Horovod's semantics)."""

    def __init__(self, params: Any, optimizer: Any, optimizer_params: Any = None,
                 compression: Any = Compression.none, gradient_predivide_factor: float = 1.0,
                 prefix: Optional[str] = None, num_groups: int = 0, process_set: Any = global_process_set) -> None:
        _check_process_set(process_set, "DistributedTrainer")
        if compression is not Compression.none:
            raise MXNetError("horovod.mxnet.DistributedTrainer: gradient compression is not supported by unidl "
                             "(it changes the numbers); use Compression.none")
        if isinstance(optimizer, DistributedOptimizer):
            optimizer = optimizer._optimizer
            warnings.warn("DistributedTrainer does not take DistributedOptimizer as its optimizer. We have unwrapped "
                          "it for you.")
        if hasattr(params, "items"):
            params = OrderedDict(sorted(params.items()))
        super().__init__(params, optimizer, optimizer_params=optimizer_params, kvstore=None)
        self._scale *= gradient_predivide_factor / size()
        self._gradient_predivide_factor = gradient_predivide_factor
        self._prefix = prefix or ""
        if size() > 1:
            self._overlap_leaves_ready()  # gradient buckets reduced during backward (collective)

    def _overlap_members(self) -> Any:
        if self._gradient_predivide_factor != 1.0:
            return None  # the gradients are divided before the sum: reduced after backward
        return super()._overlap_members()

    def _overlap_name(self) -> str:
        return "horovod.mxnet.DistributedTrainer"

    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Sum the gradients over the ranks, then update (scaled by ``1 / (size() * batch_size)``)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def _allreduce_grads(self) -> None:
        if size() == 1:
            return
        reduced = self._overlap_results()  # summed in buckets during backward (one context per rank)
        if reduced is not None:
            for i, m in zip(self._bucket_members, reduced):
                self._params[i].list_grad()[0][:] = m
            return
        from .kvstore.dist import _reduce_ndarrays

        grads = []
        for p in self._params:
            if p.grad_req != "null" and p._ts is not None:
                grads.append(p.list_grad()[0])
        if self._gradient_predivide_factor != 1.0:
            for g in grads:
                g[:] = g / self._gradient_predivide_factor
        _reduce_ndarrays(_d(), grads, "horovod.mxnet.DistributedTrainer")
        for p in self._params:  # other contexts of the same rank take the reduced gradient
            if p.grad_req != "null" and p._ts is not None:
                gs = p.list_grad()
                for g in gs[1:]:
                    g[:] = gs[0]


__all__ = ["init", "shutdown", "is_initialized", "rank", "size", "local_rank", "local_size", "cross_rank",
           "cross_size", "allreduce", "allreduce_", "grouped_allreduce", "grouped_allreduce_", "allgather",
           "broadcast", "broadcast_", "broadcast_object", "allgather_object", "broadcast_parameters",
           "DistributedOptimizer", "DistributedTrainer", "Compression", "Average", "Sum", "Adasum",
           "global_process_set", "mpi_built", "mpi_enabled", "gloo_built", "gloo_enabled", "nccl_built"]
