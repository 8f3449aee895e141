"""``gluon.nn`` convolution and pooling layers (channels-first layouts by default, as MXNet).

Gluon's NCW/NCHW/NCDHW layouts and (out, in/groups, *kernel) weights are the core's canonical layout
(``unidl.nn.layouts``), so convolutions call :func:`unidl.nn.functional.conv_nd` (Keras's Conv layers' math),
transposed ones :func:`unidl.ops.conv_transpose` (weights (in, out/groups, *kernel), the op the Keras
``Conv*DTranspose`` layers use), and the pooling layers the pooling ops. The channels-last layouts MXNet 1.9 takes (NHWC/NDHWC
convolutions with (out, *kernel, in) weights; NWC/NHWC/NDHWC pooling) run the same channels-first ops on
transposed views.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from unidl import ops
from unidl.errors import OpError
from unidl.nn import functional as F_nn

from ...base import MXNetError, check_positive
from ...ndarray.ndarray import wrap
from ..block import HybridBlock

IntOrTuple = Union[int, Sequence[int]]


def _tuple(v: IntOrTuple, n: int, what: str) -> Tuple[int, ...]:
    t = (v,) * n if isinstance(v, int) else tuple(v)
    if len(t) != n:
        raise MXNetError(f"{what} must be an int or a tuple of {n} ints, got {v!r}")
    return t


class _LayoutError(MXNetError, AssertionError):
    """A layout MXNet's layer refuses (an AssertionError there)."""


_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _check_layout(layout: str, nd: int, who: str, channels_last_ok: bool = True) -> bool:
    """Whether ``layout`` is channels-last; _LayoutError when the layer does not take it (as MXNet)."""
    if layout == _FIRST[nd]:
        return False
    if layout == _LAST[nd] and channels_last_ok:
        return True
    ok = f"'{_FIRST[nd]}' and '{_LAST[nd]}'" if channels_last_ok else f"'{_FIRST[nd]}'"
    raise _LayoutError(f"{who}: layout {layout!r} is not supported; only {ok} layout for {nd}D")


def _to_first(t: Any, nd: int) -> Any:
    """(N, *S, C) -> (N, C, *S) (a view)."""
    return ops.transpose(t, (0, nd + 1) + tuple(range(1, nd + 1)))


def _to_last(t: Any, nd: int) -> Any:
    """(N, C, *S) -> (N, *S, C) (a view)."""
    return ops.transpose(t, (0,) + tuple(range(2, nd + 2)) + (1,))


