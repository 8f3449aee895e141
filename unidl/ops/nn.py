"""(filled by the nn op family)"""
from __future__ import annotations

__all__: list = []
