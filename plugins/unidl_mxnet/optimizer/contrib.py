"""``mx.optimizer.contrib``: ``GroupAdaGrad`` (arithmetic: :func:`unidl.nn.optim.group_adagrad`)."""
from __future__ import annotations

from typing import Any

from unidl.nn import optim

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from .optimizer import Optimizer, _check_nd, register


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one learning rate per row of a 2-d weight (``mx.optimizer.contrib.GroupAdaGrad``)::

        g' = clip(rescale_grad * g);  history += mean(g'^2, axis=1, keepdims=True)
        w = w - lr * g' / sqrt(history + eps)

    States: ``history`` of shape ``(rows, 1)``, float32. Weight decay is not supported (``wd`` must be 0).
    """

    def __init__(self, eps: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> Any:
        from ..ndarray.ops import zeros

        if len(weight.shape) != 2:
            raise MXNetError(f"GroupAdaGrad: the weight must be 2-d (rows of one learning rate each), got shape "
                             f"{weight.shape}")
        return zeros((weight.shape[0], 1), weight.context)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("GroupAdaGrad", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        if wd != 0:
            raise MXNetError(f"GroupAdaGrad: weight decay is not supported (wd={wd} for parameter {index!r})")
        optim.group_adagrad(weight.tensor, grad.tensor, state.tensor, lr=lr, epsilon=self.float_stable_eps,
                            rescale_grad=self.rescale_grad, clip_gradient=self.clip_gradient)


__all__ = ["GroupAdaGrad"]
