"""Array-module-generic replacements for the cpu kernels that wait for the device.

The cpu kernels validate class labels and embedding rows on the host (``int(labels.max())``),
which is free on NumPy but a full GPU sync on CuPy. These versions check on the device through
:class:`~unidl_cuda.kernels.checks.DeferredChecks` and clip the indices so nothing reads out of
bounds; the arithmetic is otherwise the cpu kernels' own, so on valid input they agree with them
exactly when run with NumPy (tests/cuda/test_generic_kernels.py).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from .checks import DeferredChecks


def kernels(xp: Any, checks: DeferredChecks) -> Dict[str, Callable[..., Any]]:
    def softmax_cross_entropy(logits: Any, labels: Any, axis: int, sparse: bool) -> Any:
        """Shapes: logits (..., C, ...), labels int (logits without ``axis``) or like logits -> loss."""
        if logits.size == 0:
            return xp.zeros(logits.shape[:axis] + logits.shape[axis + 1:], dtype=logits.dtype)
        z = logits - logits.max(axis=axis, keepdims=True)
        lse = xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
        if sparse:
            n = logits.shape[axis]
            checks.check_range(labels, 0, n, f"softmax_cross_entropy: labels must be class indices in [0, {n})")
            picked = xp.take_along_axis(z, xp.expand_dims(xp.clip(labels, 0, n - 1), axis), axis=axis)
            return xp.squeeze(lse - picked, axis=axis)
        return -((z - lse) * labels).sum(axis=axis)

    def embedding(indices: Any, weight: Any) -> Any:
        """Shapes: indices int (...), weight (V, *row) -> (..., *row)."""
        n = weight.shape[0]
        checks.check_range(indices, 0, n, f"embedding: indices must be in [0, {n})")
        return xp.take(weight, xp.clip(indices, 0, max(n - 1, 0)), axis=0)

    return {"softmax_cross_entropy": softmax_cross_entropy, "embedding": embedding}
