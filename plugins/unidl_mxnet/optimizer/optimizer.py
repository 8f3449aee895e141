"""``mx.optimizer.optimizer``: the Optimizer base class, its registry, ``create`` and the ``Updater``.

MXNet 1.9's bookkeeping, kept exactly: per-index update counts starting at ``begin_num_update``,
``num_update`` (their maximum, what an ``lr_scheduler`` is called with), learning-rate and weight-decay
multipliers looked up in ``param_dict`` (Gluon Parameters), then ``lr_mult``/``wd_mult`` by index, then by
name through ``param_idx2name``, and the float32 master copy of ``multi_precision`` for float16 weights.
The update rules themselves live in the core (:mod:`unidl.nn.optim`, ``form="mxnet"``); the rule
classes are in :mod:`.sgd`, :mod:`.adaptive`, :mod:`.adam` and :mod:`.ftrl`.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Sequence, Type

import numpy as np

from ..base import MXNetError
from unidl import ops

from ..ndarray.ndarray import NDArray, wrap
from ..util import is_np_array


class OptimizerNotFoundError(MXNetError, ValueError):
    """``create`` was given a name no optimizer is registered under (MXNet raises ValueError)."""


def _check_nd(opt: str, **arrays: Any) -> None:
    for name, a in arrays.items():
        if not isinstance(a, NDArray):
            raise MXNetError(f"{opt}.update: {name} must be an mx.nd.NDArray, got {type(a).__name__}")


def _t(a: Any) -> Any:
    """The unidl Tensor behind an NDArray state (None stays None)."""
    return None if a is None else a.tensor


def _zeros_like(weight: NDArray, stype: str = "default") -> NDArray:
    """Zeros of ``weight``'s shape, dtype and context (an optimizer state), of storage type ``stype``."""
    if stype == "default":
        return wrap(ops.zeros_like(weight.tensor))
    from ..ndarray.ndarray import as_stype

    return as_stype(ops.zeros_like(weight.tensor), stype)


def _lazy_rows(grad: NDArray) -> Any:
    """The rows a lazy update touches: a row_sparse gradient's indices (int64 Tensor), else None."""
    if getattr(grad, "stype", "default") != "row_sparse":
        return None
    return grad.indices.tensor


def _on_rows(rows: Any, rule: Any, *arrays: Any) -> None:
    """MXNet's lazy update: run ``rule(*tensors)`` on only the ``rows`` of each array (NDArrays, or None
    passed through) and write those rows back; the other rows of the weight and the states keep their values."""
    if rows.shape[0] == 0:
        return
    subs = [None if a is None else ops.take(a.tensor, rows, axis=0) for a in arrays]
    rule(*subs)
    for a, sub in zip(arrays, subs):
        if a is not None:
            ops.setitem(a.tensor, rows, sub)


