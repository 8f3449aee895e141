"""``horovod.keras`` on unidl: Horovod's Keras API (0.28) over :mod:`unidl.distributed` (MPI).

``import horovod.keras as hvd`` (or ``horovod.tensorflow.keras``) resolves here under ``unidl run`` /
``unidl launch``. ``hvd.init()``, ``rank()``, ``size()``, ``local_rank()``, ``allreduce`` (average by
default), ``allgather``, ``broadcast``, ``DistributedOptimizer`` (averages the gradients across ranks before
each update; under ``fit`` in buckets while backward runs), ``broadcast_global_variables``, ``load_model``
and :mod:`.callbacks` (``BroadcastGlobalVariablesCallback``, ``MetricAverageCallback``,
``LearningRateWarmupCallback``, ``LearningRateScheduleCallback``). As in Horovod, each rank reads its own
shard of the data. Sums are taken in rank order, so results are deterministic (Horovod's are not).
Compression, Adasum and process sets other than the global one are not available.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from unidl.horovod_process import HorovodProcess

from ..distribution.data_parallel import reduce_gradients
from . import callbacks  # noqa: F401 - hvd.callbacks

__version__ = "0.28.1"

Average, Sum, Adasum = "average", "sum", "adasum"


class Compression:
    """Horovod's gradient compression: only ``none`` (fp16 compression changes the numbers)."""

    class none:  # noqa: N801 - Horovod's name
        @staticmethod
        def compress(tensor: Any) -> Any:
            return tensor, None

        @staticmethod
        def decompress(tensor: Any, ctx: Any) -> Any:
            return tensor

    fp16 = None


_PROCESS = HorovodProcess("horovod.keras", ValueError)
_d = _PROCESS.dist
init, shutdown, is_initialized = _PROCESS.init, _PROCESS.shutdown, _PROCESS.is_initialized
rank, size, local_rank, local_size = _PROCESS.rank, _PROCESS.size, _PROCESS.local_rank, _PROCESS.local_size
cross_rank, cross_size = _PROCESS.cross_rank, _PROCESS.cross_size


def mpi_enabled() -> bool:
    return True


def nccl_built() -> bool:
    return False


def _op(average: Optional[bool], op: Any, what: str) -> str:
    if op is None:
        op = Sum if average is False else Average
    elif average is not None:
        raise ValueError("The op parameter supersedes average. Please provide only one of them.")
    if op not in (Sum, Average):
        raise ValueError(f"horovod.keras.{what}: op {op!r} is not supported by unidl (Sum and Average are)")
    return op


def allreduce(value: Any, name: Optional[str] = None, average: Optional[bool] = None, prescale_factor: float = 1.0,
              postscale_factor: float = 1.0, op: Any = None, compression: Any = Compression.none) -> np.ndarray:
    """``value`` (an array, a tensor or a number) reduced over the ranks: the mean unless ``op=Sum``."""
    kind = _op(average, op, "allreduce")
    a = np.array(value.numpy() if hasattr(value, "numpy") else value, dtype=None, copy=True)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"horovod.keras.allreduce: expected a numeric value, got dtype {a.dtype}")
    if prescale_factor != 1.0:
        a = a * a.dtype.type(prescale_factor) if a.dtype.kind == "f" else a * prescale_factor
    _d().allreduce_many([a], op="mean" if kind == Average else "sum", name="horovod.keras.allreduce")
    if postscale_factor != 1.0:
        a = a * (a.dtype.type(postscale_factor) if a.dtype.kind == "f" else postscale_factor)
    return a


def allgather(value: Any, name: Optional[str] = None) -> np.ndarray:
    """The ranks' values (of one shape) concatenated on the first axis, in rank order."""
    a = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    stacked = _d().allgather(a if a.ndim else a.reshape(1))   # (size, *shape): every rank's value, same shape
    return stacked.reshape((-1,) + a.shape[1:]) if a.ndim else stacked.reshape(-1)


def broadcast(value: Any, root_rank: int, name: Optional[str] = None) -> np.ndarray:
    """Rank ``root_rank``'s ``value`` on every rank."""
    a = np.array(value.numpy() if hasattr(value, "numpy") else value, copy=True)
    _d().broadcast(a, root=int(root_rank))
    return a


