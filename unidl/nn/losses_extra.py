"""Loss math beyond :mod:`unidl.nn.losses`, same conventions (per sample, ``(y_true, y_pred)``,
framework-neutral; callers reduce over the batch)."""
from __future__ import annotations

from typing import Any

from .. import ops
from ..tensor import Tensor
from .losses import EPSILON, Axis, _mean, _pair, binary_crossentropy

__all__ = ["binary_focal_crossentropy"]


def binary_focal_crossentropy(y_true: Any, y_pred: Any, *, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: Axis = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``binary_focal_crossentropy`` (Lin et al. 2017), averaged over ``axis``.

    With ``t`` the (smoothed: ``t (1 - s) + s / 2``) label and ``p`` the probability
    (``sigmoid(y_pred)`` when ``from_logits``), the elementwise loss is
    ``(1 - p_t)^gamma * bce(t, p)`` where ``p_t = t p + (1 - t)(1 - p)`` and ``bce`` is the clipped
    binary crossentropy of :func:`unidl.nn.losses.binary_crossentropy`; ``apply_class_balancing``
    multiplies by ``alpha t + (1 - alpha)(1 - t)``.
    Shapes: (...) -> mean over ``axis`` (``None``: elementwise).
    """
    t, p = _pair(y_true, y_pred)
    if label_smoothing:
        s = float(label_smoothing)
        t = ops.add(ops.multiply(t, 1.0 - s), 0.5 * s)
    if from_logits:
        p = ops.sigmoid(p)
    bce = binary_crossentropy(t, p, axis=None, epsilon=epsilon)
    p_t = ops.add(ops.multiply(t, p), ops.multiply(ops.subtract(1.0, t), ops.subtract(1.0, p)))
    loss = ops.multiply(ops.power(ops.subtract(1.0, p_t), float(gamma)), bce)
    if apply_class_balancing:
        a = float(alpha)
        loss = ops.multiply(ops.add(ops.multiply(t, a), ops.multiply(ops.subtract(1.0, t), 1.0 - a)), loss)
    return _mean(loss, axis)
