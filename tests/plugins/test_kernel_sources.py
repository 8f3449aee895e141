"""What the kernel sources may depend on: kernels implement one formula each and never see a framework, and the
CUDA plugin builds on the core's shared kernels, not on another plugin."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import unidl.xpkernels
import unidl_cpu
import unidl_cuda
import unidl_example_device

_FRAMEWORK = re.compile(r"keras|mxnet|gluon", re.IGNORECASE)


def _kernel_files():
    roots = [Path(unidl.xpkernels.__file__).parent, Path(unidl_cpu.__file__).parent,
             Path(unidl_cuda.__file__).parent, Path(unidl_example_device.__file__).parent]
    files = [f for r in roots for f in sorted(r.rglob("*.py"))]
    assert len(files) > 20
    return files


def test_no_kernel_file_mentions_a_framework():
    hits = [f"{f}:{i}: {line.strip()}" for f in _kernel_files()
            for i, line in enumerate(f.read_text().splitlines(), 1) if _FRAMEWORK.search(line)]
    assert not hits, "\n".join(hits)


def test_kernels_take_no_framework_form():
    from unidl.xpkernels import numpy_kernels
    import inspect

    for name, fn in numpy_kernels().items():
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        assert "form" not in params, name


def test_cuda_plugin_does_not_import_the_cpu_plugin():
    for f in Path(unidl_cuda.__file__).parent.rglob("*.py"):
        tree = ast.parse(f.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n == "unidl_cpu" or n.startswith("unidl_cpu.") for n in names), f
