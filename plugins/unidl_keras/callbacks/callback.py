"""``keras.callbacks.Callback``: the base class of objects hooked into ``fit``/``evaluate``/``predict``."""
from __future__ import annotations

from typing import Any, Dict, Optional

Logs = Optional[Dict[str, Any]]


class Callback:
    """Override any ``on_*`` hook. ``self.model`` is the model being trained, ``self.params`` the run's
    parameters (``verbose``, ``epochs``, ``steps``). ``on_train_batch_*`` call ``on_batch_*`` by default
    (the Keras 2 names)."""

    def __init__(self) -> None:
        self.params: Optional[Dict[str, Any]] = None
        self._model: Any = None

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """A training batch begins (Keras 2 name of :meth:`on_train_batch_begin`)."""

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """A training batch ended (Keras 2 name of :meth:`on_train_batch_end`)."""

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """An epoch of ``fit`` begins (``epoch`` is 0-based)."""

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """An epoch ended; ``logs`` holds the epoch's metrics (``val_*`` too after validation)."""

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """An ``evaluate`` (or validation) batch begins."""

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        """An ``evaluate`` (or validation) batch ended; ``logs`` holds the running metrics."""

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """A ``predict`` batch begins."""

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        """A ``predict`` batch ended; ``logs['outputs']`` holds its outputs."""

    def on_train_begin(self, logs: Logs = None) -> None:
        """``fit`` begins."""

    def on_train_end(self, logs: Logs = None) -> None:
        """``fit`` ends."""

    def on_test_begin(self, logs: Logs = None) -> None:
        """``evaluate`` (or a validation pass) begins."""

    def on_test_end(self, logs: Logs = None) -> None:
        """``evaluate`` (or a validation pass) ends."""

    def on_predict_begin(self, logs: Logs = None) -> None:
        """``predict`` begins."""

    def on_predict_end(self, logs: Logs = None) -> None:
        """``predict`` ends."""
