"""Neural-network ops: softmax, log_softmax, softmax_cross_entropy, embedding, linear.

Softmax-type forwards are numerically stable (the maximum is subtracted first); their backwards
are written with ops using the saved output, so they differentiate again.
"""
from __future__ import annotations

from typing import Any, Optional

from ..dtypes import is_floating
from ..errors import OpError
from ._core import Tensor, apply, as_tensor_like, defop, unary
from .elementwise import add, astype, equal, exp, multiply, negative, subtract
from .linalg import matmul
from .reduce import normalize_axis
from .reduce import sum as _sum
from .shape import reshape

__all__ = ["softmax", "log_softmax", "softmax_cross_entropy", "embedding", "linear"]

SOFTMAX = defop("softmax", doc="exp(x) / sum(exp(x)) along an axis (stable)")
LOG_SOFTMAX = defop("log_softmax", doc="x - logsumexp(x) along an axis (stable)")
SOFTMAX_CE = defop("softmax_cross_entropy", doc="per-sample cross entropy of softmax(logits) and labels")
SOFTMAX_CE_GRAD = defop("softmax_cross_entropy_grad", doc="(softmax(logits) - onehot(labels)) * g, sparse labels")
EMBEDDING = defop("embedding", doc="rows of weight picked by integer indices")
EMBEDDING_GRAD = defop("embedding_grad", doc="scatter-add of row gradients into a zero weight-shaped array")


def _one_axis(op: str, x: Tensor, axis: int) -> int:
    if not isinstance(x, Tensor):
        raise OpError(op, f"expected a unidl Tensor, got {type(x).__name__}")
    if x.ndim == 0:
        raise OpError(op, "needs a tensor with at least 1 dimension", shapes=(x.shape,))
    if not is_floating(x.dtype):
        raise OpError(op, f"needs a floating-point tensor, got dtype {x.dtype}", shapes=(x.shape,), dtypes=(x.dtype,))
    if not (isinstance(axis, int) or hasattr(axis, "__index__")):
        raise OpError(op, f"axis must be one int, got {axis!r}", shapes=(x.shape,))
    return normalize_axis(op, axis, x.ndim)[0]


