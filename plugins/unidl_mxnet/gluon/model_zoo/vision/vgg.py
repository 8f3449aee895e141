"""VGG-11/13/16/19 (Simonyan & Zisserman 2014), optionally with BatchNorm, as MXNet 1.9's model zoo builds
them (names ``vgg0_conv0_weight``, ``vgg0_dense0_weight``). Input (N, 3, 224, 224), output (N, classes)."""
from __future__ import annotations

from typing import Any, List, Optional

from ....initializer import Xavier
from ...block import HybridBlock
from ... import nn
from ._common import load_pretrained


class VGG(HybridBlock):
    """Stacks of 3x3 conv (+BN) + relu with 2x2 max pools, then Dense(4096)-Dropout twice and Dense(classes)."""

    def __init__(self, layers: List[int], filters: List[int], classes: int = 1000, batch_norm: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise AssertionError("VGG: layers and filters must have the same length")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            for i, num in enumerate(layers):
                for _ in range(num):
                    self.features.add(nn.Conv2D(filters[i], kernel_size=3, padding=1,
                                                weight_initializer=Xavier(rnd_type="gaussian", factor_type="out",
                                                                          magnitude=2),
                                                bias_initializer="zeros"))
                    if batch_norm:
                        self.features.add(nn.BatchNorm())
                    self.features.add(nn.Activation("relu"))
                self.features.add(nn.MaxPool2D(strides=2))
            for _ in range(2):
                self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                           bias_initializer="zeros"))
                self.features.add(nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal", bias_initializer="zeros")

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers: int, pretrained: bool = False, ctx: Any = None, root: Optional[str] = None,
            **kwargs: Any) -> VGG:
    """VGG with ``num_layers`` 11, 13, 16 or 19 (``batch_norm=True`` for the _bn variants)."""
    if num_layers not in vgg_spec:
        raise AssertionError(f"Invalid number of layers: {num_layers}. Options are {list(vgg_spec)}")
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        load_pretrained(net, f"vgg{num_layers}{'_bn' if kwargs.get('batch_norm') else ''}", root, ctx)
    return net


def _ctor(n: int, bn: bool):
    def ctor(**kwargs: Any) -> VGG:
        if bn:
            kwargs["batch_norm"] = True
        return get_vgg(n, **kwargs)

    ctor.__name__ = f"vgg{n}{'_bn' if bn else ''}"
    ctor.__doc__ = f"VGG-{n}{' with BatchNorm' if bn else ''} (``pretrained``, ``ctx``, ``root``, ``classes``)."
    return ctor


vgg11, vgg13, vgg16, vgg19 = (_ctor(n, False) for n in (11, 13, 16, 19))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = (_ctor(n, True) for n in (11, 13, 16, 19))

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "get_vgg"]
