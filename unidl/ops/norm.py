"""Normalisation: batch_norm and layer_norm.

Both normalise ``x`` with a mean and a biased variance, ``(x - mean) / sqrt(var + eps)``, then scale
by ``gamma`` and shift by ``beta`` (either may be None). The forward is two kernels (the statistics,
then the normalisation); the backward is written with ops, so it differentiates again.

Running statistics (batch_norm in training) follow the Keras / MXNet convention
``running = momentum * running + (1 - momentum) * batch_stat``, with the *biased* batch variance,
as both Keras 3 (``ops.moments``) and MXNet 1.x (its BatchNorm kernels) do.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from ..autograd import STATE, is_training
from ..capture import effect as _effect
from ..dtypes import is_floating
from ..errors import OpError
from ._core import Tensor, apply, apply_multi, defop
from .elementwise import add, exp, log, multiply, subtract
from .reduce import normalize_axis
from .reduce import sum as _sum
from .shape import reshape

__all__ = ["batch_norm", "layer_norm"]

MOMENTS = defop("norm_moments", doc="mean and biased variance over axes (keepdims); not differentiable",
                differentiable=False)
BATCH_NORM = defop("batch_norm", doc="normalise per channel with batch or running statistics")
LAYER_NORM = defop("layer_norm", doc="normalise over the trailing (given) axes of each sample")


def _rsqrt(v: Tensor) -> Tensor:
    from . import elementwise as ew

    sqrt = getattr(ew, "sqrt", None)  # written by the elementwise family; exp/log is the same math
    if sqrt is not None:
        from .elementwise import divide

        return divide(1.0, sqrt(v))
    return exp(multiply(log(v), -0.5))


def _moments_ops(x: Tensor, axes: Tuple[int, ...], n: int) -> Tuple[Tensor, Tensor]:
    """Mean and biased variance over ``axes`` (keepdims), written with ops."""
    c = 1.0 / max(n, 1)
    mean = multiply(_sum(x, axis=axes, keepdims=True), c)
    xc = subtract(x, mean)
    return mean, multiply(_sum(multiply(xc, xc), axis=axes, keepdims=True), c)


def _norm_bwd(node, out, g):
    x, gamma, beta, mean, var = node.parents
    s = node.saved
    axes, red, pshape, eps, from_x = s["axes"], s["param_red"], s["pshape"], s["eps"], s["from_x"]
    if s.get("running") is not None:   # update_running="backward": MXNet updates the running statistics here
        running_mean, running_var, bmean, bvar, momentum = s["running"]
        _update_running(running_mean, bmean, momentum)
        _update_running(running_var, bvar, momentum)
    n = 1
    for a in axes:
        n *= x.shape[a]
    if from_x and STATE.recording:
        # create_graph: the statistics must be functions of x so the second derivative sees them
        mean, var = _moments_ops(x, axes, n)
    else:
        if mean.ndim != x.ndim:
            mean, var = reshape(mean, pshape), reshape(var, pshape)
    inv = _rsqrt(add(var, eps))
    xhat = multiply(subtract(x, mean), inv)
    dx = dgamma = dbeta = None
    if beta is not None and beta.requires_grad:
        dbeta = reshape(_sum(g, axis=red), beta.shape)
    if gamma is not None and gamma.requires_grad:
        dgamma = reshape(_sum(multiply(g, xhat), axis=red), gamma.shape)
    if x.requires_grad:
        gy = multiply(g, reshape(gamma, pshape)) if gamma is not None else g
        if from_x:
            c = 1.0 / max(n, 1)
            m1 = multiply(_sum(gy, axis=axes, keepdims=True), c)
            m2 = multiply(_sum(multiply(gy, xhat), axis=axes, keepdims=True), c)
            dx = multiply(inv, subtract(subtract(gy, m1), multiply(xhat, m2)))
        else:
            dx = multiply(gy, inv)
    return dx, dgamma, dbeta, None, None


def _check_param(op: str, name: str, p: Any, want: Tuple[int, ...], x: Tensor) -> None:
    if p is None:
        return
    if not isinstance(p, Tensor):
        raise OpError(op, f"{name} must be a unidl Tensor or None, got {type(p).__name__}", shapes=(x.shape,))
    if p.shape != want:
        raise OpError(op, f"{name} must have shape {want} to match x, got {p.shape}", shapes=(x.shape, p.shape))


def _check_x(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise OpError(op, f"expected a unidl Tensor, got {type(x).__name__}")
    if not is_floating(x.dtype):
        raise OpError(op, f"needs a floating-point tensor, got dtype {x.dtype}", shapes=(x.shape,), dtypes=(x.dtype,))


def _update_running(r: Optional[Tensor], stat: Tensor, momentum: float) -> None:
    if r is None:
        return
    # through the device's kernels (its arrays need not support arithmetic); untraced inside a kernel trace: the
    # update of running statistics is state keeping, not part of the op's arithmetic a trace compares
    _effect(_running_update, r.device.type, r.data, stat.data, momentum)


def _running_update(kind: str, d: Any, stat: Any, momentum: float) -> None:
    from ..kernels import OPS, TRACING, resolve

    get = (lambda op: op.kernel(kind)) if TRACING.wrap is None else (lambda op: resolve(op, kind))
    mul, add, reshape = get(OPS["multiply"]), get(OPS["add"]), get(OPS["reshape"])
    d[...] = add(mul(d, momentum), mul(reshape(stat, d.shape), 1.0 - momentum))


def batch_norm(x: Tensor, gamma: Optional[Tensor], beta: Optional[Tensor], running_mean: Optional[Tensor],
               running_var: Optional[Tensor], *, axis: int = 1, training: Optional[bool] = None,
               momentum: float = 0.9, eps: float = 1e-5, update_running: str = "forward") -> Tensor:
    """Batch normalisation over every axis but the channel ``axis``.

    Shapes: x (N, C, ...) for ``axis=1`` (NCHW) or (..., C) for ``axis=-1`` (NHWC); gamma, beta,
    running_mean, running_var (C,) or None. Returns x's shape.

    In training (``training=True``, or None inside ``record(train_mode=True)``) the batch mean and
    biased variance normalise ``x``, and ``running_mean`` / ``running_var`` are updated in place as
    ``running = momentum * running + (1 - momentum) * batch_stat`` (not recorded): during the forward
    (``update_running="forward"``, Keras), or when backward runs through this op (``"backward"``, MXNet 1.x:
    a forward that no backward follows, such as a validation pass under ``record()``, leaves them as they
    are). In inference the running statistics are used, and both must be given.
    """
    op = "batch_norm"
    _check_x(op, x)
    if x.ndim == 0:
        raise OpError(op, "needs a tensor with a channel axis", shapes=(x.shape,))
    if not (isinstance(axis, int) or hasattr(axis, "__index__")):
        raise OpError(op, f"axis must be one int (the channel axis), got {axis!r}", shapes=(x.shape,))
    ax = normalize_axis(op, axis, x.ndim)[0]
    want = (x.shape[ax],)
    for name, p in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean), ("running_var", running_var)):
        _check_param(op, name, p, want, x)
    training = is_training() if training is None else bool(training)
    red = tuple(i for i in range(x.ndim) if i != ax)
    pshape = tuple(d if i == ax else 1 for i, d in enumerate(x.shape))
    if update_running not in ("forward", "backward"):
        raise OpError(op, f"update_running must be 'forward' or 'backward', got {update_running!r}", shapes=(x.shape,))
    deferred = None
    if training:
        mean, var = apply_multi(MOMENTS, (x,), {"axes": red})
        if x.size and update_running == "forward":
            _update_running(running_mean, mean, momentum)
            _update_running(running_var, var, momentum)
        elif x.size:
            deferred = (running_mean, running_var, mean, var, float(momentum))
    else:
        if running_mean is None or running_var is None:
            raise OpError(op, "inference needs running_mean and running_var", shapes=(x.shape,))
        mean, var = running_mean, running_var
    saved = {"axes": red, "param_red": red, "pshape": pshape, "eps": float(eps), "from_x": training,
             "running": deferred}
    return apply(BATCH_NORM, _norm_bwd, (x, gamma, beta, mean, var), {"pshape": pshape, "eps": float(eps)},
                 saved=saved)


def layer_norm(x: Tensor, gamma: Optional[Tensor] = None, beta: Optional[Tensor] = None,
               axes: Union[int, Sequence[int]] = (-1,), eps: float = 1e-5) -> Tensor:
    """Layer normalisation over ``axes`` of each sample (mean and biased variance over ``axes``).

    Shapes: x (...); gamma and beta have the sizes of the normalised axes, e.g. (D,) for x (..., D)
    and ``axes=(-1,)``, or are None. Returns x's shape.
    """
    op = "layer_norm"
    _check_x(op, x)
    norm_axes = normalize_axis(op, axes, x.ndim)
    if not norm_axes:
        raise OpError(op, "needs at least one axis to normalise over", shapes=(x.shape,))
    want = tuple(x.shape[a] for a in norm_axes)
    _check_param(op, "gamma", gamma, want, x)
    _check_param(op, "beta", beta, want, x)
    pshape = tuple(d if i in norm_axes else 1 for i, d in enumerate(x.shape))
    mean, var = apply_multi(MOMENTS, (x,), {"axes": norm_axes})
    red = tuple(i for i in range(x.ndim) if i not in norm_axes)
    saved = {"axes": norm_axes, "param_red": red, "pshape": pshape, "eps": float(eps), "from_x": True}
    return apply(LAYER_NORM, _norm_bwd, (x, gamma, beta, mean, var), {"pshape": pshape, "eps": float(eps)},
                 saved=saved)
