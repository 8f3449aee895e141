"""Data-parallel training of a Keras model over MPI ranks (``unidl launch -n N``), on :mod:`unidl.distributed`.

Every rank holds the whole model. At the start of ``fit`` rank 0's weights (and optimizer state) are
broadcast; each global batch is split into equal, contiguous per-rank shards (unless the data is already
sharded per rank); the gradients are averaged across ranks, summed in rank order and divided by the number of
ranks, so N-rank training is bitwise equal to one process that adds the same N micro-batches' gradients in
rank order and divides by N. The reduction overlaps backward: the default train step registers the trainable
variables with a :class:`unidl.grad_buckets.GradientBucketer` before its backward, which reduces buckets of
gradients as backward produces them (``UNIDL_DIST_OVERLAP=0``: in one collective per dtype after backward;
the same bits either way). Each epoch's logs are
averaged across ranks the same way; only rank 0 shows the progress bar.

What turns it on: ``keras.distribution.set_distribution(DataParallel())``, a model compiled inside
``tf.distribute.MirroredStrategy().scope()`` (the ``tensorflow`` stand-in), or
``keras.utils.multi_gpu_model(model)``. With one rank (no launcher) all of them train as usual.
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from unidl.tensor import Tensor

from ..utils import tree


def _dist() -> Any:
    import unidl.distributed as dist

    return dist


def world() -> Tuple[int, int]:
    """``(rank, size)`` of this process; ``(0, 1)`` when not launched on several ranks."""
    dist = _dist()
    if not dist.is_initialized():
        if not dist.launched():
            return 0, 1
        dist.init()
    return dist.rank(), dist.size()


class ShardedBatches:
    """A batch source whose batches are this rank's contiguous share of each global batch."""

    def __init__(self, batches: Any, rank: int, size: int) -> None:
        self.batches, self.rank, self.size = batches, rank, size

    def __len__(self) -> Optional[int]:  # type: ignore[override]
        return len(self.batches)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.batches, name)

    def _shard(self, t: Any) -> Any:
        if not isinstance(t, Tensor) or t.ndim == 0:
            return t
        n = int(t.shape[0])
        if n % self.size:
            raise ValueError(f"data-parallel training on {self.size} ranks: a batch of {n} samples does not split "
                             f"into equal shards; use a batch size and a number of samples divisible by {self.size} "
                             "(or drop the last, partial batch)")
        per = n // self.size
        return t[self.rank * per:(self.rank + 1) * per]

    def epoch(self) -> Iterator[tuple]:
        for batch in self.batches.epoch():
            yield tree.map_structure(self._shard, batch)


class DataParallelEngine:
    """The gradient, weight and log synchronisation for one model's ``fit`` on ``size`` ranks."""

    def __init__(self, rank: int, size: int, shard_data: bool = True) -> None:
        self.rank, self.size, self.shard_data = rank, size, shard_data
        self.overlap = GradientOverlap("mean", "keras data-parallel gradients")

    def begin_fit(self, model: Any, batches: Any, val: Any, verbose: int) -> Tuple[Any, Any, int]:
        """Sync the weights from rank 0, attach the engine to ``model``; returns this rank's batch sources and
        verbosity (0 off rank 0)."""
        model.__dict__["_dp_engine"] = self
        self.broadcast_weights(model)
        if self.shard_data:
            batches = ShardedBatches(batches, self.rank, self.size)
            val = None if val is None else ShardedBatches(val, self.rank, self.size)
        return batches, val, verbose if self.rank == 0 else 0

    def broadcast_weights(self, model: Any) -> None:
        dist = _dist()
        variables = list(model.variables)
        opt = getattr(model, "optimizer", None)
        if opt is not None and getattr(opt, "built", False):
            variables += list(opt.variables)
        for v in variables:
            host = np.array(v.numpy(), copy=True, order="C")   # 0-d stays 0-d (ascontiguousarray would make it 1-d)
            dist.broadcast(host, root=0)
            v.assign(host.reshape(v.shape))

    def arm(self, variables: List[Any]) -> None:
        """Before backward: reduce the gradients of ``variables`` in buckets while backward runs."""
        self.overlap.arm(variables)

    def reduce(self, grads: List[Any], variables: Optional[List[Any]] = None) -> None:
        """Average ``grads`` (unidl Tensors; None skipped) across ranks: the list's entries are replaced. When
        ``variables`` (whose backward produced ``grads``) were armed, the buckets reduced them during backward."""
        if variables is None or not self.overlap.reduce(grads, variables):
            reduce_gradients(grads, "mean", "keras data-parallel gradients")

    def close(self) -> None:
        """Unregister the gradient buckets (the end of ``fit``)."""
        self.overlap.close()

    def average_logs(self, logs: Dict[str, Any]) -> Dict[str, Any]:
        """The mean of each numeric log over the ranks (summed in rank order)."""
        keys = sorted(k for k, v in logs.items() if isinstance(v, (int, float, np.floating, np.integer)))
        if not keys:
            return logs
        vals = np.array([float(logs[k]) for k in keys], dtype=np.float64)
        _dist().allreduce_many([vals], op="mean", name="keras data-parallel logs")
        out = dict(logs)
        out.update({k: float(v) for k, v in zip(keys, vals)})
        return out


