"""(filled by the random op family: philox bits kernel op, dropout)"""
from __future__ import annotations

__all__: list = []
