"""Import aliases: make ``import keras`` / ``import mxnet`` resolve to the registered unidl frontends.

Which names stand for which frontend is not written here: every frontend plugin says so through the
``unidl_register_frontends`` hook (:class:`unidl.plugins.FrontendRegistry`, ``provides=``), e.g.
``keras``, ``tensorflow.keras``, ``tf_keras`` -> ``unidl_keras`` and ``mxnet`` -> ``unidl_mxnet``.
:func:`install_aliases` puts one finder at the front of ``sys.meta_path`` that maps such a name, and
every submodule below it (prefix rewritten), onto the frontend's module and registers the alias in
``sys.modules``::

    import keras                       # -> unidl_keras
    import tensorflow.keras.layers     # -> unidl_keras.layers
    import mxnet.gluon.nn as nn        # -> unidl_mxnet.gluon.nn

A provided name with a dot (``tensorflow.keras``) makes its parent (``tensorflow``) a small stand-in
package when the real one is not installed: it holds only the provided child, and any other attribute
raises :class:`UnsupportedAPIError` naming the API. A submodule the frontend lacks (``mxnet.module``)
raises :class:`UnsupportedModuleError` listing what the frontend implements. Modules already imported
under an alias name (a real ``keras`` in ``sys.modules``) are never shadowed.

    with unidl.install_aliases():      # or install_aliases() ... uninstall_aliases()
        import keras
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import pkgutil
import sys
import types
from typing import Dict, Iterable, List, Optional, Tuple

from .errors import UnidlError

__all__ = ["install_aliases", "uninstall_aliases", "aliases_installed", "alias_table", "public_name",
           "UnsupportedAPIError", "UnsupportedModuleError", "AliasFinder"]


class UnsupportedAPIError(UnidlError, AttributeError):
    """An attribute of an aliased framework that unidl does not provide (``tf.constant``)."""


class UnsupportedModuleError(UnidlError, ImportError):
    """A module of an aliased framework that unidl does not provide (``mxnet.module``)."""


def alias_table(frameworks: Optional[Iterable[str]] = None) -> Dict[str, Tuple[str, str]]:
    """``{alias name: (frontend name, frontend package)}`` from the registered frontends.

    Args:
        frameworks: frontend names (``"keras"``, ``"mxnet"``) or provided names (``"tensorflow.keras"``)
            to limit the table to; None means every registered frontend.

    Raises:
        ValueError: a name no registered frontend provides.
    """
    from . import plugins

    plugins.ensure_loaded()
    fes = plugins.FRONTENDS.frontends
    table = {alias: (fe.name, fe.package) for fe in fes.values() for alias in fe.provides}
    if frameworks is None:
        return table
    if isinstance(frameworks, str):
        frameworks = [frameworks]
    chosen = set()
    for name in frameworks:
        if name in fes:
            chosen.add(name)
        elif name in table:
            chosen.add(table[name][0])
        else:
            known = ", ".join(sorted(set(fes) | set(table))) or "none (no frontend plugin is loaded)"
            raise ValueError(f"install_aliases: no registered frontend provides {name!r}; known: {known}")
    return {a: v for a, v in table.items() if v[0] in chosen}


def public_name(module_name: str, table: Optional[Dict[str, Tuple[str, str]]] = None) -> str:
    """The framework name of a frontend module: ``unidl_keras.layers`` -> ``keras.layers`` (else unchanged)."""
    table = alias_table() if table is None else table
    for alias, (_, pkg) in table.items():
        if module_name == pkg or module_name.startswith(pkg + "."):
            root = next(a for a, (_, p) in table.items() if p == pkg)  # the first name a frontend provides
            return root + module_name[len(pkg):]
    return module_name


def _submodules(module_name: str) -> List[str]:
    try:
        mod = importlib.import_module(module_name)
    except ImportError:
        return []
    names = {m.name for m in pkgutil.iter_modules(getattr(mod, "__path__", None) or [])}
    names |= {n for n, v in vars(mod).items() if isinstance(v, types.ModuleType)
              and getattr(v, "__name__", "").startswith(module_name + ".")}
    return sorted(n for n in names if not n.startswith("_"))


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the frontend's module under the alias name."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        mod = importlib.import_module(self.target)
        self._spec = getattr(mod, "__spec__", None)
        return mod

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system stamped the alias's spec on the frontend module: give it back its own
        if self._spec is not None:
            module.__spec__ = self._spec


class _StubLoader(importlib.abc.Loader):
    """Makes the stand-in parent package (``tensorflow``) of dotted aliases (``tensorflow.keras``)."""

    def __init__(self, children: Dict[str, str]) -> None:
        self.children = children  # child attribute -> frontend package

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        provided = ", ".join(f"{spec.name}.{c}" for c in sorted(self.children))
        mod = types.ModuleType(spec.name, f"Stand-in for {spec.name} made by unidl: it provides only {provided}.")
        mod.__path__ = []  # a package, so that its aliased children can be imported from it
        return mod

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        for child, pkg in self.children.items():
            setattr(module, child, importlib.import_module(pkg))
        provided = ", ".join(f"{name}.{c} ({p})" for c, p in sorted(self.children.items()))

        def __getattr__(attr: str):
            if attr.startswith("__"):
                raise AttributeError(attr)
            raise UnsupportedAPIError(f"`{name}.{attr}` is not supported by unidl: its `{name}` is a stand-in "
                                      f"providing only {provided}")

        module.__getattr__ = __getattr__


class AliasFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder mapping alias names (and their submodules) onto frontend modules."""

    def __init__(self, table: Dict[str, Tuple[str, str]], stubs: Dict[str, Dict[str, str]]) -> None:
        self.table = table
        self.stubs = stubs  # stand-in parent -> {child: frontend package}
        self._roots = sorted(table, key=len, reverse=True)  # longest alias first
        self.created: List[str] = []

    def target_of(self, fullname: str) -> Optional[Tuple[str, str]]:
        """``(alias, frontend module name)`` for an alias name, or None."""
        for alias in self._roots:
            if fullname == alias or fullname.startswith(alias + "."):
                return alias, self.table[alias][1] + fullname[len(alias):]
        return None

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname in self.stubs:
            self.created.append(fullname)
            return importlib.machinery.ModuleSpec(fullname, _StubLoader(self.stubs[fullname]), is_package=True)
        hit = self.target_of(fullname)
        if hit is None:
            stub = fullname.partition(".")[0]
            if stub in self.stubs:
                provided = ", ".join(f"{stub}.{c}" for c in sorted(self.stubs[stub]))
                raise UnsupportedModuleError(f"`{fullname}` is not supported by unidl (its `{stub}` is a stand-in "
                                             f"providing only {provided})", name=fullname)
            return None
        alias, tgt = hit
        resolved = self._resolve(tgt)
        if resolved is None:
            parent, _, _ = tgt.rpartition(".")
            pkg = self.table[alias][1]
            have = ", ".join(f"{public_name(parent, self.table)}.{s}" for s in _submodules(parent)) or "no submodules"
            raise UnsupportedModuleError(f"`{fullname}` is not yet supported by unidl ({pkg} implements {have})",
                                         name=fullname)
        self.created.append(fullname)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(resolved),
                                              is_package=hasattr(sys.modules.get(resolved), "__path__")
                                              or _is_package(resolved))

    @staticmethod
    def _resolve(tgt: str) -> Optional[str]:
        """The real module name for frontend module ``tgt`` (a file, or a module-valued attribute)."""
        try:
            if importlib.util.find_spec(tgt) is not None:
                return tgt
        except (ImportError, ValueError):
            pass
        parent, _, last = tgt.rpartition(".")
        mod = sys.modules.get(parent)
        if parent and mod is not None:
            try:
                value = getattr(mod, last)
            except Exception:  # noqa: BLE001 - a lazy attribute that fails means "not provided"
                return None
            if isinstance(value, types.ModuleType):
                return value.__name__
        return None