def broadcast_variables(variables: Any, root_rank: int = 0) -> None:
    """Assign rank ``root_rank``'s values to ``variables`` on every rank."""
    for v in variables:
        v.assign(broadcast(v, root_rank))


def broadcast_global_variables(root_rank: int = 0, model: Any = None) -> None:
    """Keras has no global variable collection: pass the ``model`` (its weights and its optimizer's)."""
    if model is None:
        raise ValueError("horovod.keras.broadcast_global_variables: unidl has no global variable collection; "
                         "pass model=... or use hvd.callbacks.BroadcastGlobalVariablesCallback(root_rank)")
    variables = list(model.variables)
    opt = getattr(model, "optimizer", None)
    if opt is not None and getattr(opt, "built", False):
        variables += list(opt.variables)
    broadcast_variables(variables, root_rank)


def DistributedOptimizer(optimizer: Any, name: Optional[str] = None, device_dense: str = "",  # noqa: N802
                         device_sparse: str = "", compression: Any = Compression.none, sparse_as_dense: bool = False,
                         gradient_predivide_factor: float = 1.0, op: Any = Average, backward_passes_per_step: int = 1,
                         average_aggregated_gradients: bool = False, num_groups: int = 0, groups: Any = None,
                         process_set: Any = None) -> Any:
    """``optimizer`` made to reduce the gradients over the ranks before each update (the mean, or the sum with
    ``op=hvd.Sum``; ``gradient_predivide_factor`` splits the averaging before and after the sum)."""
    kind = _op(None, op, "DistributedOptimizer")
    if compression is not Compression.none:
        raise ValueError("horovod.keras.DistributedOptimizer: only Compression.none is supported by unidl")
    if int(backward_passes_per_step) != 1:
        raise ValueError("horovod.keras.DistributedOptimizer: backward_passes_per_step > 1 (local gradient "
                         "aggregation) is not supported by unidl")
    if process_set is not None or groups is not None or num_groups:
        raise ValueError("horovod.keras.DistributedOptimizer: process sets and groups are not supported by unidl")
    base = type(optimizer)
    pre = float(gradient_predivide_factor)
    if pre != 1.0 and kind != Average:
        raise ValueError("gradient_predivide_factor not supported with op != Average")

    def apply(self: Any, grads: Any, trainable_variables: Any = None) -> Any:
        grads = list(grads)
        if self.__dict__.pop("_unidl_reduced", False):  # fit's train step reduced them during backward
            return base.apply(self, grads, trainable_variables)
        if pre != 1.0:
            from unidl import ops

            grads = [None if g is None else ops.multiply(g, 1.0 / pre) for g in grads]
            reduce_gradients(grads, "sum", "horovod.keras.DistributedOptimizer")
            grads = [None if g is None else ops.multiply(g, pre / size()) for g in grads]
        else:
            reduce_gradients(grads, "mean" if kind == Average else "sum", "horovod.keras.DistributedOptimizer")
        return base.apply(self, grads, trainable_variables)

    def grad_overlap(self: Any) -> Any:
        """For ``fit``'s train step: the buckets that reduce the gradients during backward (None when off, on
        one rank, or with a gradient_predivide_factor, which divides before the sum)."""
        if "_unidl_overlap" not in self.__dict__:
            from ..distribution.data_parallel import GradientOverlap

            self.__dict__["_unidl_overlap"] = (GradientOverlap("mean" if kind == Average else "sum",
                                                               "horovod.keras.DistributedOptimizer")
                                               if pre == 1.0 and size() > 1 else None)
        return self.__dict__["_unidl_overlap"]

    cls = type(base.__name__, (base,), {"apply": apply, "__module__": base.__module__,
                                        "_unidl_horovod": True, "_unidl_grad_overlap": property(grad_overlap)})
    return cls.from_config(optimizer.get_config())


def load_model(filepath: Any, custom_optimizers: Any = None, custom_objects: Any = None,
               compression: Any = Compression.none) -> Any:
    """``keras.saving.load_model``, with the compiled optimizer wrapped in :func:`DistributedOptimizer`."""
    from ..saving import load_model as _load

    objects = dict(custom_objects or {})
    for opt in custom_optimizers or ():
        objects[opt.__name__] = opt
    model = _load(filepath, custom_objects=objects)
    if getattr(model, "optimizer", None) is not None:
        model.__dict__["optimizer"] = DistributedOptimizer(model.optimizer, compression=compression)
    return model
