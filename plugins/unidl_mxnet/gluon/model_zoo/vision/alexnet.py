"""AlexNet (Krizhevsky et al. 2012) as MXNet 1.9's model zoo builds it (``alexnet0_conv0_weight``).
Input (N, 3, 224, 224), output (N, classes)."""
from __future__ import annotations

from typing import Any, Optional

from ...block import HybridBlock
from ... import nn
from ._common import load_pretrained


class AlexNet(HybridBlock):
    """Five convolutions (relu) with three 3x3/2 max pools, then Dense(4096)-Dropout twice and Dense(classes)."""

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                f = self.features
                f.add(nn.Conv2D(64, kernel_size=11, strides=4, padding=2, activation="relu"))
                f.add(nn.MaxPool2D(pool_size=3, strides=2))
                f.add(nn.Conv2D(192, kernel_size=5, padding=2, activation="relu"))
                f.add(nn.MaxPool2D(pool_size=3, strides=2))
                for c in (384, 256, 256):
                    f.add(nn.Conv2D(c, kernel_size=3, padding=1, activation="relu"))
                f.add(nn.MaxPool2D(pool_size=3, strides=2))
                f.add(nn.Flatten())
                for _ in range(2):
                    f.add(nn.Dense(4096, activation="relu"))
                    f.add(nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.output(self.features(x))


def alexnet(pretrained: bool = False, ctx: Any = None, root: Optional[str] = None, **kwargs: Any) -> AlexNet:
    """AlexNet (``pretrained`` loads ``alexnet-44335d1f.params`` from ``root``)."""
    net = AlexNet(**kwargs)
    if pretrained:
        load_pretrained(net, "alexnet", root, ctx)
    return net


__all__ = ["AlexNet", "alexnet"]
