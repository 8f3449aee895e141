"""``keras.name_scope``: the scope stack that gives variables their ``path``.

Keras 3's rule: a variable's ``path`` is the name-scope path active when it is created, plus its name.
A layer opens a scope named after itself around ``build``, ``__call__`` and ``add_weight``; the first
time it does, it records the path of the scopes around it (``_parent_path``) and later scopes of that
layer restart from there, so a layer keeps one path whichever model calls it later. Entering the same
layer's scope twice in a row is a no-op (a layer's ``build`` run from its own ``__call__``).

So a Sequential model's Dense gets ``sequential/dense/kernel`` (the model builds its layers inside its
own ``build``), an LSTM's cell ``lstm/lstm_cell/kernel``, while a Dense called on an ``Input`` outside
any layer gets ``dense/kernel``.
"""
from __future__ import annotations

import threading
from typing import Any, List, Optional


class _Entry:
    __slots__ = ("name", "caller", "path")

    def __init__(self, name: str, caller: Any, path: str) -> None:
        self.name = name
        self.caller = caller
        self.path = path


class _State(threading.local):
    def __init__(self) -> None:
        self.stack: List[_Entry] = []


_STATE = _State()


def current_path() -> str:
    """The path of the innermost open scope (``''`` outside every scope)."""
    stack = _STATE.stack
    return stack[-1].path if stack else ""


def _push(name: str, caller: Any = None, override_parent: Optional[str] = None) -> bool:
    """Open a scope; False (nothing pushed) when ``caller`` already holds the innermost one of that name."""
    stack = _STATE.stack
    if stack:
        top = stack[-1]
        if caller is not None and top.caller is caller and top.name == name:
            return False
        parent = top.path if override_parent is None else override_parent
    else:
        parent = override_parent or ""
    stack.append(_Entry(name, caller, f"{parent}/{name}" if parent else name))
    return True


def _pop() -> None:
    stack = _STATE.stack
    if stack:
        stack.pop()


class name_scope:  # noqa: N801 - Keras's name
    """Open a sub-namespace for variable paths: ``with keras.name_scope('block'): ...``.

    Args:
        name: the scope's name (a string without ``/``).
        caller: the object opening it (a layer); re-entering the caller's own innermost scope is a no-op.
        deduplicate: apply that no-op rule, and restart from ``caller._parent_path`` when it has one.
        override_parent: an absolute parent path that replaces the scopes around this one.
    """

    def __init__(self, name: str, caller: Any = None, deduplicate: bool = True,
                 override_parent: Optional[str] = None) -> None:
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name}")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        if override_parent is None and deduplicate:
            override_parent = getattr(caller, "_parent_path", None)
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self) -> "name_scope":
        if self.deduplicate:
            self._pushed = _push(self.name, self.caller, self.override_parent)
        else:
            self._pushed = _push(self.name, None, self.override_parent)
            if self._pushed:
                _STATE.stack[-1].caller = self.caller
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pushed:
            self._pushed = False
            _pop()
