"""The ``bench`` fixture: the benchmark script a smoke-test module names in ``BENCH_MODULE``, imported with
``benchmarks/`` on ``sys.path`` (the scripts import their shared ``common`` helpers from there) for that
module's tests."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench(request):
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module(request.module.BENCH_MODULE)
    finally:
        sys.path.remove(str(BENCH))
