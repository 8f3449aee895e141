"""``keras.callbacks.TerminateOnNaN``: stop training when the loss becomes NaN or infinite."""
from __future__ import annotations

import numpy as np

from ..utils.progbar import print_msg
from .callback import Callback, Logs


class TerminateOnNaN(Callback):
    """After each training batch, a NaN/inf ``loss`` sets ``model.stop_training`` and prints Keras's message
    (``raise_error=True``: raises RuntimeError instead)."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or not (np.isnan(loss) or np.isinf(loss)):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
