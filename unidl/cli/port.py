"""``unidl port SCRIPT``: which Keras / MXNet APIs a script uses, and which of them unidl lacks.

The script is read with :mod:`ast`, never executed. Import aliases are followed (``import keras as k``,
``from keras import layers as L``, ``from mxnet import gluon, nd``, ``import tensorflow as tf`` then
``tf.keras.X``), and every dotted name rooted at such an import (``mx.gluon.nn.Dense``, ``L.Dense``) is
an API use. Each API is checked against the frontends' ``inventory()`` and, where that list is not
exhaustive, by looking the dotted path up on the frontend module itself. Methods called on objects
(``model.fit``) are out of scope. Exit status: 0 all supported, 1 some not, 2 the script cannot be read
or parsed.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import json
import sys
import types
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

HELP = "list the Keras/MXNet APIs a script uses and which ones unidl does not support (static)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", metavar="SCRIPT", help="the Python script to check (it is not run)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


@dataclass
class ApiUse:
    """One framework API the script uses: its canonical name, the lines, and whether unidl has it."""

    name: str
    lines: Set[int] = field(default_factory=set)
    supported: bool = False


class _Collector(ast.NodeVisitor):
    """Walks a module in source order, tracking names bound to framework modules and their uses."""

    def __init__(self, roots: Tuple[str, ...]) -> None:
        self.roots = roots
        self.bind: Dict[str, str] = {}  # local name -> dotted framework path as written
        self.uses: Dict[str, Set[int]] = {}

    def _is_fw(self, dotted: str) -> bool:
        return any(dotted == r or dotted.startswith(r + ".") for r in self.roots)

    def _record(self, dotted: str, line: int) -> None:
        self.uses.setdefault(dotted, set()).add(line)

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if not self._is_fw(a.name):
                continue
            self._record(a.name, node.lineno)
            if a.asname:
                self.bind[a.asname] = a.name
            else:
                top = a.name.partition(".")[0]
                self.bind[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module or not self._is_fw(node.module):
            return
        for a in node.names:
            if a.name == "*":
                self._record(node.module, node.lineno)
                continue
            full = f"{node.module}.{a.name}"
            self._record(full, node.lineno)
            self.bind[a.asname or a.name] = full

    def visit_Attribute(self, node: ast.Attribute) -> None:
        parts: List[str] = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id in self.bind and isinstance(node.ctx, ast.Load):
            self._record(".".join([self.bind[cur.id], *reversed(parts)]), node.lineno)
            return  # the inner attributes are prefixes of this one
        self.generic_visit(node)

    def _scoped(self, node, args: Optional[ast.arguments], body) -> None:
        """Visit a function body with its own copy of the bindings (its parameters shadow imports)."""
        outer = dict(self.bind)
        if args is not None:
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    self.bind.pop(a.arg, None)
        for stmt in body if isinstance(body, list) else [body]:
            self.visit(stmt)
        self.bind = outer

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for d in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
            if d is not None:
                self.visit(d)
        self._scoped(node, node.args, node.body)
        self.bind.pop(node.name, None)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for d in [*node.args.defaults, *node.args.kw_defaults]:
            if d is not None:
                self.visit(d)
        self._scoped(node, node.args, node.body)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id in self.bind:
                self._record(self.bind[node.id], node.lineno)
        else:  # rebound to something else from here on
            self.bind.pop(node.id, None)


class _Checker:
    """Decides whether a framework API is provided, from the registered frontends."""

    def __init__(self) -> None:
        from .. import plugins
        from ..aliases import alias_table

        plugins.ensure_loaded()
        self.table = alias_table()  # alias -> (frontend, package)
        self.canon_root = {fe.package: (fe.provides[0] if fe.provides else fe.name)
                           for fe in plugins.FRONTENDS.frontends.values()}
        self.inventory: Set[str] = set()
        for fe in plugins.FRONTENDS.frontends.values():
            if fe.inventory is not None:
                try:
                    self.inventory.update(fe.inventory())
                except Exception:  # noqa: BLE001 - a broken inventory falls back to attribute look-ups
                    pass
        # parents of dotted aliases (``tensorflow`` for ``tensorflow.keras``): a stand-in namespace
        self.stubs = {a.partition(".")[0] for a in self.table if "." in a} - set(self.table)
        self.roots = tuple(sorted(set(self.table) | self.stubs, key=len, reverse=True))
        self._cache: Dict[str, bool] = {}

    def canonical(self, dotted: str) -> str:
        """``tensorflow.keras.layers.Dense`` -> ``keras.layers.Dense``; names outside aliases unchanged."""
        for alias in sorted(self.table, key=len, reverse=True):
            if dotted == alias or dotted.startswith(alias + "."):
                pkg = self.table[alias][1]
                return self.canon_root.get(pkg, alias) + dotted[len(alias):]
        return dotted

    def supported(self, canon: str) -> bool:
        if canon in self._cache:
            return self._cache[canon]
        ok = self._check(canon)
        self._cache[canon] = ok
        return ok

    def _check(self, canon: str) -> bool:
        if canon in self.stubs:
            return True
        if canon in self.inventory:
            return True
        root, _, rest = canon.partition(".")
        pkg = next((p for p, r in self.canon_root.items() if r == root), None)
        if pkg is None:
            return False
        try:
            obj = importlib.import_module(pkg)
        except Exception:  # noqa: BLE001 - a frontend that cannot import supports nothing
            return False
        for part in rest.split(".") if rest else []:
            try:
                obj = getattr(obj, part)
                continue
            except Exception:  # noqa: BLE001
                pass
            if not isinstance(obj, types.ModuleType):
                return False
            try:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
            except Exception:  # noqa: BLE001
                return False
        # a stand-in that exists only to raise a clear "not supported" error is not support
        return not getattr(obj, "_unidl_unsupported", False)


def analyse(source: str, filename: str = "<script>") -> List[ApiUse]:
    """Every framework API used in ``source``, sorted by name. Raises SyntaxError on bad source."""
    tree = ast.parse(source, filename=filename)
    checker = _Checker()
    col = _Collector(checker.roots)
    col.visit(tree)
    apis: Dict[str, ApiUse] = {}
    for dotted, lines in col.uses.items():
        canon = checker.canonical(dotted)
        use = apis.setdefault(canon, ApiUse(canon))
        use.lines |= lines
    for use in apis.values():
        use.supported = checker.supported(use.name)
    return sorted(apis.values(), key=lambda u: u.name)


def _lines(lines: Set[int]) -> str:
    return ", ".join(str(n) for n in sorted(lines))


def verdict(apis: List[ApiUse]) -> str:
    """One line: ``N APIs used, M supported, K not: a (line 3), b (lines 4, 9)``."""
    bad = [u for u in apis if not u.supported]
    line = f"{len(apis)} API{'s' if len(apis) != 1 else ''} used, {len(apis) - len(bad)} supported, {len(bad)} not"
    if bad:
        line += ": " + ", ".join(f"{u.name} (line{'s' if len(u.lines) > 1 else ''} {_lines(u.lines)})" for u in bad)
    return line


def run(args: argparse.Namespace) -> int:
    path = args.script
    try:
        with open(path, "rb") as f:
            source = f.read().decode("utf-8", errors="replace")
    except OSError as e:
        print(f"unidl port: cannot open script {path!r}: {e.strerror or e}", file=sys.stderr)
        return 2
    try:
        apis = analyse(source, path)
    except SyntaxError as e:
        print(f"unidl port: {path}, line {e.lineno}: syntax error: {e.msg}", file=sys.stderr)
        return 2
    bad = [u for u in apis if not u.supported]
    if args.json:
        json.dump({"script": path, "apis": [{"name": u.name, "lines": sorted(u.lines), "supported": u.supported}
                                            for u in apis],
                   "used": len(apis), "supported": len(apis) - len(bad), "unsupported": [u.name for u in bad],
                   "verdict": verdict(apis)}, sys.stdout, indent=2)
        print()
    else:
        rows = [("API", "LINES", "SUPPORTED")] + [(u.name, _lines(u.lines), "yes" if u.supported else "no")
                                                   for u in apis]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        print(verdict(apis))
    return 1 if bad else 0
