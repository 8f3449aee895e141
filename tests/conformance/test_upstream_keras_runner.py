"""The upstream runner's Keras suite, on a tiny fake keras-team/keras-style tree (CI never has the checkout).

The fake tree's own ``keras`` and ``keras.src`` packages raise when imported: on the face run every
``keras.src.X`` must resolve to ``unidl_keras.X``, while the test modules (``*_test.py``) and Keras's
testing helpers (``keras/src/testing``) are loaded from the tree itself.
"""
import dataclasses
import json
import sys

import pytest

from unidl_conformance.upstream import compare, run_suite
from unidl_conformance.upstream.__main__ import main
from unidl_conformance.upstream.scope import ScopeReader
from unidl_conformance.upstream.suites import KERAS, KERAS_HELPER_STUBS

DECOY = "raise ImportError('the checkout\\'s own keras library must not be imported on the face run')\n"

TEST_CASE = '''
import unittest

import numpy as np

from keras.src import backend
from keras.src.backend.common.global_state import clear_session
from keras.src.utils import traceback_utils

LOADED_FROM_CHECKOUT = True


class TestCase(unittest.TestCase):
    def setUp(self):
        clear_session(free_memory=False)
        if traceback_utils.is_traceback_filtering_enabled():
            traceback_utils.disable_traceback_filtering()

    def assertAllClose(self, actual, desired, atol=1e-6, rtol=1e-6):
        np.testing.assert_allclose(backend.convert_to_numpy(actual), desired, atol=atol, rtol=rtol)
'''

OPS_TEST = '''
import time

import numpy as np

from keras.src import ops
from keras.src import testing
from keras.src.ops import numpy as knp
from keras.src.testing import test_case


def np_reference(x):
    return np.asarray(x) + 1


class FakeOpsTest(testing.TestCase):
    def test_maps_keras_src_onto_the_face(self):
        import unidl_keras
        self.assertIs(ops, unidl_keras.ops)
        self.assertEqual(knp.__name__, "unidl_keras.ops.numpy")

    def test_helpers_come_from_the_checkout(self):
        self.assertTrue(test_case.LOADED_FROM_CHECKOUT)
        self.assertIn("keras/src/testing/test_case.py", test_case.__file__.replace("\\\\", "/"))

    def test_add(self):
        self.assertAllClose(ops.add(np.ones(2), 1), np_reference(np.ones(2)))

    def test_wrong_answer(self):
        self.assertAllClose(ops.add(np.ones(2), 1), [3.0, 3.0])

    def test_hangs(self):
        time.sleep(30)
'''

LAYER_TEST = '''
from keras.src import layers
from keras.src import testing
from keras.src.ops.fake_ops_test import np_reference


class FakeLayerTest(testing.TestCase):
    def test_one_test_module_imports_another(self):
        self.assertEqual(float(np_reference(1.0)), 2.0)
        self.assertEqual(layers.Dense(3).units, 3)
'''

BROKEN_TEST = "from keras.src.no_such_module import something\n\ndef test_x():\n    pass\n"


@pytest.fixture
def fake(tmp_path):
    checkout = tmp_path / "keras-3.15.1"
    src = checkout / "keras" / "src"
    for pkg in ("keras", "keras/src", "keras/src/ops", "keras/src/layers", "keras/src/testing"):
        (checkout / pkg).mkdir(parents=True, exist_ok=True)
        (checkout / pkg / "__init__.py").write_text(DECOY)
    (src / "testing" / "__init__.py").write_text("from keras.src.testing.test_case import TestCase\n")
    (src / "testing" / "test_case.py").write_text(TEST_CASE)
    (src / "ops" / "fake_ops_test.py").write_text(OPS_TEST)
    (src / "layers" / "fake_layer_test.py").write_text(LAYER_TEST)
    (src / "layers" / "broken_test.py").write_text(BROKEN_TEST)
    files = ("keras/src/ops/fake_ops_test.py", "keras/src/layers/fake_layer_test.py", "keras/src/layers/broken_test.py")
    return dataclasses.replace(KERAS, files=files), checkout


def test_keras_src_maps_onto_the_face_and_the_helpers_load_from_the_checkout(fake):
    suite, checkout = fake
    results = run_suite(suite, checkout, python=sys.executable, face=True, jobs=2, test_timeout=3,
                        log=lambda *_: None)
    outcome = {k: v["outcome"] for k, v in results.items()}
    ops = "keras/src/ops/fake_ops_test.py::FakeOpsTest::"
    assert outcome[ops + "test_maps_keras_src_onto_the_face"] == "passed", results
    assert outcome[ops + "test_helpers_come_from_the_checkout"] == "passed", results
    assert outcome[ops + "test_add"] == "passed"
    assert outcome[ops + "test_wrong_answer"] == "failed"
    assert outcome[ops + "test_hangs"] == "timeout"
    assert outcome["keras/src/layers/fake_layer_test.py::FakeLayerTest::test_one_test_module_imports_another"] \
        == "passed", results
    # a module the face lacks is a collection error that names it
    assert outcome["keras/src/layers/broken_test.py"] == "collect-error"
    assert "keras.src.no_such_module" in results["keras/src/layers/broken_test.py"]["message"]


def test_every_helper_stub_is_listed_with_its_reason():
    assert set(KERAS.shims) == set(KERAS_HELPER_STUBS)
    assert all(name.startswith("keras.src.") and why for name, why in KERAS.shims.items())
    assert "KERAS_BACKEND" in KERAS.real_env_vars and "checkout" in KERAS.real_env
    assert len(KERAS.files) == len(set(KERAS.files)) >= 60
    assert all(f.startswith("keras/src/") and f.endswith("_test.py") for f in KERAS.files)


def test_scope_reads_nested_test_files(fake):
    _, checkout = fake
    reader = ScopeReader(checkout, [(r"np\.asarray", "reference helper")])  # only in a module-level helper
    assert reader.reason("keras/src/ops/fake_ops_test.py::FakeOpsTest::test_add") == "reference helper"
    assert reader.reason("keras/src/layers/fake_layer_test.py::FakeLayerTest::test_one_test_module_imports_another") \
        is None


def test_cli_compares_the_keras_run_with_a_baseline(fake, tmp_path, capsys, monkeypatch):
    suite, checkout = fake
    ops = "keras/src/ops/fake_ops_test.py::FakeOpsTest::"
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"results": {ops + "test_add": {"outcome": "passed"},
                                                ops + "test_wrong_answer": {"outcome": "passed"},
                                                ops + "test_hangs": {"outcome": "failed"}},
                                    "scope": {}}))
    monkeypatch.setitem(sys.modules["unidl_conformance.upstream.__main__"].SUITES, "keras", suite)
    rc = main(["run", "keras", "--checkout", str(checkout), "--baseline", str(baseline), "--files",
               "keras/src/ops/fake_ops_test.py", "--test-timeout", "3", "--failing"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "| keras/src/ops/fake_ops_test.py | 3 | 2 | 0 | 2 | 1 | 50.0 |" in out
    assert ops + "test_wrong_answer" in out


def test_the_committed_keras_baseline_covers_the_suite():
    from unidl_conformance.upstream import load_baseline

    baseline = load_baseline(KERAS)
    files = {k.split("::")[0] for k in baseline["results"]}
    assert files == set(KERAS.files)
    rows = compare(baseline, {}, list(KERAS.files))
    assert sum(r.eligible for r in rows) > 1000
