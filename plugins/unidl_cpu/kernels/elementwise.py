"""Elementwise kernels."""
from __future__ import annotations

from typing import Any, Callable, Dict


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    return {
        "add": xp.add,
        "subtract": xp.subtract,
        "multiply": xp.multiply,
        "divide": xp.true_divide,
        "negative": xp.negative,
        "exp": xp.exp,
        "log": xp.log,
    }
