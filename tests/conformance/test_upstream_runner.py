"""The upstream runner, on a tiny fake MXNet-style test tree (CI never has the real checkout)."""
import dataclasses
import json
import sys
import textwrap

import pytest

from unidl_conformance.upstream import RunnerError, compare, format_table, load_baseline, run_suite, total_ratio
from unidl_conformance.upstream.__main__ import main, write_table
from unidl_conformance.upstream.scope import ScopeReader
from unidl_conformance.upstream.suites import MXNET

FAKE_TESTS = '''
import time
import mxnet as mx
from nose.tools import assert_raises, ok_, raises

def helper_uses_symbol():
    return mx.sym.Variable("x")

def test_passes():
    ok_((mx.nd.ones((2, 2)) * 2).sum().asscalar() == 8)
    assert_raises(ZeroDivisionError, lambda: 1 / 0)

@raises(ValueError)
def test_raises_decorator():
    raise ValueError("expected")

def test_fails():
    assert mx.nd.zeros((1,)).asscalar() == 1

def test_symbol_through_helper():
    helper_uses_symbol()

def test_gpu():
    mx.nd.ones((1,), ctx=mx.gpu(0))

def test_hangs():
    time.sleep(30)

class TestGrouped:
    def test_method(self):
        assert mx.nd.ones((3,)).shape == (3,)
'''


@pytest.fixture
def fake(tmp_path):
    test_dir = tmp_path / "checkout" / "tests" / "python" / "unittest"
    test_dir.mkdir(parents=True)
    (test_dir / "test_fake.py").write_text(FAKE_TESTS)
    (test_dir / "test_broken.py").write_text("import mxnet\nfrom mxnet import no_such_name\n\ndef test_x():\n    pass\n")
    suite = dataclasses.replace(MXNET, files=("test_fake.py", "test_broken.py"))
    return suite, tmp_path / "checkout", test_dir


def test_runner_records_each_outcome(fake):
    suite, checkout, _ = fake
    results = run_suite(suite, checkout, python=sys.executable, face=True, jobs=2, test_timeout=3,
                        log=lambda *_: None)
    outcome = {k: v["outcome"] for k, v in results.items()}
    assert outcome["test_fake.py::test_passes"] == "passed"
    assert outcome["test_fake.py::test_raises_decorator"] == "passed"
    assert outcome["test_fake.py::TestGrouped::test_method"] == "passed"
    assert outcome["test_fake.py::test_fails"] == "failed"
    assert outcome["test_fake.py::test_hangs"] == "timeout"
    assert results["test_fake.py::test_hangs"]["seconds"] < 20
    assert outcome["test_broken.py"] == "collect-error"
    assert "no_such_name" in results["test_broken.py"]["message"]


def test_scope_follows_helpers_and_names_the_reason(fake):
    suite, _, test_dir = fake
    reader = ScopeReader(test_dir, suite.out_of_scope)
    assert reader.reason("test_fake.py::test_symbol_through_helper") == "Symbol API"
    assert reader.reason("test_fake.py::test_gpu") == "GPU"
    assert reader.reason("test_fake.py::test_passes") is None
    assert reader.reason("test_fake.py::TestGrouped::test_method") is None
    assert reader.reason("test_fake.py::test_passes[param-1]") is None


def test_compare_counts_only_tests_that_pass_on_the_real_framework_and_are_in_scope():
    baseline = {"results": {"a.py::t1": {"outcome": "passed"}, "a.py::t2": {"outcome": "passed"},
                            "a.py::t3": {"outcome": "failed"}, "a.py::t4": {"outcome": "passed"}},
                "scope": {"a.py::t4": "Symbol API"}}
    results = {"a.py::t1": {"outcome": "passed"}, "a.py::t2": {"outcome": "failed"},
               "a.py::t3": {"outcome": "passed"}, "a.py::t4": {"outcome": "passed"}}
    (row,) = compare(baseline, results, ["a.py"])
    assert (row.collected_real, row.passed_real, row.out_of_scope, row.eligible, row.passed_face) == (4, 3, 1, 2, 1)
    assert row.failing == ["a.py::t2"]
    assert total_ratio([row]) == 0.5
    table = format_table(MXNET, [row])
    assert "| a.py | 4 | 3 | 1 | 2 | 1 | 50.0 |" in table


