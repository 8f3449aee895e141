"""Safe mode: while on (the default), deserializing arbitrary code (``Lambda`` layers' bytecode,
``__lambda__`` configs) is refused, as Keras 3's ``safe_mode=True``."""
from __future__ import annotations

import threading

_STATE = threading.local()


def in_safe_mode() -> bool:
    """True unless inside ``SafeModeScope(False)`` (or ``keras.config.enable_unsafe_deserialization()``)."""
    v = getattr(_STATE, "safe_mode", None)
    return _GLOBAL_SAFE if v is None else v


_GLOBAL_SAFE = True


def enable_unsafe_deserialization() -> None:
    global _GLOBAL_SAFE
    _GLOBAL_SAFE = False


class SafeModeScope:
    """``with SafeModeScope(False): ...`` allows loading code-carrying configs in the block."""

    def __init__(self, safe_mode: bool = True) -> None:
        self.safe_mode = safe_mode

    def __enter__(self) -> "SafeModeScope":
        self._prev = getattr(_STATE, "safe_mode", None)
        _STATE.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc: object) -> None:
        _STATE.safe_mode = self._prev
