"""Composites of the elementwise math functions outside the primitive tier: inverse trigonometric and
hyperbolic functions, cbrt, hypot, erfinv, i0, logaddexp2, ldexp, heaviside, copysign, signbit, round,
nextafter. Conventions as in ``composite_basic``.
"""
from __future__ import annotations

import numpy as np

from .composite_basic import composite  # noqa: F401
