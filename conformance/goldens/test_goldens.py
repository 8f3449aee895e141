"""The goldens tier: every unidl frontend case reproduces the real framework's numbers.

Cases the unidl frontend cannot build yet are ``pending`` (cases.py): their test asserts the build still
fails as not-supported. Known mismatches are listed in ``KNOWN_MISMATCHES`` and xfail strictly, with the
measured difference and the suspected cause.
"""
from __future__ import annotations

import pytest

from unidl_conformance.goldens import cases as C
from unidl_conformance.goldens.check import check_golden, check_keras_weight_paths, check_pending, golden_keys

#: key -> reason (measured difference, suspected cause); strict xfail so a fix shows up as XPASS -> failure
KNOWN_MISMATCHES: dict = {
    "mxnet_batch_norm_infer": (
        "grad_input max abs diff 0.278 (rel 4.3). MXNet 1.9.1's BatchNorm (use_global_stats=False) recorded with "
        "train_mode=False normalizes with the running statistics but back-propagates with the training formula "
        "(dx = g/sqrt(var+eps) * (dy - mean(dy) - xhat * mean(dy * xhat)), xhat from the running stats), on "
        "both its oneDNN and reference CPU operators; unidl gives the exact gradient g/sqrt(var+eps) * dy."),
}

#: Keras cases whose unidl ``Variable.path`` differs from Keras 3's (strict xfail); none since the
#: name-scope paths (unidl_keras.backend.name_scope)
KNOWN_PATH_MISMATCHES: dict = {}

_KEYS = golden_keys()


def _params(pending: bool) -> list:
    out = []
    for key in _KEYS:
        if (C.get(key).pending is not None) != pending:
            continue
        marks = []
        if key in KNOWN_MISMATCHES:
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_MISMATCHES[key]))
        out.append(pytest.param(key, id=key, marks=marks))
    return out


def test_every_case_has_a_golden():
    missing = sorted(set(C.CASES) - set(_KEYS))
    assert not missing, f"cases without a golden (run make_goldens.py): {missing}"


@pytest.mark.parametrize("key", _params(pending=False))
def test_golden(key, request):
    largest = check_golden(key)
    try:  # under the conformance plugin: one report row per (golden, check)
        session = request.getfixturevalue("unidl_conformance")
    except pytest.FixtureLookupError:
        return
    for check, max_abs in sorted(largest.items()):
        session.report.record(key, check, "identical" if max_abs == 0 else "within tol", kernel="golden",
                              max_abs=max_abs, test=request.node.nodeid)


def test_golden_pending():
    """Each pending case still fails to build as not-supported (none may be pending: then nothing to do)."""
    for key in _KEYS:
        if C.get(key).pending is not None:
            assert check_pending(key)


def _path_params() -> list:
    return [pytest.param(k, id=k, marks=[pytest.mark.xfail(strict=True, raises=AssertionError,
                                                             reason=KNOWN_PATH_MISMATCHES[k])]
                         if k in KNOWN_PATH_MISMATCHES else [])
            for k in _KEYS if k.startswith("keras_") and C.get(k).pending is None]


@pytest.mark.parametrize("key", _path_params())
def test_keras_weight_paths(key):
    check_keras_weight_paths(key)
