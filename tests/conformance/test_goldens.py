"""The goldens tier (real Keras 3.15 / MXNet 1.9.1 reference numbers) inside the normal test run.

The tests themselves live in the installed suite (``unidl_conformance.goldens.test_goldens``) so that
``pytest --pyargs unidl_conformance`` runs the very same checks; importing them here collects them here too.
"""
import json
import os

from unidl_conformance.goldens import cases as C
from unidl_conformance.goldens.check import GOLDEN_DIR, golden_keys
from unidl_conformance.goldens.test_goldens import (KNOWN_MISMATCHES, test_every_case_has_a_golden,  # noqa: F401
                                                    test_golden, test_golden_pending,
                                                    test_keras_weight_paths)


def test_golden_data_is_small_and_numeric():
    total = sum(os.path.getsize(os.path.join(GOLDEN_DIR, f)) for f in os.listdir(GOLDEN_DIR)
                if f.endswith((".npz", ".json")))
    assert total < 2 * 1024 * 1024, f"golden data is {total} bytes, over the 2 MB budget"
    keys = golden_keys()
    assert len([k for k in keys if k.startswith("keras_")]) >= 20
    assert len([k for k in keys if k.startswith("mxnet_")]) >= 18


def test_every_golden_states_its_source_and_tolerances():
    for key in golden_keys():
        with open(os.path.join(GOLDEN_DIR, key + ".json")) as f:
            meta = json.load(f)
        assert meta["key"] == key and meta["framework_version"] in ("3.15.1", "1.9.1"), key
        assert {"forward", "grad"} <= set(meta["tolerances"]), key
        for tol in meta["tolerances"].values():
            assert 0 < tol["rtol"] <= 1e-4 and 0 < tol["atol"] <= 1e-5, (key, tol)
        case = C.get(key)
        assert ("trained" in meta["tolerances"]) == (case.optimizer is not None), key


def test_known_mismatches_name_real_cases():
    assert set(KNOWN_MISMATCHES) <= set(golden_keys())