def _is_package(name: str) -> bool:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.submodule_search_locations is not None


class _Installed:
    """What :func:`install_aliases` returns; usable as a context manager that uninstalls on exit."""

    def __init__(self, finder: AliasFinder, owner: bool) -> None:
        self.finder, self.owner = finder, owner

    @property
    def aliases(self) -> Dict[str, str]:
        """alias name -> frontend package."""
        return {a: pkg for a, (_, pkg) in self.finder.table.items()}

    def __enter__(self) -> "_Installed":
        return self

    def __exit__(self, *exc) -> None:
        if self.owner:
            uninstall_aliases()

    def __repr__(self) -> str:
        return f"<unidl aliases {self.aliases}>"


_FINDER: Optional[AliasFinder] = None


def _really_importable(name: str) -> bool:
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def install_aliases(frameworks: Optional[Iterable[str]] = None) -> _Installed:
    """Make the framework names the registered frontends provide import the frontends.

    Args:
        frameworks: frontend names (``"keras"``, ``"mxnet"``) to alias; None means all registered ones.

    Returns:
        A handle; ``with install_aliases(): ...`` removes the aliases on exit. Calling again while
        installed returns a handle whose exit leaves the existing aliases in place.
    """
    global _FINDER
    if _FINDER is not None:
        return _Installed(_FINDER, owner=False)
    table = alias_table(frameworks)
    stubs: Dict[str, Dict[str, str]] = {}
    for alias, (_, pkg) in table.items():
        parent, _, child = alias.rpartition(".")
        if parent and "." not in parent and parent not in table and not _really_importable(parent):
            stubs.setdefault(parent, {})[child] = pkg
    _FINDER = AliasFinder(table, stubs)
    sys.meta_path.insert(0, _FINDER)
    return _Installed(_FINDER, owner=True)


def uninstall_aliases() -> None:
    """Remove the finder and the ``sys.modules`` alias entries it added (frontend modules stay loaded)."""
    global _FINDER
    finder, _FINDER = _FINDER, None
    if finder is None:
        return
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)
    pkgs = tuple(pkg for _, pkg in finder.table.values())
    for name in set(finder.created):
        mod = sys.modules.get(name)
        if mod is None:
            continue
        spec = getattr(mod, "__spec__", None)
        is_stub = isinstance(getattr(spec, "loader", None), _StubLoader)
        if is_stub or any(getattr(mod, "__name__", "") == p or getattr(mod, "__name__", "").startswith(p + ".")
                          for p in pkgs):
            del sys.modules[name]


def aliases_installed() -> bool:
    """True while :func:`install_aliases` is in effect."""
    return _FINDER is not None
