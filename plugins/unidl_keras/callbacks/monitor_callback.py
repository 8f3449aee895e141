"""The shared "is this metric better?" logic of EarlyStopping, ReduceLROnPlateau and ModelCheckpoint."""
from __future__ import annotations

import operator
import warnings
from typing import Any, Optional

from .callback import Callback

# metric names (and prefixes) that improve upwards when mode='auto'
_MAX_METRICS = ("acc", "accuracy", "auc", "precision", "recall", "f1_score", "fbeta_score", "r2_score", "iou")


class MonitorCallback(Callback):
    """Tracks ``best`` of ``monitor`` with a ``min``/``max``/``auto`` comparison and ``min_delta``."""

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: Optional[float] = None,
                 min_delta: float = 0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op: Any = None

    def _metric_direction(self, metric_name: str) -> Optional[str]:
        """'up' / 'down' for ``metric_name``: the model metric's ``_direction`` when it has one, else
        'up' for accuracy-like names and 'down' for loss/error-like names (None when unknown)."""
        for m in self._model_metrics():
            if getattr(m, "name", None) == metric_name and hasattr(m, "_direction"):
                return m._direction
        if any(metric_name == n or metric_name.endswith("_" + n) for n in _MAX_METRICS):
            return "up"
        if metric_name.endswith(("loss", "error", "crossentropy")):
            return "down"
        return None

    def _model_metrics(self) -> list:
        metrics = getattr(self.model, "metrics", None) or []
        out = []
        for m in metrics:
            inner = getattr(m, "metrics", None)
            out.extend(inner if isinstance(inner, (list, tuple)) else [m])
        return out

    def _set_monitor_op(self) -> None:
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
            direction = "down" if name == "loss" else self._metric_direction(name)
            if direction is None:
                raise ValueError(f"{self.__class__.__name__} callback received monitor={self.monitor}, but Keras "
                                 "isn't able to automatically determine whether that metric should be maximized or "
                                 "minimized. Pass `mode='max'` in order to monitor based on the highest metric "
                                 "value, or pass `mode='min'` in order to use the lowest value.")
            self.monitor_op = operator.gt if direction == "up" else operator.lt
        if self.monitor_op is operator.lt:
            self.min_delta *= -1

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