class GradientOverlap:
    """The gradients of a train step's variables reduced over the ranks (``op``: 'sum' or 'mean') in buckets
    while its backward runs (:class:`unidl.grad_buckets.GradientBucketer`, made collectively on the first step
    and again whenever the variables change). ``UNIDL_DIST_OVERLAP=0`` turns it off."""

    def __init__(self, op: str, name: str) -> None:
        self.op, self.name = op, name
        self.bucketer: Any = None

    def arm(self, variables: List[Any]) -> None:
        """Call just before the step's backward."""
        b = self.bucketer
        if b is None or not b.matches(variables):
            self.close()
            dist = _dist()
            if not dist.overlap_enabled() or not variables or any(v.device.type != "cpu" for v in variables):
                return
            from unidl.grad_buckets import GradientBucketer

            b = self.bucketer = GradientBucketer(variables, self.op, name=self.name, explicit=True)
        b.arm()

    def reduce(self, grads: List[Any], variables: List[Any]) -> bool:
        """Replace ``grads`` (the backward's gradients of ``variables``) by the buckets' result; False (nothing
        replaced) when there is none and the caller must reduce them."""
        b = self.bucketer
        if b is None or not b.matches(variables):
            return False
        res = b.finish(verify=False)
        if res is None:
            return False
        for i, a in enumerate(res):
            grads[i] = None if a is None else Tensor._from_any(a, variables[i].device)
        return True

    def close(self) -> None:
        if self.bucketer is not None:
            self.bucketer.close()
            self.bucketer = None


def reduce_gradients(grads: List[Any], op: str, name: str) -> None:
    """Sum or average the gradient Tensors in ``grads`` over the ranks (in rank order, one bucket per dtype);
    each entry is replaced by a new Tensor on its device (a gradient may share memory with other values)."""
    idx = [i for i, g in enumerate(grads) if g is not None]
    if not idx:
        return
    hosts = [np.array(grads[i].numpy()) for i in idx]
    _dist().allreduce_many(hosts, op=op, name=name)
    for i, h in zip(idx, hosts):
        grads[i] = Tensor._from_any(h, grads[i].device)


def engine_for(model: Any) -> Optional[DataParallelEngine]:
    """The engine when ``model`` trains data-parallel on more than one rank, else None."""
    from .distribution_lib import DataParallel, distribution as current

    marked = model.__dict__.get("_dp_requested")
    dist_obj = current()
    if not marked and not isinstance(dist_obj, DataParallel):
        return None
    rank, size = world()
    if size == 1:
        return None
    shard = dist_obj.auto_shard_dataset if isinstance(dist_obj, DataParallel) and not marked else True
    return DataParallelEngine(rank, size, shard_data=shard)


def writes_files(model: Any) -> bool:
    """Whether this process writes checkpoints for ``model``: always, except off rank 0 in a data-parallel fit."""
    dp = getattr(model, "__dict__", {}).get("_dp_engine") if model is not None else None
    return dp is None or dp.rank == 0


def end_fit(model: Any) -> None:
    dp = model.__dict__.pop("_dp_engine", None)
    if dp is not None:
        dp.close()


def multi_gpu_model(model: Any, gpus: Any = None, cpu_merge: bool = True, cpu_relocation: bool = False) -> Any:
    """Keras 2's ``keras.utils.multi_gpu_model``: the model itself, marked to train data-parallel across the
    launched ranks (one replica per rank: ``unidl launch -n GPUS script.py``); ``fit``'s batch is split across
    them. Save the returned model as usual (it is the template model).
    """
    n = len(gpus) if isinstance(gpus, (list, tuple)) else (2 if gpus is None else int(gpus))
    if n <= 1:
        raise ValueError(f"For multi-gpu usage to be effective, call `multi_gpu_model` with `gpus >= 2`. "
                         f"Received: `gpus={gpus}`")
    _, size = world()
    if size > 1 and size != n:
        raise ValueError(f"multi_gpu_model(gpus={gpus}): {size} ranks were launched; unidl runs one replica per rank, "
                         f"so launch with `unidl launch -n {n}`")
    model.__dict__["_dp_requested"] = True
    return model
