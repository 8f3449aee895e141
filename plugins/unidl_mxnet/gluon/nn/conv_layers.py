"""``gluon.nn`` convolution and pooling layers (channels-first layouts, MXNet's defaults).

Gluon's NCW/NCHW/NCDHW layouts and (out, in/groups, *kernel) weights are the core's canonical layout,
so these call :func:`unidl.ops.conv` and the pooling ops directly. Channels-last layouts are not
supported yet.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from unidl import ops

from ...base import MXNetError
from ...ndarray.ndarray import wrap
from ..block import HybridBlock

IntOrTuple = Union[int, Sequence[int]]


def _tuple(v: IntOrTuple, n: int, what: str) -> Tuple[int, ...]:
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n:
        raise MXNetError(f"{what} must be an int or a tuple of {n} ints, got {v!r}")
    return t


def _check_layout(layout: str, nd: int, who: str) -> None:
    want = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nd]
    if layout != want:
        raise MXNetError(f"{who}: layout {layout!r} is not supported yet; use {want!r}")


class _Conv(HybridBlock):
    def __init__(self, nd: int, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple, padding: IntOrTuple,
                 dilation: IntOrTuple, groups: int, layout: str, in_channels: int, activation: Optional[str],
                 use_bias: bool, weight_initializer: Any, bias_initializer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_layout(layout, nd, type(self).__name__)
        self._nd, self._channels, self._groups, self._in_channels = nd, channels, groups, in_channels
        self._kernel = _tuple(kernel_size, nd, "kernel_size")
        self._strides = _tuple(strides, nd, "strides")
        self._padding = _tuple(padding, nd, "padding")
        self._dilation = _tuple(dilation, nd, "dilation")
        if in_channels % groups or channels % groups:
            raise MXNetError(f"{type(self).__name__}: channels ({channels}) and in_channels ({in_channels}) must "
                             f"be divisible by groups ({groups})")
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(channels, in_channels // groups) + self._kernel,
                                          init=weight_initializer, allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                        allow_deferred_init=True) if use_bias else None
            from .basic_layers import Activation

            self.act = Activation(activation, prefix=activation + "_") if activation is not None else None

    def infer_shape(self, x: Any, *args: Any) -> None:
        if x.ndim != self._nd + 2:
            raise MXNetError(f"{type(self).__name__}: expected input of {self._nd + 2} dims (N, C, ...), got "
                             f"shape {x.shape}")
        self.weight.shape = (self._channels, x.shape[1] // self._groups) + self._kernel

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        y = wrap(ops.conv(x._t, weight._t, None if bias is None else bias._t, stride=self._strides,
                          padding=self._padding, dilation=self._dilation, groups=self._groups))
        return self.act(y) if self.act is not None else y

    def __repr__(self) -> str:
        in_c = self.weight.shape[1] * self._groups if self.weight.shape[1] else None
        return (f"{type(self).__name__}({in_c} -> {self._channels}, kernel_size={self._kernel}, "
                f"stride={self._strides})")


class Conv1D(_Conv):
    """1-d convolution over (N, C, W)."""

    def __init__(self, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple = 1, padding: IntOrTuple = 0,
                 dilation: IntOrTuple = 1, groups: int = 1, layout: str = "NCW", activation: Optional[str] = None,
                 use_bias: bool = True, weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(1, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)


class Conv2D(_Conv):
    """2-d convolution over (N, C, H, W); weight (channels, in_channels/groups, kh, kw)."""

    def __init__(self, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple = (1, 1),
                 padding: IntOrTuple = (0, 0), dilation: IntOrTuple = (1, 1), groups: int = 1, layout: str = "NCHW",
                 activation: Optional[str] = None, use_bias: bool = True, weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(2, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)


class Conv3D(_Conv):
    """3-d convolution over (N, C, D, H, W)."""

    def __init__(self, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple = (1, 1, 1),
                 padding: IntOrTuple = (0, 0, 0), dilation: IntOrTuple = (1, 1, 1), groups: int = 1,
                 layout: str = "NCDHW", activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(3, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)


class _Pool(HybridBlock):
    def __init__(self, nd: int, kind: str, pool_size: IntOrTuple, strides: Optional[IntOrTuple], padding: IntOrTuple,
                 ceil_mode: bool, layout: str, count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_layout(layout, nd, type(self).__name__)
        self._kind = kind
        self._pool = _tuple(pool_size, nd, "pool_size")
        self._strides = _tuple(strides, nd, "strides") if strides is not None else self._pool
        self._padding = _tuple(padding, nd, "padding")
        self._ceil, self._count_include_pad = ceil_mode, count_include_pad

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._kind == "max":
            return wrap(ops.max_pool(x._t, self._pool, self._strides, self._padding, ceil_mode=self._ceil))
        return wrap(ops.avg_pool(x._t, self._pool, self._strides, self._padding, ceil_mode=self._ceil,
                                 count_include_pad=self._count_include_pad))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self._pool}, stride={self._strides}, padding={self._padding}, "
                f"ceil_mode={self._ceil})")


class MaxPool1D(_Pool):
    def __init__(self, pool_size: IntOrTuple = 2, strides: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 layout: str = "NCW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(1, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class MaxPool2D(_Pool):
    """Max over (pool_size) windows; ``strides`` default to ``pool_size``."""

    def __init__(self, pool_size: IntOrTuple = (2, 2), strides: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, layout: str = "NCHW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(2, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool1D(_Pool):
    def __init__(self, pool_size: IntOrTuple = 2, strides: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 layout: str = "NCW", ceil_mode: bool = False, count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(1, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs)


class AvgPool2D(_Pool):
    """Mean over windows (``count_include_pad`` counts padded zeros, MXNet's default)."""

    def __init__(self, pool_size: IntOrTuple = (2, 2), strides: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, layout: str = "NCHW", ceil_mode: bool = False,
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(2, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs)


class _GlobalPool(HybridBlock):
    _kind = "max"

    def __init__(self, layout: str = "NCHW", **kwargs: Any) -> None:
        super().__init__(**kwargs)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        fn = ops.global_max_pool if self._kind == "max" else ops.global_avg_pool
        return wrap(fn(x._t, keepdims=True))  # Gluon keeps the spatial dims as size 1


class GlobalMaxPool1D(_GlobalPool):
    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalMaxPool2D(_GlobalPool):
    pass


class GlobalAvgPool1D(_GlobalPool):
    _kind = "avg"

    def __init__(self, layout: str = "NCW", **kwargs: Any) -> None:
        super().__init__(layout, **kwargs)


class GlobalAvgPool2D(_GlobalPool):
    _kind = "avg"


__all__ = ["Conv1D", "Conv2D", "Conv3D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalMaxPool1D",
           "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D"]
