"""``gluon.Trainer``: applies an optimizer to a set of Parameters after backward (MXNet 1.9 semantics).

One device, so no kvstore is ever created: ``kvstore`` and ``update_on_kvstore`` are accepted (as MXNet does
with a single context, they change nothing), ``compression_params`` is ignored with a warning, and a
``dist_*`` kvstore is refused. Updates go through ``mx.optimizer.Updater`` as in MXNet.
"""
from __future__ import annotations

import copy

import warnings
from typing import Any, Dict, List, Optional, Union

from unidl.io.atomic import write_bytes_atomic

from .. import optimizer as opt
from ..base import MXNetError
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
        kvstore, update_on_kvstore: accepted; one device needs no kvstore (MXNet creates none either).
        compression_params: ignored (gradient compression is a multi-device feature), with a warning.
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
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got list of {type(p)}.")
            self._param2idx[p.name] = i
            self._params.append(p)
        if isinstance(kvstore, str) and "dist" in kvstore:
            raise MXNetError(f"Trainer(kvstore={kvstore!r}): distributed training is not supported by unidl_mxnet "
                             "(one process, one device)")
        if compression_params:
            warnings.warn("Trainer: compression_params is ignored by unidl_mxnet (gradient compression only applies "
                          "to multi-device kvstores)", UserWarning, stacklevel=2)
        self._compression_params = compression_params
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kvstore = None
        self._update_on_kvstore = None
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        # the gradient tensor each parameter had at its last update: backward installs a new one ("fresh")
        self._seen: Dict[int, Any] = {}
        for i, p in enumerate(self._params):
            if p._t is not None and p._t.grad is not None:
                self._seen[i] = p._t.grad

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
        self._updaters = [opt.get_updater(self._optimizer)]

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

    def allreduce_grads(self) -> None:
        """One device: nothing to reduce."""

    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Rescale gradients by ``1/batch_size`` (times the optimizer's ``rescale_grad``) and update.

        Raises StaleGradientError (an MXNetError and a UserWarning) when a parameter's gradient was not written
        by backward since the last step, unless ``ignore_stale_grad`` (then such parameters are skipped).
        """
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Like :meth:`step` without the all-reduce (for use after ``allreduce_grads``)."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _fresh(self, i: int, p: Parameter) -> bool:
        t = p._check()
        return t.grad is not None and t.grad is not self._seen.get(i)

    def _update(self, ignore_stale_grad: bool = False) -> None:
        todo = []
        for i, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            fresh = self._fresh(i, p)
            if not fresh and not ignore_stale_grad:
                raise StaleGradientError(
                    f"Gradient of Parameter `{p.name}` on context {p.list_ctx()[0]} has not been updated by "
                    "backward since last `step`. This could mean a bug in your model that made it only use a "
                    "subset of the Parameters (Blocks) for this iteration. If you are intentionally only "
                    "using a subset, call step with ignore_stale_grad=True to suppress this warning and skip "
                    "updating of Parameters with stale gradient")
            if fresh:
                todo.append((i, p))
        if not todo:
            return
        for i, p in todo:
            self._seen[i] = p._t.grad
        idx = [i for i, _ in todo]
        self._updaters[0](idx, [p.grad() for _, p in todo], [p.data() for _, p in todo])

    # -- states ----------------------------------------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Save the optimizer states (momentum, ...) and the optimizer's settings and counters to ``fname``.

        The file is unidl's trainer-states format (:mod:`unidl_mxnet.optimizer.states_file`): an MXNet
        NDArray-dict file with one array per state slot under ``"<index>:<slot>"`` and a JSON header under
        ``"__unidl_trainer_states__"`` (update counts, ``num_update``, learning rate, hyper-parameters,
        lr_scheduler). MXNet itself writes a pickle here; unidl does not. As in MXNet, the parameters'
        ``lr_mult``/``wd_mult`` (``param_dict``) are not saved. Written atomically.
        """
        write_bytes_atomic(fname, self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname: str) -> None:
        """Load states written by :meth:`save_states` (here). A file written by real MXNet is a pickle and is
        refused with an error saying so (unidl never unpickles)."""
        with open(fname, "rb") as f:
            data = f.read()
        from ..optimizer import states_file

        states, dump = states_file.loads(data, str(fname))
        updater = self._updaters[0]
        opt = states_file.restore_optimizer(dump, self._optimizer) if dump is not None else self._optimizer

        def reference(index: Any) -> Any:
            if not isinstance(index, int) or not 0 <= index < len(self._params):
                return states_file.NO_PARAMETER
            return opt.create_state_multi_precision(index, self._params[index].data())

        states_file.check_states(states, reference, str(fname))
        opt.param_dict = {i: p for i, p in enumerate(self._params)}
        self._try_step(opt, states, str(fname))
        updater.states = states
        updater.states_synced = dict.fromkeys(states.keys(), False)
        updater.optimizer = opt
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
                weight = self._params[index].data().copy()
                probe.update_multi_precision(index, weight, weight.zeros_like(), _copied(state))
        except Exception as e:  # noqa: BLE001 - a dry run: whatever fails, the file's settings are at fault
            raise states_file.TrainerStatesError(f"{fname}: the optimizer cannot take a step with the settings and "
                                                 f"states in the file ({type(e).__name__}: {e})") from None


def _copied(state: Any) -> Any:
    if isinstance(state, (tuple, list)):
        return type(state)(_copied(s) for s in state)
    return None if state is None else state.copy()


__all__ = ["Trainer", "StaleGradientError"]
