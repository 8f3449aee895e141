"""Which upstream tests are in scope: a static reading of each test's source and the helpers it calls.

A test is out of scope when its own code, or a module-level helper it calls (transitively), matches
one of the suite's out-of-scope patterns (Symbol/Module API, GPU, downloads). The reason is recorded
next to the test, so the compatibility table says why each one is left out.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Optional, Sequence, Set, Tuple

Pattern = Tuple[str, str]  # (regex, reason)


def _function_sources(tree: ast.Module, text: str) -> Dict[str, Tuple[str, Set[str]]]:
    """Map each module-level function (and ``Class::method``) to (source, names it references)."""
    out: Dict[str, Tuple[str, Set[str]]] = {}

    def add(key: str, node: ast.AST) -> None:
        source = ast.get_source_segment(text, node) or ""
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
        out[key] = (source, names)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            add(node.name, node)
        elif isinstance(node, ast.ClassDef):
            add(node.name, node)
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    add(node.name + "::" + sub.name, sub)
    return out


class ScopeReader:
    """Decide, per pytest node id, whether an upstream test is in scope."""

    def __init__(self, test_dir: Path, patterns: Sequence[Pattern]):
        self.test_dir = Path(test_dir)
        self.patterns = [(re.compile(rx), why) for rx, why in patterns]
        self._files: Dict[str, Dict[str, Tuple[str, Set[str]]]] = {}

    def _functions(self, filename: str) -> Dict[str, Tuple[str, Set[str]]]:
        if filename not in self._files:
            path = self.test_dir / filename
            text = path.read_text(encoding="utf-8", errors="replace")
            self._files[filename] = _function_sources(ast.parse(text), text)
        return self._files[filename]

    def reason(self, nodeid: str) -> Optional[str]:
        """None when in scope, else the first matching pattern's reason."""
        if not self.patterns:  # nothing is out of scope (the Keras suite): skip reading the sources
            return None
        filename, _, rest = nodeid.partition("::")
        name = re.sub(r"\[.*\]$", "", rest)
        try:
            functions = self._functions(filename)
        except (OSError, SyntaxError):
            return None
        seen: Set[str] = set()
        todo = [name]
        while todo:
            key = todo.pop()
            if key in seen or key not in functions:
                continue
            seen.add(key)
            source, names = functions[key]
            for rx, why in self.patterns:
                if rx.search(source):
                    return why
            todo.extend(n for n in names if n in functions)
            if "::" in key:  # a method also reaches its class's other methods through self
                cls = key.split("::")[0]
                todo.extend(k for k in functions if k.startswith(cls + "::"))
        return None
