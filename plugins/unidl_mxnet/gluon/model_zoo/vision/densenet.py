"""DenseNet-121/161/169/201 (Huang et al. 2016) as MXNet 1.9's model zoo builds them
(``densenet0_stage1_conv0_weight``). Input (N, 3, 224, 224), output (N, classes)."""
from __future__ import annotations

from typing import Any, List, Optional

from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent, Identity
from ... import nn
from ._common import load_pretrained


def _make_dense_layer(growth_rate: int, bn_size: int, dropout: float) -> HybridConcurrent:
    new = nn.HybridSequential(prefix="")
    new.add(nn.BatchNorm(), nn.Activation("relu"), nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False),
            nn.BatchNorm(), nn.Activation("relu"), nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity())
    out.add(new)
    return out


def _make_dense_block(num_layers: int, bn_size: int, growth_rate: int, dropout: float,
                      stage_index: int) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_make_dense_layer(growth_rate, bn_size, dropout))
    return out


def _make_transition(num_output_features: int) -> nn.HybridSequential:
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm(), nn.Activation("relu"), nn.Conv2D(num_output_features, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """Stem, dense blocks (each layer's output concatenated to its input) with transitions, BN-relu, 7x7 average
    pool, flatten, Dense(classes)."""

    def __init__(self, num_init_features: int, growth_rate: int, block_config: List[int], bn_size: int = 4,
                 dropout: float = 0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2, padding=3, use_bias=False),
                              nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_make_dense_block(num_layers, bn_size, growth_rate, dropout, i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    self.features.add(_make_transition(num_features // 2))
                    num_features //= 2
            self.features.add(nn.BatchNorm(), nn.Activation("relu"), nn.AvgPool2D(pool_size=7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


densenet_spec = {121: (64, 32, [6, 12, 24, 16]), 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]), 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers: int, pretrained: bool = False, ctx: Any = None, root: Optional[str] = None,
                 **kwargs: Any) -> DenseNet:
    """DenseNet with ``num_layers`` 121, 161, 169 or 201."""
    if num_layers not in densenet_spec:
        raise AssertionError(f"Invalid number of layers: {num_layers}. Options are {list(densenet_spec)}")
    init, growth, config = densenet_spec[num_layers]
    net = DenseNet(init, growth, config, **kwargs)
    if pretrained:
        load_pretrained(net, f"densenet{num_layers}", root, ctx)
    return net


def _ctor(n: int):
    def ctor(**kwargs: Any) -> DenseNet:
        return get_densenet(n, **kwargs)

    ctor.__name__ = f"densenet{n}"
    ctor.__doc__ = f"DenseNet-{n} (``pretrained``, ``ctx``, ``root``, ``classes``, ``dropout``)."
    return ctor


densenet121, densenet161, densenet169, densenet201 = (_ctor(n) for n in (121, 161, 169, 201))

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201", "get_densenet"]
