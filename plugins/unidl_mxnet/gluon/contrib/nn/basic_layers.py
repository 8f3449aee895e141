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


class _PixelShuffle(HybridBlock):
    """Moves channel blocks into the spatial axes: (N, C * f1 * ... * fk, S1, ..., Sk) ->
    (N, C, S1 * f1, ..., Sk * fk) for k = 1, 2 or 3 (channel-major order, as MXNet)."""

    _ndim = 0

    def __init__(self, factor: Any) -> None:
        super().__init__()
        k = self._ndim
        if isinstance(factor, int):
            factor = (factor,) * k
        self._factors = tuple(int(f) for f in factor)
        if len(self._factors) != k or any(f < 1 for f in self._factors):
            raise ValueError(f"{type(self).__name__}: factor must be a positive int or {k} positive ints, got {factor!r}")

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        from unidl import ops

        from ....ndarray.ndarray import wrap

        k, fs = self._ndim, self._factors
        if x.ndim != k + 2:
            raise ValueError(f"{type(self).__name__}: expected a {k + 2}-d input (N, C, ...), got shape {x.shape}")
        n, c, spatial = x.shape[0], x.shape[1], x.shape[2:]
        block = 1
        for f in fs:
            block *= f
        if c % block:
            raise ValueError(f"{type(self).__name__}: channels {c} of input shape {x.shape} are not divisible by the "
                             f"product of factors {fs} = {block}")
        t = ops.reshape(x._t, (n, c // block) + fs + tuple(spatial))
        # (N, C, f1..fk, S1..Sk) -> (N, C, S1, f1, ..., Sk, fk)
        perm = (0, 1) + tuple(a for i in range(k) for a in (2 + k + i, 2 + i))
        t = ops.transpose(t, perm)
        return wrap(ops.reshape(t, (n, c // block) + tuple(s * f for s, f in zip(spatial, fs))))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._factors if self._ndim > 1 else self._factors[0]})"


class PixelShuffle1D(_PixelShuffle):
    """(N, C * f, W) -> (N, C, W * f)."""

    _ndim = 1


class PixelShuffle2D(_PixelShuffle):
    """(N, C * f1 * f2, H, W) -> (N, C, H * f1, W * f2) (sub-pixel convolution upsampling)."""

    _ndim = 2


class PixelShuffle3D(_PixelShuffle):
    """(N, C * f1 * f2 * f3, D, H, W) -> (N, C, D * f1, H * f2, W * f3)."""

    _ndim = 3


__all__ = ["Concurrent", "HybridConcurrent", "Identity", "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]