class Optimizer:
    """The base class of all optimizers (``mx.optimizer.Optimizer``).

    Args:
        rescale_grad: multiply the gradient by this before the update (Gluon's Trainer sets
            ``1 / batch_size``).
        param_idx2name: index -> parameter name; parameters whose name does not end in ``_weight`` or
            ``_gamma`` get ``wd_mult`` 0.
        wd: weight decay (L2) coefficient.
        clip_gradient: clip the (rescaled) gradient to ``[-clip_gradient, clip_gradient]``.
        learning_rate: the learning rate; None means the ``lr_scheduler``'s (or 0.01 without one). Given
            together with an ``lr_scheduler`` it overrides the scheduler's ``base_lr``.
        lr_scheduler: an :mod:`mx.lr_scheduler <unidl_mxnet.lr_scheduler>` scheduler, called with ``num_update``.
        sym: not supported (symbols); must be None.
        begin_num_update: the update count each index starts from.
        multi_precision: keep a float32 master copy of float16 weights and update that.
        param_dict: index -> gluon Parameter, read for ``lr_mult``/``wd_mult`` at every update.
    """

    opt_registry: Dict[str, Type["Optimizer"]] = {}

    def __init__(self, rescale_grad: float = 1.0, param_idx2name: Optional[Dict[Any, str]] = None, wd: float = 0.0,
                 clip_gradient: Optional[float] = None, learning_rate: Optional[float] = None,
                 lr_scheduler: Any = None, sym: Any = None, begin_num_update: int = 0,
                 multi_precision: bool = False, param_dict: Optional[Dict[Any, Any]] = None) -> None:
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if self.lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if self.lr_scheduler is not None and learning_rate is not None:
            if self.lr_scheduler.base_lr != learning_rate:
                warnings.warn(UserWarning("learning rate from ``lr_scheduler`` has been overwritten by "
                                          "``learning_rate`` in optimizer."), stacklevel=2)
                self.lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult: Dict[Any, float] = {}
        self.wd_mult: Dict[Any, float] = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: Dict[int, Dict[Any, int]] = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetError("param_idx2name should be a dict of param indexes to names.")
        self.idx2name = param_idx2name.copy()
        if sym is not None:
            raise MXNetError("Optimizer(sym=...) needs the symbolic API, which unidl_mxnet does not support; "
                             "set lr_mult/wd_mult with set_lr_mult/set_wd_mult or on gluon Parameters")
        self.sym_info = ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = is_np_array()
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry ---------------------------------------------------------------------------------
    @staticmethod
    def register(klass: Type["Optimizer"]) -> Type["Optimizer"]:
        """Register ``klass`` under its lower-cased class name (a later class of that name wins)."""
        if not isinstance(klass, type):
            raise MXNetError(f"register expects a class, got {type(klass).__name__}")
        name = klass.__name__.lower()
        old = Optimizer.opt_registry.get(name)
        if old is not None and old is not klass:
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is overriding existing "
                          f"optimizer {old.__module__}.{old.__name__}", stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> "Optimizer":
        """An optimizer of the registered (case-insensitive) ``name``, constructed with ``kwargs``."""
        if not isinstance(name, str):
            raise MXNetError(f"create: name must be a str, got {type(name).__name__} (pass an Optimizer instance "
                             "directly where one is accepted, e.g. gluon.Trainer)")
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise OptimizerNotFoundError(f"Cannot find optimizer {name} (registered: "
                                         f"{', '.join(sorted(Optimizer.opt_registry))})")
        return klass(**kwargs)

    # -- learning rate ----------------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The current learning rate: the scheduler's at ``num_update``, else ``lr``."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Set ``lr``; refused (MXNet raises UserWarning) when an ``lr_scheduler`` is set."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that set_learning_rate "
                              "can mutate the value of the learning rate of the optimizer only when the "
                              "LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale: Any) -> None:
        """[DEPRECATED] (MXNet raises DeprecationWarning.)"""
        raise DeprecationWarning

    def set_lr_mult(self, args_lr_mult: Dict[Any, float]) -> None:
        """Per-parameter learning-rate multipliers, keyed by index or name (replaces earlier ones)."""
        self.lr_mult = {}
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: Dict[Any, float]) -> None:
        """Per-parameter weight-decay multipliers, keyed by index or name (replaces earlier ones).

        Names from ``param_idx2name`` not ending in ``_weight`` or ``_gamma`` default to 0.
        """
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith("_weight") or n.endswith("_gamma")):
                self.wd_mult[n] = 0.0
        self.wd_mult.update(args_wd_mult)

    # -- bookkeeping ------------------------------------------------------------------------------
    def _set_current_context(self, device_id: int) -> None:
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index: Any) -> None:
        """Count one update of each index (starting from ``begin_num_update``); raise ``num_update``."""
        if not isinstance(index, (list, tuple)):
            index = [index]
        for idx in index:
            if idx not in self._index_update_count:
                self._index_update_count[idx] = self.begin_num_update
            self._index_update_count[idx] += 1
            self.num_update = max(self._index_update_count[idx], self.num_update)

    def _get_lrs(self, indices: Sequence[Any]) -> List[float]:
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return self._scaled_lrs(lr, indices)

    def _scaled_lrs(self, lr: float, indices: Sequence[Any]) -> List[float]:
        """``lr`` times each index's lr_mult (from its Parameter, the index, or its name)."""
        lrs = [lr for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                lrs[i] *= self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                lrs[i] *= self.lr_mult[index]
            elif index in self.idx2name:
                lrs[i] *= self.lr_mult.get(self.idx2name[index], 1.0)
        return lrs

    def _get_lr(self, index: Any) -> float:
        return self._get_lrs([index])[0]

    def _get_wds(self, indices: Sequence[Any]) -> List[float]:
        wds = [self.wd for _ in indices]
        for i, index in enumerate(indices):
            if index in self.param_dict:
                wds[i] *= self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                wds[i] *= self.wd_mult[index]
            elif index in self.idx2name:
                wds[i] *= self.wd_mult.get(self.idx2name[index], 1.0)
        return wds

    def _get_wd(self, index: Any) -> float:
        return self._get_wds([index])[0]

    def _fused_clip(self) -> Optional[float]:
        """``clip_gradient`` as MXNet's fused ops see it: 0 and None mean off."""
        return self.clip_gradient if self.clip_gradient else None

    # -- states and updates -----------------------------------------------------------------------
    def create_state(self, index: Any, weight: NDArray) -> Any:
        """The auxiliary state of one weight (None, an NDArray or a tuple of them)."""
        return None

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        """``create_state``, plus a float32 master copy first when ``multi_precision`` and float16 weights:
        ``(weight32, state)``."""
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16 and not self.multi_precision:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow convergence. "
                          "Consider using multi_precision=True option of the optimizer", stacklevel=2)
        return self.create_state(index, weight)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """Update ``weight`` (in place) from ``grad`` and ``state``."""
        raise NotImplementedError()

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        """``update``; with ``multi_precision`` and float16 weights, on the float32 master copy, then cast back."""
        if self.multi_precision and weight.dtype == np.float16:
            master, original = state[0], state[1]
            self.update(index, master, grad.astype(np.float32), original)
            weight[:] = master.astype(weight.dtype)
        else:
            self.update(index, weight, grad, state)


