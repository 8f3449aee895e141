"""``keras.callbacks.SwapEMAWeights``: evaluate and predict with the optimizer's EMA weights."""
from __future__ import annotations

from typing import Any

from .callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving averages (``use_ema=True``) around evaluation and
    prediction, and with ``swap_on_epoch=True`` also from each epoch's end to the next epoch's start (after the
    last epoch the averages are kept). Works through a LossScaleOptimizer and a MultiOptimizer (on the
    sub-optimizers that use EMA)."""

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    @staticmethod
    def _swap(optimizer: Any) -> None:
        for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
            held = var.numpy().copy()
            var.assign(average)
            average.assign(held)

    @staticmethod
    def _finalize(optimizer: Any) -> None:
        for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
            average.assign(var)

    def _apply(self, fn: Any) -> None:
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            if not any(getattr(o, "use_ema", False) for o in optimizer.optimizers):
                raise ValueError("SwapEMAWeights must be used when at least one inner optimizer has `use_ema=True` "
                                 "set. Received a MultiOptimizer with all inner optimizers having `use_ema=False`.")
            targets = [o for o in optimizer.optimizers if getattr(o, "use_ema", False)]
        else:
            targets = [optimizer]
        for o in targets:
            if not hasattr(o, "_model_variables_moving_average"):
                raise ValueError("SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                                 f"Received: use_ema={o.use_ema}")
            fn(o)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._apply(self._swap)
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._apply(self._swap)
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._apply(self._finalize)

    def on_test_begin(self, logs: Any = None) -> None:
        if not self._ema_weights_in_model:
            self._apply(self._swap)
            self._ema_weights_in_model = True

    def on_test_end(self, logs: Any = None) -> None:
        if self._ema_weights_in_model:
            self._apply(self._swap)
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs: Any = None) -> None:
        if not self._ema_weights_in_model:
            self._apply(self._swap)
            self._ema_weights_in_model = True

    def on_predict_end(self, logs: Any = None) -> None:
        if not self._ema_weights_in_model:  # (as Keras 3.15.1 writes it)
            self._apply(self._swap)
            self._ema_weights_in_model = False