def _softmax_bwd(node, out, g):
    ax = node.saved["axis"]
    # d softmax: y * (g - sum(g * y))
    return (multiply(out, subtract(g, _sum(multiply(g, out), axis=ax, keepdims=True))),)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Softmax along ``axis``: ``exp(x - max) / sum(exp(x - max))``. Shape: (...) -> (...)."""
    return unary(SOFTMAX, _softmax_bwd, x, axis=_one_axis("softmax", x, axis))


def _log_softmax_bwd(node, out, g):
    ax = node.saved["axis"]
    # d log_softmax: g - softmax * sum(g), softmax = exp(out)
    return (subtract(g, multiply(exp(out), _sum(g, axis=ax, keepdims=True))),)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """Log of the softmax along ``axis``: ``x - logsumexp(x)``, computed stably. Shape: (...) -> (...)."""
    return unary(LOG_SOFTMAX, _log_softmax_bwd, x, axis=_one_axis("log_softmax", x, axis))


def _one_hot(labels: Tensor, n: int, axis: int, dtype: Any) -> Tensor:
    """A constant one-hot tensor with the class axis inserted at ``axis``."""
    from ..creation import arange

    nd = labels.ndim + 1
    classes = reshape(arange(n, dtype=labels.dtype, device=labels.device),
                      tuple(n if i == axis else 1 for i in range(nd)))
    return astype(equal(reshape(labels, labels.shape[:axis] + (1,) + labels.shape[axis:]), classes), dtype)


def _sce_grad_bwd(node, out, h):
    # node computed (softmax(logits) - onehot) * g; h is the gradient flowing into that result
    logits, labels, g = node.parents
    ax = node.saved["axis"]
    p = softmax(logits, ax)
    d_logits = d_g = None
    if logits.requires_grad:
        gk = reshape(g, g.shape[:ax] + (1,) + g.shape[ax:])
        d_logits = multiply(gk, multiply(p, subtract(h, _sum(multiply(h, p), axis=ax, keepdims=True))))
    if g.requires_grad:
        d_g = _sum(multiply(subtract(p, _one_hot(labels, logits.shape[ax], ax, p.dtype)), h), axis=ax)
    return d_logits, None, d_g


def _sce_bwd(node, out, g):
    logits, labels = node.parents
    ax, sparse = node.saved["axis"], node.saved["sparse"]
    if sparse:  # the hot case (classifier training): one fused kernel
        return apply(SOFTMAX_CE_GRAD, _sce_grad_bwd, (logits, labels, g), {"axis": ax}), None
    gk = reshape(g, g.shape[:ax] + (1,) + g.shape[ax:])
    gx = gl = None
    if logits.requires_grad:
        p = softmax(logits, ax)
        # labels need not sum to 1: d/dx -sum(l * log_softmax(x)) = softmax * sum(l) - l
        gx = multiply(subtract(multiply(p, _sum(labels, axis=ax, keepdims=True)), labels), gk)
    if labels.requires_grad:
        gl = multiply(negative(log_softmax(logits, ax)), gk)
    return gx, gl


def softmax_cross_entropy(logits: Tensor, labels: Any, axis: int = -1, sparse: bool = True) -> Tensor:
    """Per-sample cross entropy ``-sum(labels * log_softmax(logits))`` along ``axis`` (fused, stable).

    Args:
        logits: (..., C, ...) scores; ``axis`` is the class axis.
        labels: with ``sparse=True``, integer class indices shaped like ``logits`` without ``axis``;
            otherwise (soft) label probabilities shaped like ``logits``.
    Returns:
        the loss per sample: ``logits``'s shape without ``axis``.
    """
    op = "softmax_cross_entropy"
    ax = _one_axis(op, logits, axis)
    if not isinstance(labels, Tensor):
        labels = as_tensor_like(labels, logits) if not sparse else Tensor._from_any(labels, logits.device)
    want = logits.shape[:ax] + logits.shape[ax + 1:] if sparse else logits.shape
    if labels.shape != want:
        kind = "class indices shaped like logits without the class axis" if sparse else "shaped like logits"
        raise OpError(op, f"labels must be {kind} {want}, got {labels.shape} (class axis {ax})",
                      shapes=(logits.shape, labels.shape))
    if sparse and labels.dtype.kind not in "iu":
        labels = _int_indices(op, labels, "labels", logits)
    if logits.shape[ax] == 0 and labels.size:
        raise OpError(op, "needs at least one class along the class axis", shapes=(logits.shape, labels.shape))
    return apply(SOFTMAX_CE, _sce_bwd, (logits, labels), {"axis": ax, "sparse": bool(sparse)})


def _int_indices(op: str, idx: Tensor, name: str, other: Tensor) -> Tensor:
    """Float indices (as MXNet and Keras pass them) cast to int64; other dtypes refused."""
    if idx.dtype.kind != "f":
        raise OpError(op, f"{name} must be integer (or integral float) indices, got dtype {idx.dtype}",
                      shapes=(other.shape, idx.shape), dtypes=(other.dtype, idx.dtype))
    return astype(idx, "int64")


def _embedding_bwd(node, out, g):
    indices, weight = node.parents
    return None, apply(EMBEDDING_GRAD, _embedding_grad_bwd, (indices, g), {"num_rows": weight.shape[0]})


def _embedding_grad_bwd(node, out, g):
    indices = node.parents[0]
    return None, embedding(indices, g)


def embedding(indices: Any, weight: Tensor) -> Tensor:
    """Rows of ``weight`` picked by integer ``indices``. Shapes: (...), (V, *D) -> (..., *D).

    The gradient with respect to ``weight`` is a scatter-add (repeated indices accumulate).
    """
    if not isinstance(weight, Tensor):
        raise OpError("embedding", f"weight must be a unidl Tensor, got {type(weight).__name__}")
    if not isinstance(indices, Tensor):
        indices = Tensor._from_any(indices, weight.device)
    if weight.ndim == 0:
        raise OpError("embedding", "weight must have at least 1 dimension (rows)", shapes=(indices.shape, weight.shape))
    if indices.dtype.kind not in "iu":
        indices = _int_indices("embedding", indices, "indices", weight)
    elif indices.dtype.name != "int64":  # one index dtype reaches the kernels, however the ids were fed
        indices = astype(indices, "int64")
    return apply(EMBEDDING, _embedding_bwd, (indices, weight))


def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """Fully connected layer ``x @ weight + bias``. Shapes: (..., I), (I, O), (O,) -> (..., O)."""
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise OpError("linear", "weight must be a 2-D (in, out) Tensor",
                      shapes=[t.shape for t in (x, weight) if isinstance(t, Tensor)])
    if not isinstance(x, Tensor) or x.ndim == 0 or x.shape[-1] != weight.shape[0]:
        raise OpError("linear", f"the last dim of x must equal weight's 'in' dim {weight.shape[0]}",
                      shapes=[t.shape for t in (x, weight) if isinstance(t, Tensor)])
    y = matmul(x, weight)
    if bias is None:
        return y
    if getattr(bias, "shape", None) != (weight.shape[1],):
        raise OpError("linear", f"bias must have shape ({weight.shape[1]},), the weight's 'out' dim",
                      shapes=(x.shape, weight.shape, getattr(bias, "shape", ())))
    return add(y, bias)
