"""norm kernels: statistics and the normalisation shared by batch_norm and layer_norm (bfloat16 computes
in float32 and rounds once: :func:`unidl.dtypes.via_float32`)."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from unidl.dtypes import via_float32


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def norm_moments(x: Any, axes: Tuple[int, ...]) -> Tuple[Any, Any]:
        n = 1
        for a in axes:
            n *= x.shape[a]
        c = 1.0 / max(n, 1)  # an empty reduction gives 0, not NaN and a warning
        mean = x.sum(axis=axes, keepdims=True) * c
        xc = x - mean
        xc *= xc
        return mean, xc.sum(axis=axes, keepdims=True) * c

    def normalize(x: Any, gamma: Optional[Any], beta: Optional[Any], mean: Any, var: Any,
                  pshape: Tuple[int, ...], eps: float) -> Any:
        dt = x.dtype
        mean = mean.astype(dt, copy=False).reshape(pshape) if mean.ndim != x.ndim else mean.astype(dt, copy=False)
        var = var.astype(dt, copy=False).reshape(mean.shape)
        inv = var + dt.type(eps)
        xp.sqrt(inv, out=inv)
        xp.reciprocal(inv, out=inv)
        y = x - mean
        y *= inv
        if gamma is not None:
            y *= gamma.astype(dt, copy=False).reshape(pshape)
        if beta is not None:
            y += beta.astype(dt, copy=False).reshape(pshape)
        return y

    return {
        "norm_moments": via_float32(norm_moments, 1),
        "batch_norm": via_float32(normalize),
        "layer_norm": via_float32(normalize),
    }
