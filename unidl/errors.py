"""Framework-neutral error types.

Every error raised by the core names the op, what it was given (shapes, dtypes, devices) and what it
expected, so a frontend can re-phrase it in its framework's words without losing information.
"""
from __future__ import annotations

from typing import Any, Sequence


class UnidlError(Exception):
    """Base class of every error the core raises on purpose."""


class OpError(UnidlError, ValueError):
    """An op was called with inputs it cannot take (shape, dtype or argument mismatch).

    Subclasses ValueError so code written against NumPy-style errors keeps working.
    """

    def __init__(self, op: str, message: str, *, shapes: Sequence[Any] = (), dtypes: Sequence[Any] = ()):
        self.op = op
        self.shapes = tuple(shapes)
        self.dtypes = tuple(dtypes)
        detail = ""
        if self.shapes:
            detail += " input shapes " + ", ".join(str(tuple(s)) for s in self.shapes)
        if self.dtypes:
            detail += (";" if detail else "") + " dtypes " + ", ".join(str(d) for d in self.dtypes)
        super().__init__(f"{op}: {message}" + (f" (got{detail})" if detail else ""))


class DeviceMismatchError(OpError):
    """Inputs of one op live on different devices."""


class KernelNotFoundError(UnidlError, NotImplementedError):
    """No plugin provides a kernel for an op on a device, and the op has no composite definition."""

    def __init__(self, op: str, device: str, dtypes: Sequence[Any] = (), consulted: Sequence[str] = ()):
        self.op, self.device = op, device
        plugins = ", ".join(consulted) if consulted else "none"
        super().__init__(
            f"no kernel for op '{op}' on device '{device}'"
            + (f" with dtypes {', '.join(map(str, dtypes))}" if dtypes else "")
            + f"; plugins consulted: {plugins}. Install a plugin that provides it, or move the tensors "
            "to a device that has it."
        )


class GraphError(UnidlError, RuntimeError):
    """Autograd misuse: backward through a freed graph, on a tensor that does not require grad, ..."""


class PluginError(UnidlError, RuntimeError):
    """A plugin registered something invalid (unknown op, conflicting priority, bad signature)."""


class KernelResultError(UnidlError, RuntimeError):
    """A plugin's kernel returned something that is not what its op returns (a list, a wrong shape or dtype)."""

    def __init__(self, plugin: str, op: str, device: str, message: str):
        self.plugin, self.op, self.device = plugin, op, device
        super().__init__(f"plugin '{plugin}': kernel for op '{op}' on '{device}' {message}")
