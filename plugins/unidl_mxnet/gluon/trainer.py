"""``gluon.Trainer``: applies an optimizer to a set of Parameters after backward."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

from .. import optimizer as opt
from ..base import MXNetError
from .parameter import Parameter, ParameterDict


class Trainer:
    """``Trainer(params, optimizer, optimizer_params)``; ``step(batch_size)`` rescales gradients by
    ``1/batch_size`` and updates every parameter whose ``grad_req`` is not 'null'."""

    def __init__(self, params: Union[ParameterDict, Dict[str, Parameter], List[Parameter]], optimizer: Any,
                 optimizer_params: Optional[Dict[str, Any]] = None, kvstore: Any = "device",
                 compression_params: Any = None, update_on_kvstore: Optional[bool] = None) -> None:
        if isinstance(params, (dict, ParameterDict)):
            params = list(params.values())
        if not isinstance(params, (list, tuple)):
            raise ValueError("First argument must be a list or dict of Parameters, got "
                             f"{type(params).__name__}.")
        for p in params:
            if not isinstance(p, Parameter):
                raise ValueError(f"First argument must be a list or dict of Parameters, got list of {type(p)}.")
        self._params: List[Parameter] = list(params)
        self._scale = (optimizer_params or {}).get("rescale_grad", 1.0)
        self._optimizer = opt.create(optimizer, **(optimizer_params or {}))
        for i, p in enumerate(self._params):
            self._optimizer.lr_mult[i] = p.lr_mult
            self._optimizer.wd_mult[i] = p.wd_mult
        self._states: Dict[int, Any] = {}
        self._seen: Dict[int, Any] = {}

    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    def set_learning_rate(self, lr: float) -> None:
        self._optimizer.set_learning_rate(lr)

    def allreduce_grads(self) -> None:
        """One device: nothing to reduce."""

    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Rescale gradients by ``1/batch_size`` and update the parameters."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self.update(batch_size, ignore_stale_grad, _rescaled=True)

    def update(self, batch_size: int, ignore_stale_grad: bool = False, _rescaled: bool = False) -> None:
        """Update the parameters (after ``allreduce_grads``)."""
        if not _rescaled:
            self._optimizer.rescale_grad = self._scale / batch_size
        for i, p in enumerate(self._params):
            if p.grad_req == "null":
                continue
            t = p._check()
            if t.grad is self._seen.get(i):
                if ignore_stale_grad:
                    continue
                raise MXNetError(
                    f"Gradient of Parameter `{p.name}` on context {p.list_ctx()[0]} has not been updated by "
                    "backward since last `step`. This could mean a bug in your model that made it only use a "
                    "subset of the Parameters (Blocks) for this iteration. If you are intentionally only "
                    "using a subset, call step with ignore_stale_grad=True to suppress this warning and skip "
                    "updating of Parameters with stale gradient")
            self._seen[i] = t.grad
            if i not in self._states:
                self._states[i] = self._optimizer.create_state(i, p.data())
            self._optimizer.update(i, p.data(), p.grad(), self._states[i])
