"""nn kernels: softmax family, fused softmax cross entropy, embedding lookup and its scatter-add.
The softmax family computes bfloat16 in float32 and rounds once (:func:`unidl.dtypes.via_float32`)."""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl.dtypes import via_float32


def make_softmax_cross_entropy(xp: Any, class_indices: Callable[[Any, int], Any]) -> Callable[..., Any]:
    """The fused softmax cross entropy kernel on array module ``xp``: logits (..., C, ...) and labels, int
    (logits without ``axis``) or like logits, -> loss (logits without ``axis``). ``class_indices(labels, C)``
    checks sparse labels and returns the indices to gather (the cpu kernel raises, the cuda one defers)."""

    def softmax_cross_entropy(logits: Any, labels: Any, axis: int, sparse: bool) -> Any:
        """Shapes: logits (..., C, ...), labels int (logits without ``axis``) or like logits -> loss."""
        if logits.size == 0:
            return xp.zeros(logits.shape[:axis] + logits.shape[axis + 1:], dtype=logits.dtype)
        z = logits - logits.max(axis=axis, keepdims=True)
        lse = xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
        if sparse:
            idx = class_indices(labels, logits.shape[axis])
            if z.ndim == 2 and axis == 1:  # (N, C): the same gather by row and class, without the nd helpers
                return lse.reshape(-1) - z[xp.arange(z.shape[0]), idx]
            picked = xp.take_along_axis(z, xp.expand_dims(idx, axis), axis=axis)
            return xp.squeeze(lse - picked, axis=axis)
        return -((z - lse) * labels).sum(axis=axis)

    return softmax_cross_entropy


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def softmax(x: Any, axis: int) -> Any:
        if x.size == 0:
            return xp.empty_like(x)
        e = xp.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        return e

    def log_softmax(x: Any, axis: int) -> Any:
        if x.size == 0:
            return xp.empty_like(x)
        z = x - x.max(axis=axis, keepdims=True)
        z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
        return z

    def _class_indices(labels: Any, n: int) -> Any:
        if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= n):
            raise IndexError(f"labels must be class indices in [0, {n}), got values in "
                             f"[{int(labels.min())}, {int(labels.max())}]")
        return labels

    softmax_cross_entropy = make_softmax_cross_entropy(xp, _class_indices)

    def softmax_cross_entropy_grad(logits: Any, labels: Any, g: Any, axis: int) -> Any:
        p = softmax(logits, axis)
        if p.size and p.ndim == 2 and axis == 1:
            # (N, C): subtracting the one-hot is subtracting 1 at each row's label (p - 0 is p, bit for bit)
            p[xp.arange(p.shape[0]), labels] -= 1
            p *= g.reshape(-1, 1)
        elif p.size:
            n = logits.shape[axis]
            classes = xp.arange(n).reshape(tuple(n if i == axis else 1 for i in range(logits.ndim)))
            p -= classes == xp.expand_dims(labels, axis)
            p *= xp.expand_dims(g, axis)
        return p

    def _check_rows(indices: Any, n: int) -> None:
        if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n):
            raise IndexError(f"indices must be in [0, {n}), got values in "
                             f"[{int(indices.min())}, {int(indices.max())}]")

    def embedding(indices: Any, weight: Any) -> Any:
        _check_rows(indices, weight.shape[0])
        return xp.take(weight, indices, axis=0)

    def embedding_grad(indices: Any, g: Any, num_rows: int) -> Any:
        row = g.shape[indices.ndim:]
        out = xp.zeros((num_rows,) + row, dtype=g.dtype)
        flat = indices.reshape(-1)
        rows = g.reshape((flat.shape[0],) + row)
        if hasattr(xp.add, "at"):
            xp.add.at(out, flat, rows)
        else:  # older CuPy
            import cupyx

            cupyx.scatter_add(out, flat, rows)
        return out

    return {
        "softmax": via_float32(softmax, 1),
        "log_softmax": via_float32(log_softmax, 1),
        "softmax_cross_entropy": via_float32(softmax_cross_entropy, 2),
        "softmax_cross_entropy_grad": via_float32(softmax_cross_entropy_grad),
        "embedding": embedding,
        "embedding_grad": embedding_grad,
    }
