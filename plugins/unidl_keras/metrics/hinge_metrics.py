"""Hinge metrics: running means of the hinge losses."""
from __future__ import annotations

from typing import Any

from ..losses import losses as L
from .regression_metrics import _Plain


class Hinge(_Plain):
    """Running mean of the hinge loss."""

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(L.hinge, name=name, dtype=dtype)


class SquaredHinge(_Plain):
    """Running mean of the squared hinge loss."""

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(L.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_Plain):
    """Running mean of the categorical hinge loss."""

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(L.categorical_hinge, name=name, dtype=dtype)

# the direction of improvement Keras gives these metrics (EarlyStopping / ModelCheckpoint mode='auto')
Hinge._direction = "down"
SquaredHinge._direction = "down"
CategoricalHinge._direction = "down"
