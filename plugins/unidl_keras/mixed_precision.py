"""``keras.mixed_precision``: the global dtype policy under its mixed-precision names."""
from __future__ import annotations

from .dtype_policies.dtype_policy import DTypePolicy, dtype_policy, set_dtype_policy

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "Policy", "dtype_policy", "global_policy", "set_dtype_policy", "set_global_policy"]
