"""The twin zoo: each Keras model and its Gluon twin give bitwise-equal outputs, losses, gradients
and parameters after optimizer steps, except where exceptions.py lists the reason and a bound.

Run: ``pytest -p unidl_conformance.pytest_plugin --pyargs unidl_conformance.twins`` (or
``unidl conform --suite twins``); ids are ``test_twin[<twin>-<check>]``.
"""
from __future__ import annotations

import os
from typing import Any

import pytest

from unidl_conformance.twins import harness
from unidl_conformance.twins.harness import CHECKS, run_check
from unidl_conformance.twins.zoo import all_cases

_CASES = all_cases()


@pytest.fixture
def twin_device(request: Any) -> str:
    """The device under test: the conformance plugin's ``unidl_device`` when loaded, else
    ``UNIDL_CONFORM_DEVICE``, else cpu."""
    try:
        return request.getfixturevalue("unidl_device")
    except pytest.FixtureLookupError:
        return os.environ.get("UNIDL_CONFORM_DEVICE") or "cpu"


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("case", _CASES, ids=[c.name for c in _CASES])
def test_twin(case: Any, check: str, twin_device: str, request: Any) -> None:
    run_check(case, check, device=twin_device)
    try:  # under the conformance plugin: one report row per (twin, check)
        session = request.getfixturevalue("unidl_conformance")
    except pytest.FixtureLookupError:
        return
    stats = harness.LAST
    session.report.record(f"{case.name}", check, "within tol" if stats.within_exception else "identical",
                          kernel="twin", max_abs=stats.max_abs, max_ulp=stats.max_ulp,
                          detail=stats.exception, test=request.node.nodeid)
