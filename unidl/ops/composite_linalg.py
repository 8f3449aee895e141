"""Composites of the linear-algebra, spectral, random and segment ops: einsum, the exact integer GEMMs,
FFTs, inv, slogdet, random permutations and integers, segment reductions and the FTRL update.
Conventions as in ``composite_basic``.
"""
from __future__ import annotations

import numpy as np

from .composite_basic import composite  # noqa: F401
