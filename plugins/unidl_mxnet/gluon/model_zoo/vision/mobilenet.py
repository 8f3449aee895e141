"""MobileNet (Howard et al. 2017) and MobileNetV2 (Sandler et al. 2018) with a width ``multiplier``, as MXNet
1.9's model zoo builds them (``mobilenet0_conv0_weight``, ``mobilenetv20_features_linearbottleneck0_conv0_weight``).
Input (N, 3, 224, 224), output (N, classes)."""
from __future__ import annotations

from typing import Any, Optional

from ...block import HybridBlock
from ... import nn
from ._common import load_pretrained


class RELU6(HybridBlock):
    """min(max(x, 0), 6)."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        # traced, the node is named "relu6" as in MXNet (mx.nd's clip takes no name)
        return F.clip(x, 0, 6) if hasattr(F, "NDArray") else F.clip(x, 0, 6, name="relu6")


def _add_conv(out: nn.HybridSequential, channels: int = 1, kernel: int = 1, stride: int = 1, pad: int = 0,
              num_group: int = 1, active: bool = True, relu6: bool = False) -> None:
    out.add(nn.Conv2D(channels, kernel, stride, pad, groups=num_group, use_bias=False))
    out.add(nn.BatchNorm(scale=True))
    if active:
        out.add(RELU6() if relu6 else nn.Activation("relu"))


def _add_conv_dw(out: nn.HybridSequential, dw_channels: int, channels: int, stride: int, relu6: bool = False) -> None:
    _add_conv(out, channels=dw_channels, kernel=3, stride=stride, pad=1, num_group=dw_channels, relu6=relu6)
    _add_conv(out, channels=channels, relu6=relu6)


class LinearBottleneck(HybridBlock):
    """Expand (1x1, x t) - depthwise 3x3 - project (1x1, linear), plus the input when shapes allow."""

    def __init__(self, in_channels: int, channels: int, t: int, stride: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        with self.name_scope():
            self.out = nn.HybridSequential()
            _add_conv(self.out, in_channels * t, relu6=True)
            _add_conv(self.out, in_channels * t, kernel=3, stride=stride, pad=1, num_group=in_channels * t,
                      relu6=True)
            _add_conv(self.out, channels, active=False, relu6=True)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        out = self.out(x)
        return F.elemwise_add(out, x) if self.use_shortcut else out


class MobileNet(HybridBlock):
    """Depthwise-separable convolution stack, global average pool, flatten, Dense(classes)."""

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                _add_conv(self.features, channels=int(32 * multiplier), kernel=3, pad=1, stride=2)
                dw = [int(x * multiplier) for x in [32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024]]
                ch = [int(x * multiplier) for x in [64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2]
                strides = [1, 2] * 3 + [1] * 5 + [2, 1]
                for d, c, s in zip(dw, ch, strides):
                    _add_conv_dw(self.features, dw_channels=d, channels=c, stride=s)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """Inverted residual bottlenecks with relu6, a 1x1 conv to 1280 channels, pool, a 1x1 conv classifier."""

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="features_")
            with self.features.name_scope():
                _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1, relu6=True)
                in_group = [int(x * multiplier) for x in [32] + [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3
                            + [160] * 3]
                out_group = [int(x * multiplier) for x in [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3
                             + [160] * 3 + [320]]
                ts = [1] + [6] * 16
                strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
                for i, c, t, s in zip(in_group, out_group, ts, strides):
                    self.features.add(LinearBottleneck(in_channels=i, channels=c, t=t, stride=s))
                last = int(1280 * multiplier) if multiplier > 1.0 else 1280
                _add_conv(self.features, last, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix="output_")
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix="pred_"), nn.Flatten())

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def _suffix(multiplier: float) -> str:
    s = f"{multiplier:.2f}"
    return s[:-1] if s in ("1.00", "0.50") else s


def get_mobilenet(multiplier: float, pretrained: bool = False, ctx: Any = None, root: Optional[str] = None,
                  **kwargs: Any) -> MobileNet:
    """MobileNet with width ``multiplier`` (pretrained files exist for 1.0, 0.75, 0.5, 0.25)."""
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenet{_suffix(multiplier)}", root, ctx)
    return net


def get_mobilenet_v2(multiplier: float, pretrained: bool = False, ctx: Any = None, root: Optional[str] = None,
                     **kwargs: Any) -> MobileNetV2:
    """MobileNetV2 with width ``multiplier``."""
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        load_pretrained(net, f"mobilenetv2_{_suffix(multiplier)}", root, ctx)
    return net


def _ctor(v2: bool, m: float, name: str):
    def ctor(**kwargs: Any) -> HybridBlock:
        return get_mobilenet_v2(m, **kwargs) if v2 else get_mobilenet(m, **kwargs)

    ctor.__name__ = name
    ctor.__doc__ = f"MobileNet{'V2' if v2 else ''} with width multiplier {m}."
    return ctor


mobilenet1_0 = _ctor(False, 1.0, "mobilenet1_0")
mobilenet0_75 = _ctor(False, 0.75, "mobilenet0_75")
mobilenet0_5 = _ctor(False, 0.5, "mobilenet0_5")
mobilenet0_25 = _ctor(False, 0.25, "mobilenet0_25")
mobilenet_v2_1_0 = _ctor(True, 1.0, "mobilenet_v2_1_0")
mobilenet_v2_0_75 = _ctor(True, 0.75, "mobilenet_v2_0_75")
mobilenet_v2_0_5 = _ctor(True, 0.5, "mobilenet_v2_0_5")
mobilenet_v2_0_25 = _ctor(True, 0.25, "mobilenet_v2_0_25")

__all__ = ["MobileNet", "MobileNetV2", "LinearBottleneck", "RELU6", "get_mobilenet", "get_mobilenet_v2",
           "mobilenet1_0", "mobilenet0_75", "mobilenet0_5", "mobilenet0_25", "mobilenet_v2_1_0",
           "mobilenet_v2_0_75", "mobilenet_v2_0_5", "mobilenet_v2_0_25"]
