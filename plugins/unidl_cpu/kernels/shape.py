"""Shape kernels."""
from __future__ import annotations

from typing import Any, Callable, Dict


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def reshape(x, shape):
        return xp.reshape(x, shape)

    def broadcast_to(x, shape):
        return xp.broadcast_to(x, shape)

    def transpose(x, axes):
        return xp.transpose(x, axes)

    return {"reshape": reshape, "broadcast_to": broadcast_to, "transpose": transpose}
