"""Moving tensors between devices (differentiable: the gradient moves back)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import STATE, Node
from ..devices import device as _device
from ..tensor import Tensor, wrap

__all__ = ["to_device"]


def _to_device_bwd(node, out, g):
    return (to_device(g, node.saved),)


def to_device(x: Tensor, device: Any) -> Tensor:
    """``x`` copied to ``device`` (``x`` itself when already there)."""
    dst = _device(device)
    src = x.device
    if dst is src:
        return x
    host = src.kind.to_host(x.data)
    data = dst.kind.from_host(np.asarray(host), dst.index)
    out = wrap(data, dst)
    if STATE.recording and x.requires_grad:
        out._node = Node("to_device", (x,), _to_device_bwd, src)
        out.requires_grad = True
    return out
