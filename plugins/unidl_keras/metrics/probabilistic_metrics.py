"""Probabilistic metrics: running means of the crossentropies, KL divergence and Poisson loss."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..losses import losses as L
from .regression_metrics import _Plain
from .reduction_metrics import MeanMetricWrapper


class KLDivergence(_Plain):
    """Running mean of ``sum(y_true * log(y_true / y_pred), axis=-1)``."""

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(L.kl_divergence, name=name, dtype=dtype)


class Poisson(_Plain):
    """Running mean of the Poisson loss."""

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(L.poisson, name=name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of the binary crossentropy."""

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0) -> None:
        super().__init__(L.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the categorical crossentropy (one-hot labels)."""

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0, axis: int = -1) -> None:
        super().__init__(L.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the sparse categorical crossentropy (integer labels)."""

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 ignore_class: Optional[int] = None, axis: int = -1) -> None:
        super().__init__(L.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}

# the direction of improvement Keras gives these metrics (EarlyStopping / ModelCheckpoint mode='auto')
BinaryCrossentropy._direction = "down"
CategoricalCrossentropy._direction = "down"
SparseCategoricalCrossentropy._direction = "down"
