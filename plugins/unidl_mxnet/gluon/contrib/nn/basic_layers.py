"""``gluon.contrib.nn`` basic layers: blocks run side by side on one input (outputs joined along
``axis``) and the identity block used beside them for residual branches."""
from __future__ import annotations

from typing import Any, Optional

from .... import ndarray as nd
from ...block import HybridBlock
from ...nn.basic_layers import HybridSequential, Sequential


class Concurrent(Sequential):
    """Feeds the input to every child and concatenates their outputs along ``axis`` (-1).
    Shapes: each child (N, ..., D_i, ...) -> (N, ..., sum D_i, ...)."""

    def __init__(self, axis: int = -1, prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return nd.concat(*[b(x) for b in self._children.values()], dim=self.axis)


class HybridConcurrent(HybridSequential):
    """:class:`Concurrent` of HybridBlocks (the building block of Inception-style model-zoo networks)."""

    def __init__(self, axis: int = -1, prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return nd.concat(*[b(x) for b in self._children.values()], dim=self.axis)


class Identity(HybridBlock):
    """Returns its input unchanged."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return x


__all__ = ["Concurrent", "HybridConcurrent", "Identity"]
