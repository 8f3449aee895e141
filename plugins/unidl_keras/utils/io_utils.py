"""Interactive logging switch (progress bars vs. plain log lines) and message printing."""
from __future__ import annotations

import sys
import threading

_STATE = threading.local()


def enable_interactive_logging() -> None:
    """Print progress with interactive bars (the default)."""
    _STATE.interactive = True


def disable_interactive_logging() -> None:
    """Print progress as plain lines (for logs and non-terminal output)."""
    _STATE.interactive = False


def is_interactive_logging_enabled() -> bool:
    return getattr(_STATE, "interactive", True)


def print_msg(message: str, line_break: bool = True) -> None:
    """Write ``message`` to stdout (a newline appended unless ``line_break`` is False)."""
    sys.stdout.write(message + ("\n" if line_break else ""))
    sys.stdout.flush()
