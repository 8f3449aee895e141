"""``mx.name``: naming scopes of symbols (``NameManager``, ``Prefix``), as MXNet 1.9 exposes them."""
from .symbol.symbol import NameManager, Prefix, current_name_manager  # noqa: F401

__all__ = ["NameManager", "Prefix"]
