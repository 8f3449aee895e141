"""Running ``Sum``, weighted ``Mean`` and ``MeanMetricWrapper`` (the mean of a per-sample function)."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from unidl import ops
from unidl.tensor import Tensor

from ..backend.common import convert_to_tensor
from ..backend.masks import get_mask
from ..losses.loss import apply_mask, squeeze_or_expand_to_same_rank
from .metric import Metric


def _as(x: Any, dtype: str) -> Tensor:
    if isinstance(x, Tensor) and x.dtype == dtype:  # already right: skip the dtype standardization
        return x
    return convert_to_tensor(x, dtype=dtype)


def _accumulate(var: Any, value: Any) -> None:
    """``var.assign_add(value)`` for a metric's state (metric methods run without autograd): the same add,
    its result kept without ``assign``'s conversions; ``assign_add`` itself if the sum's shape or dtype
    differs from the variable's (it checks and casts)."""
    out = ops.add(var, value)
    if out.shape == var.shape and out.dtype == var.dtype and out.data is not var.data:
        var.data = out.data
    else:
        var.assign_add(value)


def reduce_to_samplewise_values(values: Any, sample_weight: Any, reduce_fn: Callable[..., Tensor],
                                dtype: str) -> Tuple[Tensor, Optional[Tensor]]:
    """Per-sample weighted values and per-sample weights, as Keras's Mean/Sum accumulate them.

    ``values`` (B, ...) is weighted by ``sample_weight`` (rank-aligned and broadcast; a mask on
    ``values`` multiplies in), then axes beyond the weight's rank and beyond the batch axis are
    reduced with ``reduce_fn`` (mean for ``Mean``, sum for ``Sum``).
    Returns ``(values (B,) or scalar, sample_weight (B,) or None)``.
    """
    mask = get_mask(values)
    values = _as(values, dtype)
    if sample_weight is not None:
        sample_weight = _as(sample_weight, dtype)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        w_nd, v_nd = sample_weight.ndim, values.ndim
        if v_nd > w_nd:
            values = reduce_fn(values, axis=tuple(range(w_nd, v_nd)))
        sample_weight = ops.broadcast_to(sample_weight, values.shape)
        values = ops.multiply(values, sample_weight)
        if w_nd > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, w_nd)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The running (weighted) sum of the values given to ``update_state(values, sample_weight=None)``."""

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        _accumulate(self.total, ops.sum(values))

    def result(self) -> Tensor:
        return ops.astype(self.total._plain(), self.dtype)


class Mean(Metric):
    """The running weighted mean ``sum(w * v) / sum(w)`` of the values given to ``update_state``.

    Values of shape (B, ...) count as B samples (inner axes are averaged first).
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        if (type(sample_weight) in (int, float) and isinstance(values, Tensor) and values.ndim == 0
                and values.dtype == self.dtype and get_mask(values) is None):
            # a scalar with a count (the trainer's loss tracker, every batch): the general path's float
            # ops without its rank juggling -- total += value * w, count += w
            w = convert_to_tensor(sample_weight, dtype=self.dtype)
            _accumulate(self.total, ops.multiply(values, w))
            _accumulate(self.count, w)
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, ops.mean, self.dtype)
        _accumulate(self.total, ops.sum(values))
        if sample_weight is not None:
            n: Any = ops.sum(sample_weight)
        else:
            n = float(values.shape[0]) if values.ndim >= 1 else 1.0
        _accumulate(self.count, n)

    def result(self) -> Tensor:
        from ..losses.loss import divide_no_nan

        return divide_no_nan(self.total._plain(), self.count._plain())


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` (per-sample values), weighted by ``sample_weight``.

    Args:
        fn: a per-sample function such as ``keras.losses.mean_squared_error``.
        name, dtype: as :class:`Metric`.
        **kwargs: passed to ``fn`` on every call.
    """

    def __init__(self, fn: Callable[..., Any], name: Optional[str] = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = get_mask(y_pred)
        y_true, y_pred = convert_to_tensor(y_true), convert_to_tensor(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if sample_weight is not None:
            sample_weight = _as(sample_weight, self.dtype)
        sample_weight = apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> Dict[str, Any]:
        from ..losses import serialize

        return {"name": self.name, "dtype": self.dtype, "fn": serialize(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "MeanMetricWrapper":
        from . import _deserialize_fn

        config = dict(config)
        if "fn" in config and not callable(config["fn"]):
            config["fn"] = _deserialize_fn(config["fn"])
        return cls(**config)
