"""``gluon.Trainer``: applies an optimizer to a set of Parameters after backward (MXNet 1.9 semantics).

With one context no kvstore is created (as MXNet): each step updates the parameters in place. With several
contexts (``initialize(ctx=[...])``) a kvstore sums the gradients of the copies, and either updates the weight
on the store and copies it back to every context (``update_on_kvstore``, MXNet's default) or gives every
context the summed gradient to update its own copy. Sparse (row_sparse) weights always update on the store.
``compression_params`` is accepted and ignored with a warning. A ``dist_sync`` / ``dist_device_sync`` kvstore
(or a ``horovod`` KVStore object) sums the gradients over the ranks of an MPI job too, in rank order
(:mod:`..kvstore.dist`); then even one context uses the store, as MXNet. With one context per rank the sum
overlaps backward: gradients are reduced in buckets as backward produces them (:mod:`unidl.grad_buckets`) and
``step`` waits for the buckets; with several contexts, ``UNIDL_DIST_OVERLAP=0``, or for a step where overlap
cannot apply (``grad_req='add'``, gradients changed between backward and ``step``), all gradients go in one
collective per dtype after backward. Both give the same bits.
"""
from __future__ import annotations

import copy
import os

import warnings
from typing import Any, Dict, List, Optional, Union

import unidl
from unidl.io.atomic import write_bytes_atomic

from .. import optimizer as opt
from ..base import MXNetError
from ..ndarray.ndarray import wrap
from .parameter import Parameter, ParameterDict


class StaleGradientError(MXNetError, UserWarning):
    """A Parameter's gradient was not written by backward since the last step (MXNet raises UserWarning)."""


