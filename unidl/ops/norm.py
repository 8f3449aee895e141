"""(filled by the norm op family)"""
from __future__ import annotations

__all__: list = []
