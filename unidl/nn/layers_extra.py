"""Layer math beyond :mod:`unidl.nn.functional`: parametric activations and per-instance / per-group
normalisation, framework-neutral and channels-first (frontends move their layouts to it). Everything is
written with :mod:`unidl.ops`, so it runs on any device and differentiates."""
from __future__ import annotations

from typing import Optional

from .. import ops
from ..errors import OpError
from ..tensor import Tensor

__all__ = ["prelu", "swish", "instance_norm", "group_norm"]


def prelu(x: Tensor, alpha: Tensor) -> Tensor:
    """Parametric ReLU: ``x`` where ``x > 0``, else ``alpha * x``.

    Shapes: x (...), alpha broadcastable to x (e.g. (1,), or (C, 1, 1) for per-channel slopes of an
    (N, C, H, W) input) -> x's shape.
    """
    if not isinstance(x, Tensor) or not isinstance(alpha, Tensor):
        raise OpError("prelu", "x and alpha must be unidl Tensors")
    return ops.where(ops.greater(x, 0), x, ops.multiply(alpha, x))


def swish(x: Tensor, beta: float = 1.0) -> Tensor:
    """Swish ``x * sigmoid(beta * x)`` (``beta=1`` is SiLU). Shape: any -> same."""
    return ops.multiply(x, ops.sigmoid(ops.multiply(x, float(beta))))


def _affine(y: Tensor, gamma: Optional[Tensor], beta: Optional[Tensor], pshape: tuple) -> Tensor:
    if gamma is not None:
        y = ops.multiply(y, ops.reshape(gamma, pshape))
    if beta is not None:
        y = ops.add(y, ops.reshape(beta, pshape))
    return y


def instance_norm(x: Tensor, gamma: Optional[Tensor] = None, beta: Optional[Tensor] = None, axis: int = 1,
                  eps: float = 1e-5) -> Tensor:
    """Instance normalisation: each (sample, channel) slice is normalised over the remaining axes
    (mean and biased variance, ``(x - mean) / sqrt(var + eps)``), then scaled by ``gamma`` and shifted
    by ``beta`` per channel.

    Shapes: x (N, ..., C, ...) with the channels on ``axis`` and at least one other non-batch axis;
    gamma, beta (C,) or None -> x's shape.
    """
    if not isinstance(x, Tensor) or x.ndim < 3:
        raise OpError("instance_norm", "expected an input with batch, channel and >= 1 other axes",
                      shapes=(getattr(x, "shape", ()),))
    ax = axis + x.ndim if axis < 0 else axis
    if not 0 < ax < x.ndim:
        raise OpError("instance_norm", f"axis {axis} is out of range or the batch axis for a {x.ndim}-d input",
                      shapes=(x.shape,))
    c = x.shape[ax]
    for nm, p in (("gamma", gamma), ("beta", beta)):
        if p is not None and tuple(p.shape) != (c,):
            raise OpError("instance_norm", f"{nm} must have shape ({c},) (the size of axis {axis})",
                          shapes=(x.shape, p.shape))
    axes = tuple(i for i in range(1, x.ndim) if i != ax)
    y = ops.layer_norm(x, None, None, axes=axes, eps=eps)
    return _affine(y, gamma, beta, tuple(c if i == ax else 1 for i in range(x.ndim)))


def group_norm(x: Tensor, num_groups: int, gamma: Optional[Tensor] = None, beta: Optional[Tensor] = None,
               eps: float = 1e-5, axis: int = 1) -> Tensor:
    """Group normalisation: the channels (``axis``, default 1: channels-first) are split into
    ``num_groups`` groups and each (sample, group) is normalised over its channels and all other
    non-batch axes.

    ``gamma``/``beta`` are either per group, shape (num_groups,) (MXNet 1.9's ``GroupNorm``), or per
    channel, shape (C,) (Keras, PyTorch). Shapes: x (N, ..., C, ...) with C divisible by ``num_groups``
    -> x's shape.
    """
    if not isinstance(x, Tensor) or x.ndim < 2:
        raise OpError("group_norm", "expected an input (N, C, ...)", shapes=(getattr(x, "shape", ()),))
    ax = axis % x.ndim
    if ax == 0:
        raise OpError("group_norm", "the channel axis cannot be the batch axis 0", shapes=(x.shape,))
    c = x.shape[ax]
    g = int(num_groups)
    if g < 1 or c % g:
        raise OpError("group_norm", f"the {c} channels must be divisible by num_groups={num_groups}",
                      shapes=(x.shape,))
    for nm, p in (("gamma", gamma), ("beta", beta)):
        if p is not None and tuple(p.shape) not in ((g,), (c,)):
            raise OpError("group_norm", f"{nm} must have shape ({g},) (per group) or ({c},) (per channel)",
                          shapes=(x.shape, p.shape))
    shape = tuple(x.shape)
    xg = ops.reshape(x, shape[:ax] + (g, c // g) + shape[ax + 1:])
    y = ops.layer_norm(xg, None, None, axes=tuple(i for i in range(1, xg.ndim) if i != ax), eps=eps)
    per_group = [p is not None and p.shape[0] == g and g != c for p in (gamma, beta)]
    if any(per_group):
        y = _affine(y, gamma if per_group[0] else None, beta if per_group[1] else None,
                    (g,) + (1,) * (xg.ndim - ax - 1))
    y = ops.reshape(y, shape)
    return _affine(y, None if per_group[0] else gamma, None if per_group[1] else beta,
                   (c,) + (1,) * (x.ndim - ax - 1))
