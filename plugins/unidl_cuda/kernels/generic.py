"""Array-module-generic replacements for the cpu kernels that wait for the device.

The cpu kernels validate class labels and embedding rows on the host (``int(labels.max())``),
which is free on NumPy but a full GPU sync on CuPy. These versions check on the device through
:class:`~unidl_cuda.kernels.checks.DeferredChecks` and clip the indices so nothing reads out of
bounds; the arithmetic is the cpu kernels' own (softmax cross entropy is built by the same function), so
on valid input they agree with them exactly when run with NumPy (tests/cuda/test_generic_kernels.py).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl.xpkernels.nn import make_softmax_cross_entropy

from .checks import DeferredChecks


def kernels(xp: Any, checks: DeferredChecks) -> Dict[str, Callable[..., Any]]:
    def class_indices(labels: Any, n: int) -> Any:
        checks.check_range(labels, 0, n, f"softmax_cross_entropy: labels must be class indices in [0, {n})")
        return xp.clip(labels, 0, n - 1)

    softmax_cross_entropy = make_softmax_cross_entropy(xp, class_indices)

    def embedding(indices: Any, weight: Any) -> Any:
        """Shapes: indices int (...), weight (V, *row) -> (..., *row)."""
        n = weight.shape[0]
        checks.check_range(indices, 0, n, f"embedding: indices must be in [0, {n})")
        return xp.take(weight, xp.clip(indices, 0, max(n - 1, 0)), axis=0)

    return {"softmax_cross_entropy": softmax_cross_entropy, "embedding": embedding}
