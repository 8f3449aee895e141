"""``mx.optimizer.Ftrl``: MXNet 1.9's FTRL-proximal (arithmetic: :func:`unidl.nn.optim.ftrl`)."""
from __future__ import annotations

from typing import Any

from unidl.nn import optim

from ..ndarray.ndarray import NDArray
from .optimizer import Optimizer, _check_nd, _lazy_rows, _on_rows, _zeros_like, register


@register
class Ftrl(Optimizer):
    """FTRL-proximal (``mx.optimizer.Ftrl``; default learning rate 0.1)::

        g' = clip(rescale_grad * g)
        z = z + g' - (sqrt(n + g'^2) - sqrt(n)) * w / lr;  n = n + g'^2
        w = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)

    States: ``(z, n)``, of the weight's storage type. A row_sparse weight with a row_sparse gradient is updated
    lazily (only the gradient's rows), as MXNet's sparse ``ftrl_update``. As in MXNet, ``learning_rate`` is set
    after the base class, so an ``lr_scheduler``'s ``base_lr`` is not overridden by it.
    """

    def __init__(self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight, weight.stype), _zeros_like(weight, weight.stype))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("Ftrl", weight=weight, grad=grad)
        self._update_count(index)
        wd, lr = self._get_wd(index), self._get_lr(index)
        z, n = state

        def rule(wt: Any, gt: Any, zt: Any, nt: Any) -> None:
            optim.ftrl(wt, gt, zt, nt, lr=lr, lamda1=self.lamda1, beta=self.beta, weight_decay=wd,
                       rescale_grad=self.rescale_grad, clip_gradient=self._fused_clip())
        # MXNet's ftrl_update is lazy when the weight and its states are row_sparse too
        rows = _lazy_rows(grad) if weight.stype == "row_sparse" and z.stype == n.stype == "row_sparse" else None
        if rows is not None:
            _on_rows(rows, rule, weight, grad, z, n)
        else:
            rule(weight.tensor, grad.tensor, z.tensor, n.tensor)


__all__ = ["Ftrl"]