register = Optimizer.register
create = Optimizer.create_optimizer


class _UpdateThroughImpl:
    """``update``/``update_multi_precision`` for optimizers written as one ``_update_impl(index, weight, grad,
    state, multi_precision)`` taking an index or a list of them (MXNet's multi-tensor calls)."""

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        w0 = weight[0] if isinstance(index, (tuple, list)) else weight
        self._update_impl(index, weight, grad, state,
                          multi_precision=self.multi_precision and w0.dtype == np.float16)


class Updater:
    """Applies an optimizer to (index, grad, weight) triples, creating each index's state on first use
    (``mx.optimizer.get_updater``; what Gluon's Trainer and the kvstore call)."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: Dict[Any, Any] = {}
        self.states_synced: Dict[Any, bool] = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        if not isinstance(index, (list, tuple)):
            indices, grads, weights = [index], [grad], [weight]
        else:
            indices, grads, weights = list(index), list(grad), list(weight)
        for a in grads + weights:
            if type(a) is not NDArray:  # mx.np arrays among them: as the legacy NDArrays the optimizers take
                opt = self.optimizer
                allow_np = opt.allow_np_array if hasattr(opt, "allow_np_array") else is_np_array()
                grads = [_as_classic(g, allow_np) for g in grads]
                weights = [_as_classic(w, allow_np) for w in weights]
                break
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        states, synced = self.states, self.states_synced
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                indices[i] = idx = idx.decode("utf-8")
            if idx not in states:
                states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                synced[idx] = True
            elif not synced[idx]:
                states[idx] = self.sync_state_context(states[idx], weights[i].context)
                synced[idx] = True
        if self.aggregate_updates and len(indices) > 1 and getattr(self.optimizer, "_groups_updates", False):
            # as MXNet: weights of one dtype in groups of ``aggregate_num``, one multi-tensor update each
            by_dtype: Dict[Any, List[int]] = {}
            for i, w in enumerate(weights):
                by_dtype.setdefault(w.dtype, []).append(i)
            size = self.optimizer.aggregate_num
            for pos in by_dtype.values():
                for a in range(0, len(pos), size):
                    part = pos[a:a + size]
                    self.optimizer.update_multi_precision([indices[i] for i in part], [weights[i] for i in part],
                                                          [grads[i] for i in part],
                                                          [states[indices[i]] for i in part])
            return
        # one device: an aggregated (multi-tensor) update is the same arithmetic per index
        for idx, w, g in zip(indices, weights, grads):
            self.optimizer.update_multi_precision(idx, w, g, states[idx])

    def sync_state_context(self, state: Any, context: Any) -> Any:
        """``state`` (an NDArray, or a tuple/list of them) moved to ``context``."""
        if isinstance(state, NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states: bytes) -> None:
        """Restore states (and the optimizer, when it was dumped) from :meth:`get_states`' bytes.

        Only unidl's own format is read (see :mod:`unidl_mxnet.optimizer.states_file`); a pickled
        MXNet states blob is refused, never unpickled.
        """
        from . import states_file

        loaded, opt_dump = states_file.loads(states)
        self.states = loaded
        if opt_dump is not None:
            self.optimizer = states_file.restore_optimizer(opt_dump, self.optimizer)
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states (and with ``dump_optimizer`` the optimizer's scalar settings and counters) as bytes in
        unidl's trainer-states format (an MXNet NDArray-dict file; see :mod:`unidl_mxnet.optimizer.states_file`)."""
        from . import states_file

        return states_file.dumps(self.states, self.optimizer if dump_optimizer else None)


