"""(filled by the pool op family)"""
from __future__ import annotations

__all__: list = []
