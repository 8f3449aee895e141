"""Import aliases: run code written for ``keras`` / ``tensorflow.keras`` / ``tf_keras`` on unidl_keras.

A thin Keras-only face of the core hook :mod:`unidl.aliases` (``unidl.install_aliases``), which maps

    keras[.x.y]              -> unidl_keras[.x.y]
    tf_keras[.x.y]           -> unidl_keras[.x.y]
    tensorflow.keras[.x.y]   -> unidl_keras[.x.y]

(the names this frontend registers through ``unidl_register_frontends``), so ``import keras``,
``from tensorflow import keras`` and ``from tensorflow.keras.models import Sequential`` give unidl_keras
modules. ``tensorflow`` becomes a small stand-in package (holding only ``keras``) when no real TensorFlow
is installed. Nothing happens until :func:`install_aliases` is called, and a module already imported
under one of these names is never shadowed. :func:`uninstall_aliases` removes the finder and the alias
entries it added to ``sys.modules``.
"""
from __future__ import annotations

from typing import Dict

from unidl import aliases as _core
from unidl.aliases import AliasFinder  # noqa: F401 - re-exported

TARGET = "unidl_keras"
ROOTS = ("keras", "tf_keras", "tensorflow.keras")

__all__ = ["install_aliases", "uninstall_aliases", "aliases_installed", "alias_map", "AliasFinder"]


def install_aliases() -> bool:
    """Install the Keras aliases (idempotent). Returns True when aliases are installed after the call.

    When the core aliases are already installed (``unidl.install_aliases()``), they are left as they are.
    """
    _core.install_aliases(["keras"])
    return _core.aliases_installed()


def uninstall_aliases() -> None:
    """Remove the alias finder and the ``sys.modules`` entries it created (the unidl_keras modules stay)."""
    _core.uninstall_aliases()


def aliases_installed() -> bool:
    """True while the aliases are in effect."""
    return _core.aliases_installed()


def alias_map() -> Dict[str, str]:
    """The alias names and the module each stands for (from the registered keras frontend)."""
    return {alias: pkg for alias, (_, pkg) in _core.alias_table(["keras"]).items()}