class Trainer:
    """``Trainer(params, optimizer, optimizer_params)``; ``step(batch_size)`` rescales gradients by
    ``1/batch_size`` and updates every parameter whose ``grad_req`` is not 'null'.

    Args:
        params: a ParameterDict / dict (taken in sorted-name order, as MXNet) or a list of Parameters. A
            parameter's optimizer index is its position in that order.
        optimizer: a registered optimizer name or an ``mx.optimizer.Optimizer`` (then ``optimizer_params``
            must be empty).
        optimizer_params: keyword arguments of the optimizer (``learning_rate``, ``wd``, ``momentum``, ...).
        kvstore: a kvstore type or a KVStore, used when the parameters live on several contexts.
        compression_params: ignored (gradient compression only changes what travels between devices), with a
            warning.
        update_on_kvstore: update the weights on the kvstore (None: MXNet's choice, ``MXNET_UPDATE_ON_KVSTORE``).
    """

    def __init__(self, params: Union[ParameterDict, Dict[str, Parameter], List[Parameter]], optimizer: Any,
                 optimizer_params: Optional[Dict[str, Any]] = None, kvstore: Any = "device",
                 compression_params: Any = None, update_on_kvstore: Optional[bool] = None) -> None:
        if isinstance(params, (dict, ParameterDict)):
            params = [params[k] for k in sorted(list(params.keys()))]
        if not isinstance(params, (list, tuple)):
            raise ValueError(f"First argument must be a list or dict of Parameters, got {type(params)}.")
        self._params: List[Parameter] = []
        self._param2idx: Dict[str, int] = {}
        self._contains_sparse_weight = self._contains_sparse_grad = False
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got list of {type(p)}.")
            self._param2idx[p.name] = i
            self._params.append(p)
            p._set_trainer(self)
            self._contains_sparse_weight |= p._stype != "default"
            self._contains_sparse_grad |= p._grad_stype != "default"
        if compression_params:
            warnings.warn("Trainer: compression_params is ignored by unidl_mxnet (gradient compression only changes "
                          "what travels between devices)", UserWarning, stacklevel=2)
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._distributed = False
        self._bucketer: Any = None
        self._reset_kvstore()
        # the gradient tensor each copy had at its last update: backward installs a new one ("fresh")
        self._seen: Dict[Any, Any] = {}
        for i, p in enumerate(self._params):
            for j, t in enumerate(p._ts or ()):
                if t.grad is not None:
                    self._seen[i, j] = t.grad
        if _is_dist_store(kvstore):
            self._overlap_leaves_ready()  # hooks in place before the first backward (collective)

    def _check_contexts(self) -> Optional[List[Any]]:
        contexts = None
        for p in self._params:
            try:
                ctx = p.list_ctx()
            except MXNetError:
                ctx = None  # not initialized yet: checked again when the kvstore is set up
            if ctx is None:
                continue
            if contexts is not None and contexts != ctx:
                raise MXNetError(f"All Parameters must be initialized on the same set of contexts, but Parameter "
                                 f"{p.name} is initialized on {ctx} while previous Parameters are initialized on "
                                 f"{contexts}.")
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer: Any, optimizer_params: Dict[str, Any]) -> None:
        param_dict = {i: p for i, p in enumerate(self._params)}
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise AssertionError("optimizer_params must be None if optimizer is an instance of Optimizer "
                                     "instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in (self._contexts or [None])]

    # -- kvstore ----------------------------------------------------------------------------------
    def _reset_kvstore(self) -> None:
        """Forget the kvstore (it is set up again, from the parameters' current values, at the next step)."""
        if self.__dict__.get("_kvstore") is not None and "dist" in self._kvstore.type:
            raise RuntimeError("Cannot reset distributed KVStore.")
        self._kv_initialized = False
        self._kvstore: Any = None
        self._update_on_kvstore: Optional[bool] = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self) -> None:
        """Choose the kvstore and where updates happen, as MXNet 1.9 does."""
        from .. import kvstore as kvs

        config = self._kvstore_params
        kv_arg = config["kvstore"]
        n_ctx = len(self._contexts or [None])
        if self._contains_sparse_weight:
            if isinstance(kv_arg, kvs.KVStore):
                kv = kv_arg
            elif isinstance(kv_arg, str):
                kv = kvs.create(kv_arg)
            else:
                raise TypeError(f"Cannot create '{kv_arg}' KVStore with row_sparse parameters. The type must be "
                                "KVStore or str.")
            if not kv.is_capable(kvs.KVStoreBase.OPTIMIZER):
                raise MXNetError("KVStore with sparse weight requires optimizer support. However, type(kv) does not "
                                 "support optimizer.")
            update_on_kvstore = True
            if config["update_on_kvstore"] is False:
                raise ValueError("Cannot set update_on_kvstore=False when sparse weights are present.")
        elif self._contains_sparse_grad:
            kv, _ = self._create_kvstore(kv_arg, n_ctx)
            update_on_kvstore = False
            if config["update_on_kvstore"] is not None:
                update_on_kvstore = config["update_on_kvstore"]
            if kv is not None and not isinstance(kv, kvs.KVStore):
                raise ValueError(f"Cannot use {type(kv)} for multi-device training with sparse gradients")
        else:
            kv, update_on_kvstore = self._create_kvstore(kv_arg, n_ctx)
            if config["update_on_kvstore"] is not None:
                update_on_kvstore = config["update_on_kvstore"]
            if update_on_kvstore and not kv.is_capable(kvs.KVStoreBase.OPTIMIZER):
                if config["update_on_kvstore"]:
                    raise ValueError(f"Please set update_on_kvstore=False when training with {type(kv)}")
                update_on_kvstore = False
        self._distributed = kv is not None and "dist" in kv.type
        if kv is not None:
            if self._compression_params and hasattr(kv, "set_gradient_compression"):
                kv.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kv.set_optimizer(self._optimizer)
            self._kvstore, self._update_on_kvstore = kv, update_on_kvstore
        else:
            self._kvstore, self._update_on_kvstore = None, None
        self._kv_initialized = True

    def _create_kvstore(self, kv_arg: Any, n_ctx: int) -> Any:
        from .. import kvstore as kvs

        update_on_kvstore = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
        if kv_arg is None:
            kv = None
        elif isinstance(kv_arg, kvs.KVStoreBase):
            kv = kv_arg
        elif isinstance(kv_arg, str):
            kv = None if n_ctx == 1 and "dist" not in kv_arg else kvs.create(kv_arg)  # one context needs no store
            if kv is not None and kv_arg == "local":
                sizes = [int(_prod(p.shape)) for p in self._params if p.shape is not None]
                if sizes and max(sizes) > 1024 * 1024 * 16:
                    update_on_kvstore = False
        else:
            raise TypeError("kvstore must be KVStore, str or None")
        if kv is None:
            return None, False
        return kv, update_on_kvstore and kv.is_capable(kvs.KVStoreBase.OPTIMIZER)

    def _init_params(self) -> None:
        """Put the parameters whose data exists into the kvstore (the rest wait for their deferred init)."""
        if not self._kv_initialized:
            raise MXNetError("Cannot initialize parameters in KVStore when KVStore is not initialized.")
        waiting = []
        if self._kvstore:
            for p in self._params_to_init:
                if p._ts is None:
                    waiting.append(p)
                    continue
                arrays = [wrap(t) for t in p._ts]
                idx = self._param2idx[p.name]
                if p._stype != "default":
                    self._kvstore.init(idx, arrays[0])
                else:
                    self._kvstore.broadcast(idx, arrays[0], arrays)
        self._params_to_init = waiting

    def _prepare(self) -> None:
        with unidl.no_grad():  # kvstore copies are not part of any graph (row_sparse_data runs inside record())
            self._prepare_kv()

    def _prepare_kv(self) -> None:
        if not self._kv_initialized:
            if self._contexts is None:
                self._contexts = self._check_contexts()
                if self._contexts is not None and len(self._contexts) != len(self._updaters):
                    self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    def _row_sparse_pull(self, parameter: Parameter, out: Any, row_id: Any, full_idx: bool = False) -> None:
        """Pull the rows ``row_id`` of ``parameter`` from the kvstore into ``out``."""
        self._prepare()
        idx = self._param2idx[parameter.name]
        with unidl.no_grad():
            if full_idx:
                self._kvstore.pull(idx, out=out, priority=-idx, ignore_sparse=False)
            else:
                self._kvstore.row_sparse_pull(idx, out=out, row_ids=row_id, priority=-idx)

    # -- learning rate ----------------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        """Set the optimizer's learning rate (UserWarning when it has an lr_scheduler, as MXNet)."""
        self._optimizer.set_learning_rate(lr)

    # -- steps ------------------------------------------------------------------------------------
    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Sum the gradients across contexts, rescale them by ``1/batch_size`` (times the optimizer's
        ``rescale_grad``) and update.

        Raises StaleGradientError (an MXNetError and a UserWarning) when a parameter's gradient was not written
        by backward since the last step, unless ``ignore_stale_grad`` (then such parameters are skipped).
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        if self._kv_initialized and not self._params_to_init and self._kvstore is None:
            self._update(ignore_stale_grad)  # the common case: one context, nothing to reduce
            return
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum each parameter's gradients across its contexts (for use before :meth:`update`)."""
        self._prepare()
        if self._kvstore and self._update_on_kvstore:
            raise AssertionError("allreduce_grads() when parameters are updated on kvstore is not supported. Try "
                                 "setting `update_on_kvstore` to False when creating trainer.")
        self._allreduce_grads()

    def _allreduce_grads(self) -> None:
        kv = self._kvstore
        if not kv:
            return
        if _is_dist_store(kv) and self._overlapped(kv):
            return
        if getattr(kv, "_unidl_bucketed", False):
            self._allreduce_bucketed(kv)
            return
        for i, p in enumerate(self._params):
            if p.grad_req == "null" or p._ts is None:
                continue
            grads = [wrap(t.grad) for t in p._ts]
            if p._grad_stype != "default":
                self._push_pull_sparse(kv, i, p, grads)
            elif self._update_on_kvstore:
                kv.pushpull(i, grads, out=[wrap(t) for t in p._ts], priority=-i)
            else:
                kv.pushpull(i, grads, priority=-i)

    # -- overlapped reduction (data parallel) -------------------------------------------------------
    def _overlap_members(self) -> Optional[List[int]]:
        """Indices of the parameters whose gradients overlap backward, or None where overlap does not apply
        (turned off, one rank, sparse gradients, several contexts, a GPU or uninitialized parameter)."""
        import unidl.distributed as dist

        if not dist.overlap_enabled() or self._contains_sparse_grad or self._contains_sparse_weight:
            return None
        if not dist.is_initialized() or dist.size() < 2:
            return None
        members = []
        for i, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            ts = p._ts
            if ts is None or len(ts) != 1 or ts[0].device.type != "cpu":
                return None
            members.append(i)
        return members or None

    def _overlap_leaves_ready(self) -> Optional[List[int]]:
        """The members when a bucketer serves them; else make one (collective: every rank gets here at the same
        step) for the next backward and return None, or drop it where overlap no longer applies."""
        members = self._overlap_members()
        if members is None:
            self._drop_bucketer()
            return None
        leaves = [self._params[i]._ts[0] for i in members]
        b = self._bucketer
        if b is not None and b.matches(leaves):
            return members
        self._drop_bucketer()
        from unidl import distributed as dist
        from unidl.grad_buckets import GradientBucketer

        try:
            self._bucketer = GradientBucketer(leaves, "sum", name=self._overlap_name())
        except dist.DistributedError as e:
            raise MXNetError(str(e)) from None
        self._bucket_members = members
        return None

    def _overlap_name(self) -> str:
        return "gluon.Trainer"

    def _drop_bucketer(self) -> None:
        if self._bucketer is not None:
            self._bucketer.close()
            self._bucketer = None

    def _overlap_results(self) -> Optional[List[Any]]:
        """This step's gradients summed over the ranks by the buckets (NDArrays, in member order), or None when
        the caller must reduce them after backward."""
        members = self._overlap_leaves_ready()
        if members is None:
            return None
        from unidl import distributed as dist
        from unidl.tensor import Tensor

        try:
            res = self._bucketer.finish(verify=True)
        except dist.DistributedError as e:
            raise MXNetError(str(e)) from None
        if res is None or any(a is None for a in res):
            return None
        return [wrap(Tensor._from_any(a, self._params[i]._ts[0].device)) for i, a in zip(members, res)]

    def _overlapped(self, kv: Any) -> bool:
        """Hand the store the gradients the buckets reduced during backward; False when there are none."""
        reduced = self._overlap_results()
        if reduced is None:
            return False
        keys = self._bucket_members
        if self._update_on_kvstore:
            outs = [[wrap(t) for t in self._params[i]._ts] for i in keys]
        else:
            outs = [[wrap(t.grad) for t in self._params[i]._ts] for i in keys]
        kv._pushpull_reduced(keys, reduced, outs)
        return True

    def _push_pull_sparse(self, kv: Any, i: int, p: Any, grads: List[Any]) -> None:
        """A sparse gradient goes through push and (for a dense weight) pull, never pushpull, as in MXNet."""
        kv.push(i, grads, priority=-i)
        if p._stype == "default":
            kv.pull(i, [wrap(t) for t in p._ts] if self._update_on_kvstore else grads, priority=-i,
                    ignore_sparse=self._distributed)

    def _allreduce_bucketed(self, kv: Any) -> None:
        """All dense gradients in one pushpull (one collective per dtype on a distributed store)."""
        keys, grads, outs = [], [], []
        for i, p in enumerate(self._params):
            if p.grad_req == "null" or p._ts is None:
                continue
            g = [wrap(t.grad) for t in p._ts]
            if p._grad_stype != "default":
                self._push_pull_sparse(kv, i, p, g)
                continue
            keys.append(i)
            grads.append(g)
            outs.append([wrap(t) for t in p._ts] if self._update_on_kvstore else g)
        if keys:
            kv.pushpull(keys, grads, out=outs)

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Like :meth:`step` without the all-reduce (for use after ``allreduce_grads``)."""
        self._prepare()
        if self._kvstore and self._update_on_kvstore:
            raise AssertionError("update() when parameters are updated on kvstore is not supported. Try setting "
                                 "`update_on_kvstore` to False when creating trainer.")
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        on_kv = bool(self._kvstore and self._update_on_kvstore)
        n = len(self._updaters)
        todo: List[List[Any]] = [[] for _ in range(n)]
        seen = self._seen
        for i, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            ts = p._ts
            if ts is None:
                raise p._not_ready()
            for j, t in enumerate(ts):
                g = t.grad
                fresh = g is not None and g is not seen.get((i, j))
                if not fresh and not ignore_stale_grad:
                    raise StaleGradientError(
                        f"Gradient of Parameter `{p.name}` on context {p._ctx_list[j]} has not been updated by "
                        "backward since last `step`. This could mean a bug in your model that made it only use a "
                        "subset of the Parameters (Blocks) for this iteration. If you are intentionally only "
                        "using a subset, call step with ignore_stale_grad=True to suppress this warning and skip "
                        "updating of Parameters with stale gradient")
                if on_kv or not fresh:
                    continue  # as MXNet, updates on the kvstore leave the copies' gradients "fresh"
                seen[i, j] = g
                todo[min(j, n - 1)].append((i, g, t))
        if on_kv:
            return
        for updater, items in zip(self._updaters, todo):
            if items:
                updater([i for i, _, _ in items], [wrap(g) for _, g, _ in items], [wrap(t) for _, _, t in items])

    # -- states ----------------------------------------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Save the optimizer states (momentum, ...) and the optimizer's settings and counters to ``fname``.

        The file is unidl's trainer-states format (:mod:`unidl_mxnet.optimizer.states_file`): an MXNet
        NDArray-dict file with one array per state slot under ``"<index>:<slot>"`` and a JSON header under
        ``"__unidl_trainer_states__"`` (update counts, ``num_update``, learning rate, hyper-parameters,
        lr_scheduler). MXNet itself writes a pickle here; unidl does not. As in MXNet, the parameters'
        ``lr_mult``/``wd_mult`` (``param_dict``) are not saved. Written atomically.
        """
        self._prepare()
        if self._update_on_kvstore and self._params_to_init:
            raise MXNetError("Cannot save trainer states when some parameters are not yet initialized in kvstore.")
        write_bytes_atomic(fname, self._active_updater().get_states(dump_optimizer=True))

    def _active_updater(self) -> Any:
        """The updater holding the optimizer states: the kvstore's when updates happen there."""
        if self._kvstore is not None and self._update_on_kvstore:
            return self._kvstore._updater
        return self._updaters[0]

    def load_states(self, fname: str) -> None:
        """Load states written by :meth:`save_states` (here). A file written by real MXNet is a pickle and is
        refused with an error saying so (unidl never unpickles)."""
        with open(fname, "rb") as f:
            data = f.read()
        from ..optimizer import states_file

        states, dump = states_file.loads(data, str(fname))
        self._prepare()
        updater = self._active_updater()
        opt = states_file.restore_optimizer(dump, self._optimizer) if dump is not None else self._optimizer

        def reference(index: Any) -> Any:
            if not isinstance(index, int) or not 0 <= index < len(self._params):
                return states_file.NO_PARAMETER
            return opt.create_state_multi_precision(index, wrap(self._params[index]._check()))

        states_file.check_states(states, reference, str(fname))
        opt.param_dict = {i: p for i, p in enumerate(self._params)}
        self._try_step(opt, states, str(fname))
        updaters = [updater] if updater is not self._updaters[0] else self._updaters
        for u in updaters:
            u.states = {k: _copied(v) for k, v in states.items()} if u is not updater else states
            u.states_synced = dict.fromkeys(states.keys(), False)
            u.optimizer = opt
        if updater is not self._updaters[0]:
            self._kvstore._optimizer = opt
        self._optimizer = opt
        self._optimizer.param_dict = {i: p for i, p in enumerate(self._params)}

    def _try_step(self, opt: Any, states: Dict[Any, Any], fname: str) -> None:
        """Refuse a states file whose optimizer settings and states cannot take a step: one update of every
        state's parameter runs on copies (weights, states, counters, scheduler), so nothing here changes."""
        from ..optimizer import states_file

        probe = copy.copy(opt)
        probe._all_index_update_counts = {k: dict(v) for k, v in opt._all_index_update_counts.items()}
        probe._index_update_count = probe._all_index_update_counts.setdefault(0, {})
        if getattr(opt, "lr_scheduler", None) is not None:
            probe.lr_scheduler = copy.copy(opt.lr_scheduler)
        try:
            for index, state in states.items():
                weight = wrap(self._params[index]._check()).copy()
                probe.update_multi_precision(index, weight, weight.zeros_like(), _copied(state))
        except Exception as e:  # noqa: BLE001 - a dry run: whatever fails, the file's settings are at fault
            raise states_file.TrainerStatesError(f"{fname}: the optimizer cannot take a step with the settings and "
                                                 f"states in the file ({type(e).__name__}: {e})") from None


def _is_dist_store(kv: Any) -> bool:
    """Whether ``kv`` (a KVStore, a type name or None) reduces over MPI ranks."""
    if kv is None:
        return False
    if isinstance(kv, str):
        return kv.startswith("dist")  # 'horovod' by name with one context makes no store (as MXNet)
    return hasattr(kv, "_pushpull_reduced")


def _prod(shape: Any) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _copied(state: Any) -> Any:
    if isinstance(state, (tuple, list)):
        return type(state)(_copied(s) for s in state)
    return None if state is None else state.copy()


__all__ = ["Trainer", "StaleGradientError"]
