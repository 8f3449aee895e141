"""``keras.losses.Loss``: the base class, and the weighting/masking/reduction every loss shares.

A loss is computed in two steps, as in Keras 3:

1. ``call(y_true, y_pred)`` gives the per-sample losses ``values`` (e.g. shape ``(batch,)`` for a
   ``(batch, C)`` prediction);
2. :func:`reduce_weighted_values` merges ``sample_weight`` and any Keras mask (of ``y_pred`` or of
   the losses) into one weight, multiplies, and reduces by ``reduction``:

   - ``'sum_over_batch_size'`` / ``'mean'``: ``sum(values * w) / values.size`` (a mask rescales its
     valid entries by ``size / n_valid``, so this is the mean over valid entries);
   - ``'mean_with_sample_weight'``: ``sum(values * w) / sum(w)``;
   - ``'sum'``: ``sum(values * w)``;
   - ``'none'`` / ``None``: ``values * w`` unreduced.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor, snake_case, unique_name
from ..backend.masks import get_mask

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction: Any) -> Optional[str]:
    """``reduction`` checked against the names Keras 3 accepts (ValueError otherwise)."""
    if reduction not in REDUCTIONS:
        allowed = "{" + ", ".join(repr(r) if r is not None else "None" for r in REDUCTIONS) + "}"
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {allowed}. "
                         f"Received: reduction={reduction}")
    return reduction


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True) -> Tuple[Tensor, Tensor]:
    """Make two tensors' ranks agree when they differ by one and the longer one ends in a size-1 axis.

    That axis is squeezed, except when the shorter tensor is 1-d (and ``expand_rank_1``): then the
    shorter one gains a trailing axis instead (``(B,)`` with ``(B, 1)`` -> ``(B, 1)``, ``(B, 1)``).
    Any other rank difference is left alone (broadcasting decides).
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def divide_no_nan(a: Tensor, b: Any) -> Tensor:
    """``a / b`` with 0 where ``b == 0`` (and a finite gradient there)."""
    b = b if isinstance(b, Tensor) else unidl.tensor(b, dtype=a.dtype)
    zero = ops.equal(b, 0)
    safe = ops.where(zero, ops.ones_like(b), b)
    return ops.where(zero, ops.zeros_like(ops.divide(a, safe)), ops.divide(a, safe))


def _size(t: Tensor) -> int:
    n = 1
    for d in t.shape:
        n *= int(d)
    return n


def apply_mask(sample_weight: Optional[Tensor], mask: Any, dtype: Any, reduction: Optional[str]) -> Optional[Tensor]:
    """Fold a boolean ``mask`` into ``sample_weight``.

    For the averaging reductions (``'mean'``, ``'sum_over_batch_size'``) valid entries weigh
    ``mask.size / n_valid`` (0 valid -> 0), so the later division by ``values.size`` yields the mean
    over valid entries. Otherwise the mask is a 0/1 weight.
    """
    if mask is None:
        return sample_weight
    m = convert_to_tensor(mask)
    mbool = m if m.dtype == bool else ops.not_equal(m, 0)
    fmask = ops.astype(mbool, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = ops.sum(fmask)
        scale = divide_no_nan(unidl.tensor(float(_size(fmask)), dtype=dtype), valid)
        fmask = ops.where(mbool, ops.multiply(ops.ones_like(fmask), scale), ops.zeros_like(fmask))
    if sample_weight is None:
        return fmask
    sw = ops.astype(sample_weight, dtype) if sample_weight.dtype != fmask.dtype else sample_weight
    fmask, sw = squeeze_or_expand_to_same_rank(fmask, sw)
    return ops.multiply(sw, fmask)


def reduce_values(values: Tensor, sample_weight: Optional[Tensor] = None,
                  reduction: Optional[str] = "sum_over_batch_size") -> Tensor:
    """Reduce already-weighted ``values`` (see the module docstring); scalars and empty 1-d pass through."""
    if reduction is None or reduction == "none" or values.shape == () or values.shape == (0,):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = ops.astype(ops.sum(sample_weight), total.dtype)
    else:
        n = _size(values)
        if n:  # a positive count: divide_no_nan's guard would select this very quotient
            return ops.divide(total, unidl.tensor(float(n), dtype=total.dtype))
        divisor = unidl.tensor(0.0, dtype=total.dtype)
    return divide_no_nan(total, divisor)


def _check_broadcast(values: Tensor, weight: Tensor) -> None:
    a, b = values.shape, weight.shape
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            raise ValueError(f"`sample_weight` of shape {tuple(b)} cannot be broadcast to the per-sample losses "
                             f"of shape {tuple(a)}; pass one weight per sample (shape {tuple(a[:1])}) or one per "
                             "loss entry.")


def reduce_weighted_values(values: Any, sample_weight: Any = None, mask: Any = None,
                           reduction: Optional[str] = "sum_over_batch_size", dtype: Any = None) -> Tensor:
    """Weight (``sample_weight`` x mask), then reduce per-sample ``values`` by ``reduction``.

    Shapes: values (B, ...); sample_weight broadcastable to values after the rank fix of
    :func:`squeeze_or_expand_to_same_rank` (e.g. (B,) or (B, 1) for values (B,)); mask bool like values.
    Returns a scalar, or values' shape for ``'none'``/``None``.
    """
    reduction = standardize_reduction(reduction)
    values = convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = convert_to_tensor(sample_weight, dtype=values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        if sample_weight.dtype != values.dtype:
            sample_weight = ops.astype(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        _check_broadcast(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of Keras losses: subclasses implement ``call(y_true, y_pred) -> per-sample losses``.

    Args:
        name: the loss name (default: the snake-cased class name, made unique).
        reduction: one of ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'``, ``'none'``, ``None``.
        dtype: the computation dtype (default ``keras.config.floatx()``); both inputs are converted to it.

    ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced loss (a scalar Tensor, or the
    weighted per-sample losses for ``'none'``).
    """

    def __init__(self, name: Optional[str] = None, reduction: Optional[str] = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = config.standardize_dtype(getattr(dtype, "compute_dtype", dtype) or config.floatx())

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        in_mask = get_mask(y_pred)
        if _structure_of_arrays(y_pred):  # a loss over several outputs (compile's structured losses)
            from ..utils import tree

            in_mask = None
            y_pred = tree.map_structure(lambda x: convert_to_tensor(x, dtype=self.dtype), y_pred)
            y_true = tree.map_structure(lambda x: convert_to_tensor(x, dtype=self.dtype), y_true)
        else:
            y_pred = convert_to_tensor(y_pred, dtype=self.dtype)
            y_true = convert_to_tensor(y_true, dtype=self.dtype)
        losses = self.call(y_true, y_pred)
        out_mask = get_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(in_mask, out_mask)
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction,
                                      dtype=self.dtype)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`")

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _structure_of_arrays(x: Any) -> bool:
    """A list/tuple/dict whose leaves are all Tensors (model outputs), not a list of numbers or arrays."""
    if isinstance(x, dict):
        return bool(x) and all(isinstance(v, Tensor) or _structure_of_arrays(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return bool(x) and all(isinstance(v, Tensor) or _structure_of_arrays(v) for v in x)
    return False
