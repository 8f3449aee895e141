"""Import aliases: run code written for ``keras`` / ``tensorflow.keras`` / ``tf_keras`` on unidl_keras.

:func:`install_aliases` puts a finder at the front of ``sys.meta_path`` that resolves

    keras[.x.y]              -> unidl_keras[.x.y]
    tf_keras[.x.y]           -> unidl_keras[.x.y]
    tensorflow.keras[.x.y]   -> unidl_keras[.x.y]

so ``import keras``, ``from tensorflow import keras``, ``import tensorflow.keras.layers as L`` and
``from tensorflow.keras.models import Sequential`` give unidl_keras modules. ``tensorflow`` itself
becomes a small stand-in package (holding only ``keras``) when no real TensorFlow is installed; a real
one is left alone. Nothing happens until it is called, and a module already imported under one of
these names (a real ``keras`` in ``sys.modules``) is never shadowed. :func:`uninstall_aliases` removes
the finder and the alias entries it added to ``sys.modules``.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Dict, List, Optional

TARGET = "unidl_keras"
ROOTS = ("keras", "tf_keras", "tensorflow.keras")

__all__ = ["install_aliases", "uninstall_aliases", "aliases_installed", "AliasFinder"]


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the already-imported target module under the alias name."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        mod = importlib.import_module(self.target)
        self._spec = getattr(mod, "__spec__", None)
        return mod

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system stamped the alias spec on the target module: give it back its own
        if self._spec is not None:
            module.__spec__ = self._spec


class _StubLoader(importlib.abc.Loader):
    """Creates the stand-in ``tensorflow`` package (its ``keras`` attribute is unidl_keras)."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        mod = types.ModuleType(spec.name, "Stand-in for TensorFlow made by unidl_keras.compat: it provides "
                                          "only `tensorflow.keras` (unidl_keras).")
        mod.__path__ = []  # a package, so that tensorflow.keras can be imported from it
        return mod

    def exec_module(self, module: types.ModuleType) -> None:
        module.keras = importlib.import_module(TARGET)

        def __getattr__(name: str):
            raise AttributeError(f"module 'tensorflow' (a unidl stand-in providing only tensorflow.keras) has no "
                                 f"attribute '{name}'; TensorFlow itself is not installed")

        module.__getattr__ = __getattr__


class AliasFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder mapping the alias names onto unidl_keras modules."""

    def __init__(self, stub_tensorflow: bool) -> None:
        self.stub_tensorflow = stub_tensorflow
        self.created: List[str] = []

    @staticmethod
    def target_of(fullname: str) -> Optional[str]:
        """The unidl_keras module an alias name stands for (None when it is not an alias)."""
        for root in ROOTS:
            if fullname == root or fullname.startswith(root + "."):
                return TARGET + fullname[len(root):]
        return None

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname == "tensorflow":
            if not self.stub_tensorflow:
                return None
            self.created.append(fullname)
            return importlib.machinery.ModuleSpec(fullname, _StubLoader(), is_package=True)
        tgt = self.target_of(fullname)
        if tgt is None:
            return None
        if fullname.startswith("tensorflow.") and not self.stub_tensorflow:
            return None  # a real TensorFlow is installed: leave tensorflow.* to it
        try:
            tspec = importlib.util.find_spec(tgt)
        except (ImportError, ValueError):
            return None
        if tspec is None:
            return None
        self.created.append(fullname)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(tgt),
                                              is_package=tspec.submodule_search_locations is not None)


_FINDER: Optional[AliasFinder] = None


def _real_tensorflow_available() -> bool:
    if "tensorflow" in sys.modules:
        return True
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def install_aliases() -> bool:
    """Install the alias finder (idempotent). Returns True when it is installed after the call.

    Names already present in ``sys.modules`` (a real ``keras`` imported earlier) keep their module.
    """
    global _FINDER
    if _FINDER is not None:
        return True
    _FINDER = AliasFinder(stub_tensorflow=not _real_tensorflow_available())
    sys.meta_path.insert(0, _FINDER)
    return True


def uninstall_aliases() -> None:
    """Remove the finder and the ``sys.modules`` entries it created (the unidl_keras modules stay)."""
    global _FINDER
    if _FINDER is None:
        return
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in _FINDER.created:
        mod = sys.modules.get(name)
        if mod is not None and (name == "tensorflow" and isinstance(mod.__spec__, importlib.machinery.ModuleSpec)
                                and isinstance(mod.__spec__.loader, _StubLoader)
                                or getattr(mod, "__name__", "").startswith(TARGET)):
            del sys.modules[name]
    _FINDER = None


def aliases_installed() -> bool:
    return _FINDER is not None


def alias_map() -> Dict[str, str]:
    """The alias roots and the module each stands for."""
    return {root: TARGET for root in ROOTS}
