"""Composites of the integer and bit-level ops: bitwise and/or/xor/not, shifts, floor division and
remainders, fmax/fmin, gcd/lcm, float8 rounding, nonzero and argsort. Conventions as in ``composite_basic``.
"""
from __future__ import annotations

import numpy as np

from .composite_basic import composite  # noqa: F401