def test_a_test_missing_from_the_face_run_counts_as_failing():
    baseline = {"results": {"a.py::t1": {"outcome": "passed"}}, "scope": {}}
    (row,) = compare(baseline, {}, ["a.py"])
    assert row.passed_face == 0 and row.failing == ["a.py::t1"]


def test_table_is_written_between_markers_and_keeps_the_prose(tmp_path):
    doc = tmp_path / "compat.md"
    doc.write_text("# Title\n\nintro\n\n<!-- upstream-table:begin -->\nold\n<!-- upstream-table:end -->\n\n## Gaps\nkept\n")
    write_table(doc, "| new |", "header")
    text = doc.read_text()
    assert "old" not in text and "| new |" in text and "intro" in text and "## Gaps\nkept" in text


def test_cli_end_to_end_with_a_baseline_and_a_required_ratio(fake, tmp_path, capsys, monkeypatch):
    suite, checkout, _ = fake
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"results": {"test_fake.py::test_passes": {"outcome": "passed"},
                                                "test_fake.py::test_fails": {"outcome": "passed"}},
                                    "scope": {}}))
    monkeypatch.setitem(sys.modules["unidl_conformance.upstream.__main__"].SUITES, "mxnet", suite)
    rc = main(["run", "mxnet", "--checkout", str(checkout), "--baseline", str(baseline), "--files",
               "test_fake.py", "--test-timeout", "3", "--require", "0.9", "--failing"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "total: 50.0%" in out and "test_fake.py::test_fails" in out


def test_missing_checkout_or_baseline_is_a_clear_error(tmp_path):
    with pytest.raises(RunnerError, match="no tests/python/unittest folder"):
        run_suite(MXNET, tmp_path, python=sys.executable, face=True)
    with pytest.raises(RunnerError, match="no baseline"):
        load_baseline(MXNET, tmp_path / "absent.json")


def test_the_committed_mxnet_baseline_is_complete():
    baseline = load_baseline(MXNET)
    files = {k.split("::")[0] for k in baseline["results"]}
    assert files == set(MXNET.files)
    assert all(v["outcome"] in {"passed", "failed", "skipped", "error", "timeout", "collect-error", "crashed"}
               for v in baseline["results"].values())
    assert set(baseline["scope"]) <= set(baseline["results"])


def test_face_and_real_runs_get_their_own_environment(tmp_path):
    """``face_env_vars`` reach only the face run, ``real_env_vars`` only the baseline run, ``face_env_by_file``
    one file's face run (the Keras suite makes the face report the baseline's backend name for
    trainer_test.py this way)."""
    test_dir = tmp_path / "checkout" / "tests" / "python" / "unittest"
    test_dir.mkdir(parents=True)
    (test_dir / "test_env.py").write_text(
        "import os\n\n"
        "def test_face_env():\n    assert os.environ.get('WHO') == 'face'\n\n"
        "def test_real_env():\n    assert os.environ.get('WHO') == 'real'\n")
    suite = dataclasses.replace(MXNET, files=("test_env.py",), face_env_vars={"WHO": "face"},
                                real_env_vars={"WHO": "real"}, face_env_by_file={"other.py": {"WHO": "x"}})
    face = run_suite(suite, tmp_path / "checkout", python=sys.executable, face=True, jobs=1, test_timeout=10,
                     log=lambda *_: None)
    real = run_suite(suite, tmp_path / "checkout", python=sys.executable, face=False, jobs=1, test_timeout=10,
                     log=lambda *_: None)
    assert face["test_env.py::test_face_env"]["outcome"] == "passed"
    assert face["test_env.py::test_real_env"]["outcome"] == "failed"
    assert real["test_env.py::test_real_env"]["outcome"] == "passed"
    assert real["test_env.py::test_face_env"]["outcome"] == "failed"
    by_file = dataclasses.replace(suite, face_env_by_file={"test_env.py": {"WHO": "real"}})
    face = run_suite(by_file, tmp_path / "checkout", python=sys.executable, face=True, jobs=1, test_timeout=10,
                     log=lambda *_: None)
    assert face["test_env.py::test_real_env"]["outcome"] == "passed"   # the file's own setting wins