class _Conv(HybridBlock):
    """Shared by the convolutions and the transposed convolutions (MXNet names both ``conv<i>_``).

    A convolution's weight is (channels, in_channels/groups, *kernel); a transposed convolution's is
    (in_channels, channels/groups, *kernel) (``transpose=True``). ``in_channels=0`` defers that size
    to the first input.
    """

    _alias = "conv"

    def __init__(self, nd: int, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple, padding: IntOrTuple,
                 dilation: IntOrTuple, groups: int, layout: str, in_channels: int, activation: Optional[str],
                 use_bias: bool, weight_initializer: Any, bias_initializer: Any, transpose: bool = False,
                 output_padding: IntOrTuple = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # as MXNet 1.9: 1-D convolutions take NCW only; 2-D and 3-D also NHWC / NDHWC
        self._last = _check_layout(layout, nd, type(self).__name__, channels_last_ok=nd > 1)
        self._layout = layout
        self._nd, self._channels, self._groups, self._in_channels = nd, channels, groups, in_channels
        self._transpose = transpose
        self._kernel = _tuple(kernel_size, nd, "kernel_size")
        self._strides = _tuple(strides, nd, "strides")
        check_positive(type(self).__name__, channels=channels, kernel_size=self._kernel, strides=self._strides,
                       groups=groups)
        self._padding = _tuple(padding, nd, "padding")
        self._dilation = _tuple(dilation, nd, "dilation")
        self.outpad = _tuple(output_padding, nd, "output_padding")
        if in_channels % groups or channels % groups:
            raise MXNetError(f"{type(self).__name__}: channels ({channels}) and in_channels ({in_channels}) must "
                             f"be divisible by groups ({groups})")
        with self.name_scope():
            self.weight = self.params.get("weight", shape=self._weight_shape(in_channels), init=weight_initializer,
                                          allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(channels,), init=bias_initializer,
                                        allow_deferred_init=True) if use_bias else None
            from .activations import Activation

            self.act = Activation(activation, prefix=activation + "_") if activation is not None else None

    def _weight_shape(self, in_channels: int) -> Tuple[int, ...]:
        a, b = (in_channels, self._channels // self._groups) if self._transpose else \
            (self._channels, in_channels // self._groups)
        # channels-last layouts keep MXNet's (out, *kernel, in) weight order
        return (a,) + self._kernel + (b,) if self._last else (a, b) + self._kernel

    def infer_shape(self, x: Any, *args: Any) -> None:
        if x.ndim != self._nd + 2:
            raise MXNetError(f"{type(self).__name__}: expected input of {self._nd + 2} dims ({self._layout}), got "
                             f"shape {x.shape}")
        c = x.shape[-1] if self._last else x.shape[1]
        if c % self._groups:
            raise MXNetError(f"{type(self).__name__}: the input's {c} channels (shape {x.shape}) must be "
                             f"divisible by groups ({self._groups})")
        self.weight.shape = self._weight_shape(c)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        b = None if bias is None else bias._t
        xt, wt, nd = x._t, weight._t, self._nd
        if self._last:  # the core's channels-first kernels on transposed views
            xt = _to_first(xt, nd)
            wt = ops.transpose(wt, (0, nd + 1) + tuple(range(1, nd + 1)))
        if self._transpose:
            try:
                y = ops.conv_transpose(xt, wt, b, stride=self._strides, padding=self._padding,
                                       output_padding=self.outpad, dilation=self._dilation, groups=self._groups)
            except OpError as err:
                raise MXNetError(f"{type(self).__name__} ({self.name}): {err}") from None
        else:
            y = F_nn.conv_nd(xt, wt, b, stride=self._strides, padding=self._padding,
                             dilation=self._dilation, groups=self._groups, data_format="channels_first",
                             kernel_layout="oi")
        y = wrap(_to_last(y, nd) if self._last else y)
        return self.act(y) if self.act is not None else y

    def __repr__(self) -> str:
        # MXNet prints weight.shape[1] -> weight.shape[0] (for a transposed conv that is out/groups -> in)
        shape = self.weight.shape
        s = f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0]}, kernel_size={self._kernel}, " \
            f"stride={self._strides}"
        n = self._nd
        if self._padding != (0,) * n:
            s += f", padding={self._padding}"
        if self._dilation != (1,) * n:
            s += f", dilation={self._dilation}"
        if self._groups != 1:
            s += f", groups={self._groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act!r}"
        return s + ")"


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


class Conv1DTranspose(_Conv):
    """Transposed 1-d convolution over (N, C, W); weight (in_channels, channels/groups, k). Output width
    ``(W - 1) * stride - 2 * padding + dilation * (k - 1) + 1 + output_padding``."""

    def __init__(self, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple = 1, padding: IntOrTuple = 0,
                 output_padding: IntOrTuple = 0, dilation: IntOrTuple = 1, groups: int = 1, layout: str = "NCW",
                 activation: Optional[str] = None, use_bias: bool = True, weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(1, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, transpose=True,
                         output_padding=output_padding, **kwargs)


class Conv2DTranspose(_Conv):
    """Transposed 2-d convolution over (N, C, H, W); weight (in_channels, channels/groups, kh, kw).
    Output size per spatial dim ``(S - 1) * stride - 2 * padding + dilation * (k - 1) + 1 + output_padding``."""

    def __init__(self, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple = (1, 1),
                 padding: IntOrTuple = (0, 0), output_padding: IntOrTuple = (0, 0), dilation: IntOrTuple = (1, 1),
                 groups: int = 1, layout: str = "NCHW", activation: Optional[str] = None, use_bias: bool = True,
                 weight_initializer: Any = None, bias_initializer: Any = "zeros", in_channels: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(2, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, transpose=True,
                         output_padding=output_padding, **kwargs)


class Conv3DTranspose(_Conv):
    """Transposed 3-d convolution over (N, C, D, H, W); weight (in_channels, channels/groups, kd, kh, kw)."""

    def __init__(self, channels: int, kernel_size: IntOrTuple, strides: IntOrTuple = (1, 1, 1),
                 padding: IntOrTuple = (0, 0, 0), output_padding: IntOrTuple = (0, 0, 0),
                 dilation: IntOrTuple = (1, 1, 1), groups: int = 1, layout: str = "NCDHW",
                 activation: Optional[str] = None, use_bias: bool = True, weight_initializer: Any = None,
                 bias_initializer: Any = "zeros", in_channels: int = 0, **kwargs: Any) -> None:
        super().__init__(3, channels, kernel_size, strides, padding, dilation, groups, layout, in_channels,
                         activation, use_bias, weight_initializer, bias_initializer, transpose=True,
                         output_padding=output_padding, **kwargs)


class _Pool(HybridBlock):
    """Max or average pooling (MXNet names every pooling block ``pool<i>_``)."""

    _alias = "pool"

    def __init__(self, nd: int, kind: str, pool_size: IntOrTuple, strides: Optional[IntOrTuple], padding: IntOrTuple,
                 ceil_mode: bool, layout: str, count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if layout not in (_FIRST[nd], _LAST[nd]):
            raise _LayoutError(f"Only {_FIRST[nd]} and {_LAST[nd]} layouts are valid for {nd}D Pooling")
        self._last = layout == _LAST[nd]
        self._kind, self._layout = kind, layout
        self._pool = _tuple(pool_size, nd, "pool_size")
        self._strides = _tuple(strides, nd, "strides") if strides is not None else self._pool
        check_positive(type(self).__name__, pool_size=self._pool, strides=self._strides)
        self._padding = _tuple(padding, nd, "padding")
        self._ceil, self._count_include_pad = ceil_mode, count_include_pad

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        nd = len(self._pool)
        if x.ndim != nd + 2:
            raise MXNetError(f"{type(self).__name__}: expected input of {nd + 2} dims ({self._layout}), got "
                             f"shape {x.shape}")
        xt = _to_first(x._t, nd) if self._last else x._t
        if self._ceil:
            self._check_full_convention(tuple(xt.shape))
        if self._kind == "max":
            y = ops.max_pool(xt, self._pool, self._strides, self._padding, ceil_mode=self._ceil)
        else:
            y = ops.avg_pool(xt, self._pool, self._strides, self._padding, ceil_mode=self._ceil,
                             count_include_pad=self._count_include_pad)
        return wrap(_to_last(y, nd) if self._last else y)

    def _check_full_convention(self, shape: Tuple[int, ...]) -> None:
        # MXNet's ceil_mode ("full") makes ceil((S + 2p - k) / s) + 1 windows; when the last one starts past
        # the input and the low padding it covers no data and MXNet 1.9 fills it with -3.4e38 (max) or NaN (avg)
        for i, (n, k, st, p) in enumerate(zip(shape[2:], self._pool, self._strides, self._padding)):
            o = -(-(n + 2 * p - k) // st) + 1
            if (o - 1) * st >= n + p:
                raise MXNetError(
                    f"{type(self).__name__}: with ceil_mode=True, pool_size={self._pool}, strides={self._strides} "
                    f"and padding={self._padding}, the last window of spatial dim {i} (size {n}, input shape "
                    f"{shape}) lies wholly in the padding; MXNet 1.9 fills such windows with undefined values "
                    "(-3.4e38 or NaN), unidl refuses. Use less padding or ceil_mode=False.")

    def _repr_fields(self) -> Tuple[Any, Any, Any, bool, bool]:
        return self._pool, self._strides, self._padding, self._ceil, False

    def __repr__(self) -> str:
        size, stride, pad, ceil, glob = self._repr_fields()
        return (f"{type(self).__name__}(size={size}, stride={stride}, padding={pad}, ceil_mode={ceil}, "
                f"global_pool={glob}, pool_type={self._kind}, layout={self._layout})")


class MaxPool1D(_Pool):
    """Max over windows of (N, C, W); ``strides`` default to ``pool_size``."""

    def __init__(self, pool_size: IntOrTuple = 2, strides: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 layout: str = "NCW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(1, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class MaxPool2D(_Pool):
    """Max over (pool_size) windows of (N, C, H, W); ``strides`` default to ``pool_size``."""

    def __init__(self, pool_size: IntOrTuple = (2, 2), strides: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, layout: str = "NCHW", ceil_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(2, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class MaxPool3D(_Pool):
    """Max over windows of (N, C, D, H, W) (note MXNet's argument order: ``ceil_mode`` before ``layout``)."""

    def __init__(self, pool_size: IntOrTuple = (2, 2, 2), strides: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, ceil_mode: bool = False, layout: str = "NCDHW", **kwargs: Any) -> None:
        super().__init__(3, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool1D(_Pool):
    """Mean over windows of (N, C, W) (``count_include_pad`` counts padded zeros, MXNet's default)."""

    def __init__(self, pool_size: IntOrTuple = 2, strides: Optional[IntOrTuple] = None, padding: IntOrTuple = 0,
                 layout: str = "NCW", ceil_mode: bool = False, count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(1, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs)


class AvgPool2D(_Pool):
    """Mean over windows of (N, C, H, W) (``count_include_pad`` counts padded zeros, MXNet's default)."""

    def __init__(self, pool_size: IntOrTuple = (2, 2), strides: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, layout: str = "NCHW", ceil_mode: bool = False,
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(2, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs)


class AvgPool3D(_Pool):
    """Mean over windows of (N, C, D, H, W) (``ceil_mode`` before ``layout``, as MXNet)."""

    def __init__(self, pool_size: IntOrTuple = (2, 2, 2), strides: Optional[IntOrTuple] = None,
                 padding: IntOrTuple = 0, ceil_mode: bool = False, layout: str = "NCDHW",
                 count_include_pad: bool = True, **kwargs: Any) -> None:
        super().__init__(3, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs)


class _GlobalPool(HybridBlock):
    """Max or mean over all spatial positions; the spatial dims stay as size 1 (N, C, 1, ...)."""

    _alias = "pool"
    _kind = "max"
    _nd = 2

    def __init__(self, layout: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._layout = layout or _FIRST[self._nd]
        if self._layout not in (_FIRST[self._nd], _LAST[self._nd]):
            raise _LayoutError(f"Only {_FIRST[self._nd]} and {_LAST[self._nd]} layouts are valid for {self._nd}D "
                               "Pooling")
        self._last = self._layout == _LAST[self._nd]

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if x.ndim != self._nd + 2:
            raise MXNetError(f"{type(self).__name__}: expected input of {self._nd + 2} dims ({self._layout}), got "
                             f"shape {x.shape}")
        fn = ops.global_max_pool if self._kind == "max" else ops.global_avg_pool
        if self._last:
            return wrap(_to_last(fn(_to_first(x._t, self._nd), keepdims=True), self._nd))
        return wrap(fn(x._t, keepdims=True))

    def __repr__(self) -> str:
        n = self._nd
        return (f"{type(self).__name__}(size={(1,) * n}, stride={(1,) * n}, padding={(0,) * n}, ceil_mode=True, "
                f"global_pool=True, pool_type={self._kind}, layout={self._layout})")


class GlobalMaxPool1D(_GlobalPool):
    _nd = 1


class GlobalMaxPool2D(_GlobalPool):
    _nd = 2


class GlobalMaxPool3D(_GlobalPool):
    _nd = 3


class GlobalAvgPool1D(_GlobalPool):
    _kind, _nd = "avg", 1


class GlobalAvgPool2D(_GlobalPool):
    _kind, _nd = "avg", 2


class GlobalAvgPool3D(_GlobalPool):
    _kind, _nd = "avg", 3


class ReflectionPad2D(HybridBlock):
    """Pads the two last axes of (N, C, H, W) by mirroring (edge not repeated). ``padding``: an int (the
    same on all four sides) or MXNet's 8-int ``pad_width`` (before/after per axis, zeros for N and C).
    Shape: (N, C, H, W) -> (N, C, H + top + bottom, W + left + right)."""

    def __init__(self, padding: Union[int, Sequence[int]] = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 8:
            raise AssertionError(f"ReflectionPad2D: padding must be an int or 8 ints, got {padding}")
        if any(padding[:4]):
            raise MXNetError(f"ReflectionPad2D: cannot pad the batch or channel axes, got pad_width {padding}")
        self._padding = padding

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        p = self._padding
        if x.ndim != 4:
            raise MXNetError(f"ReflectionPad2D: expected a 4-d input (N, C, H, W), got shape {x.shape}")
        for (lo, hi), size, ax in zip((p[4:6], p[6:8]), x.shape[2:], ("H", "W")):
            if max(lo, hi) >= size:
                raise MXNetError(f"ReflectionPad2D: padding ({lo}, {hi}) of axis {ax} must be smaller than its size "
                                 f"{size} (input shape {x.shape})")
        return wrap(ops.pad(x._t, ((0, 0), (0, 0), tuple(p[4:6]), tuple(p[6:8])), mode="reflect"))

    def __repr__(self) -> str:
        return "ReflectionPad2D(\n\n)"


__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "MaxPool1D",
           "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D"]
