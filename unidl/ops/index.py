"""(filled by the index op family)"""
from __future__ import annotations

__all__: list = []