def _as_classic(a: Any, allow_np: bool) -> Any:
    """An ``mx.np.ndarray`` as the legacy NDArray optimizers compute on (MXNet refuses it unless the
    optimizer was made in NumPy mode, ``allow_np_array``)."""
    if type(a) is NDArray:  # the common case, before the import below
        return a
    from ..numpy import ndarray as np_ndarray

    if isinstance(a, np_ndarray):
        if not allow_np:
            raise ValueError("Converting np.ndarray to mx.nd.NDArray is not allowed")
        return a.as_nd_ndarray()
    return a


@register
class Test(Optimizer):
    """The Test optimizer (``mx.optimizer.Test``): ``w += rescale_grad * g``; its state is a copy of the weight."""

    def create_state(self, index: Any, weight: NDArray) -> Any:
        from ..ndarray.ops import zeros

        return zeros(weight.shape, weight.context)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("Test", weight=weight, grad=grad)
        new = ops.add(weight.tensor, ops.multiply(grad.tensor, float(self.rescale_grad)))
        ops.setitem(weight.tensor, Ellipsis, new)
        ops.setitem(state.tensor, Ellipsis, ops.astype(new, state.dtype))


def get_updater(optimizer: Optimizer) -> Updater:
    """An :class:`Updater` closure over ``optimizer``."""
    return Updater(optimizer)


__all__ = ["Optimizer", "register", "create", "Updater", "get_updater", "OptimizerNotFoundError", "Test"]


def __getattr__(name: str) -> Any:
    # ``mx.optimizer.optimizer.SGD`` etc., as MXNet's one-module layout has them (rules live in sibling modules)
    from importlib import import_module

    for mod in ("sgd", "adaptive", "adam", "ftrl", "extra"):
        m = import_module(f"{__package__}.{mod}")
        if name in m.__all__:
            return getattr(m, name)
    raise AttributeError(f"module 'mxnet.optimizer.optimizer' has no attribute {name!r}")
