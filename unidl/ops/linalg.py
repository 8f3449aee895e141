"""(filled by the linalg op family)"""
from __future__ import annotations

__all__: list = []
