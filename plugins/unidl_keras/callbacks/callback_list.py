"""``CallbackList``: one object the trainer calls, which calls every callback in order.

As in Keras 3, it adds :class:`History` and :class:`ProgbarLogger` when asked (unless given), sets
``model.history`` and the params on every callback, and passes each hook logs turned into plain
Python floats with sorted keys (nested dicts flattened), one dict shared along the list.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional


from unidl.tensor import Tensor

from ..utils import tree
from .callback import Callback, Logs
from .history import History
from .progbar_logger import ProgbarLogger


def pythonify_logs(logs: Logs) -> Dict[str, Any]:
    """``logs`` flattened (nested dicts merged), keys sorted, values as Python floats where they convert."""
    result: Dict[str, Any] = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
            continue
        try:
            if isinstance(value, Tensor):
                value = value.numpy()
            value = float(value)
        except (TypeError, ValueError):
            pass
        result[key] = value
    return result


# Callback's default on_train_batch_* call these Keras 2 names, so both must be the defaults to skip a call
_KERAS2_NAMES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _is_default(cb: Callback, hook: str) -> bool:
    """Whether ``cb.hook`` is :class:`Callback`'s no-op (not overridden on the class or the instance)."""
    if getattr(getattr(cb, hook), "__func__", None) is not getattr(Callback, hook):
        return False
    alias = _KERAS2_NAMES.get(hook)
    return alias is None or getattr(getattr(cb, alias), "__func__", None) is getattr(Callback, alias)


class _LazyLogs:
    """Batch logs computed on first use (pythonified once, then shared by every callback)."""

    __slots__ = ("_fn", "_value")

    def __init__(self, fn: Callable[[], Logs]) -> None:
        self._fn = fn
        self._value: Optional[Dict[str, Any]] = None

    def get(self) -> Dict[str, Any]:
        if self._value is None:
            self._value = pythonify_logs(self._fn())
        return self._value


class CallbackList(Callback):
    """A container of callbacks.

    Args:
        callbacks: a callback or (nested) list of them.
        add_history: add a :class:`History` if none is in ``callbacks``.
        add_progbar: add a :class:`ProgbarLogger` if none is in ``callbacks``.
        model: the model (set on every callback; ``model.history`` is set to the History).
        **params: run parameters (``verbose``, ``epochs``, ``steps``) passed to every ``set_params``.
    """

    def __init__(self, callbacks: Any = None, add_history: bool = False, add_progbar: bool = False,
                 model: Any = None, **params: Any) -> None:
        super().__init__()
        self.callbacks: List[Callback] = list(tree.flatten(callbacks)) if callbacks else []
        self._in_begin_end_block_count = 0
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._progbar: Optional[ProgbarLogger] = None
        self._history: Optional[History] = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model: Any) -> None:
        if not model:
            return
        super().set_model(model)
        if self._history:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)

    def _dispatch(self, hook: str, *args: Any, logs: Logs = None) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(*args, logs=logs) if args else getattr(cb, hook)(logs=logs)

    def _dispatch_batch(self, hook: str, batch: int, logs_fn: Callable[[], Logs]) -> None:
        """Call ``hook`` (a ``on_*_batch_begin/end``) of every callback with the logs ``logs_fn()`` returns,
        computing them only if some callback reads them: callbacks whose hook is the base no-op are skipped,
        and a stock ``ProgbarLogger`` reads them only when its bar shows them (the trainer passes its
        metrics this way, so it does not read every metric on every batch when nobody looks)."""
        lazy = _LazyLogs(logs_fn)
        for cb in self.callbacks:
            if _is_default(cb, hook):
                continue
            if hook in ("on_train_batch_end", "on_test_batch_end") and _lazy_progbar(cb, hook):
                if hook == "on_train_batch_end" or not cb._called_in_fit:
                    cb._update_progbar_lazy(batch, lazy.get)
                continue
            getattr(cb, hook)(batch, logs=lazy.get())

    def _on_begin(self) -> None:
        self._in_begin_end_block_count += 1

    def _on_end(self) -> None:
        self._in_begin_end_block_count -= 1
        if self._in_begin_end_block_count < 0:
            raise ValueError("`on_xxx_end` called without corresponding `on_xxx_begin`")

    # -- batch and epoch hooks -------------------------------------------------------------------------
    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_batch_begin", batch, logs=logs)

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_batch_end", batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._dispatch("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._dispatch("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_train_batch_end", batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_test_batch_end", batch, logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._dispatch("on_predict_batch_end", batch, logs=logs)

    # -- begin/end hooks -------------------------------------------------------------------------------
    def on_train_begin(self, logs: Logs = None) -> None:
        self._on_begin()
        self._dispatch("on_train_begin", logs=logs)

    def on_train_end(self, logs: Logs = None) -> None:
        self._dispatch("on_train_end", logs=logs)
        self._on_end()

    def on_test_begin(self, logs: Logs = None) -> None:
        self._on_begin()
        self._dispatch("on_test_begin", logs=logs)

    def on_test_end(self, logs: Logs = None) -> None:
        self._dispatch("on_test_end", logs=logs)
        self._on_end()

    def on_predict_begin(self, logs: Logs = None) -> None:
        self._on_begin()
        self._dispatch("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._dispatch("on_predict_end", logs=logs)
        self._on_end()


def _lazy_progbar(cb: Callback, hook: str) -> bool:
    """A ProgbarLogger whose batch-end path is the stock one (so it may take its logs lazily)."""
    return (isinstance(cb, ProgbarLogger) and getattr(getattr(cb, hook), "__func__", None) is getattr(ProgbarLogger, hook)
            and getattr(getattr(cb, "_update_progbar"), "__func__", None) is ProgbarLogger._update_progbar)
