"""``keras.SymbolicScope``: marks the symbolic stage, the placeholder runs the face makes to infer the
output shapes of a layer or op called on KerasTensors (Keras: ``keras.src.backend.common.symbolic_scope``).

Code that behaves differently when only shapes matter (a loss that returns zeros while a model is traced)
asks :func:`in_symbolic_scope`. The scope is per thread, as Keras's global state is.
"""
from __future__ import annotations

import threading
from typing import Any, Optional

_STATE = threading.local()


class SymbolicScope:
    """Scope to indicate the symbolic stage (nested scopes restore the enclosing one on exit)."""

    def __enter__(self) -> "SymbolicScope":
        self.original_scope = get_symbolic_scope()
        _STATE.scope = self
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        _STATE.scope = self.original_scope


def in_symbolic_scope() -> bool:
    """Whether code runs inside a :class:`SymbolicScope`."""
    return getattr(_STATE, "scope", None) is not None


def get_symbolic_scope() -> Optional[SymbolicScope]:
    """The innermost active :class:`SymbolicScope`, or ``None``."""
    return getattr(_STATE, "scope", None)
