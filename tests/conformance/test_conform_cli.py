"""``unidl conform`` and the pytest plugin against the example third-party kernel plugin.

The example plugin (plugins/unidl_example_kernels) is not installed: each run puts its folder on
PYTHONPATH, as a plugin author would with their own checkout. Runs are subprocesses so that plugin
registrations do not leak into this test session.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "plugins" / "unidl_example_kernels"


def _run(tmp_path, argv, env_extra=None):
    env = dict(os.environ, CI="true", PYTHONPATH=os.pathsep.join(
        [str(EXAMPLE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    env.pop("UNIDL_CONFORM_PLUGIN", None)
    env.pop("UNIDL_CONFORM_DEVICE", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)


def _conform(tmp_path, *args, env_extra=None):
    out = tmp_path / "report.json"
    proc = _run(tmp_path, ["-m", "unidl.cli.main", "conform", "--suite", "kernels", *args, "--json", str(out)],
                env_extra)
    return proc, (json.loads(out.read_text()) if out.exists() else None)


def _rows(data):
    return {(r["case"], r["check"]): r for r in data["rows"]}


def test_good_example_plugin_passes(tmp_path):
    proc, data = _conform(tmp_path, "--plugin", "unidl_example_kernels", "--max-examples", "40")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = _rows(data)
    assert data["plugin"] == "unidl_example_kernels"
    for op in ("relu", "add", "sum"):
        assert rows[(op, "forward")]["status"] == "identical"
        assert rows[(op, "forward")]["kernel"] == "kernel:unidl_example_kernels"
        assert rows[(op, "backward")]["status"] == "identical"
    # only the plugin's own ops are under test
    assert {r["case"] for r in data["rows"] if r["check"] == "forward"} == {"relu", "add", "sum"}
    assert "kernel:unidl_example_kernels" in proc.stdout
    assert all(r["detail"].startswith("inputs: ") for r in data["rows"] if r["check"] == "forward")


def test_wrong_example_plugin_fails_naming_op_and_difference(tmp_path):
    # enough examples that keepdims=True (the wrong sum's bug) and -0.0 certainly come up
    proc, data = _conform(tmp_path, "--plugin", "unidl_example_kernels.wrong", "--max-examples", "40")
    assert proc.returncode != 0
    rows = _rows(data)
    add = rows[("add", "forward")]
    assert add["status"] == "FAIL" and add["max_ulp"] == 1.0
    assert add["kernel"] == "kernel:unidl_example_kernels.wrong"
    assert "not bit-identical" in add["detail"] and "inputs: Sample(" in add["detail"]
    summ = rows[("sum", "forward")]
    assert summ["status"] == "FAIL" and "shape" in summ["detail"] and "keepdims=True" in summ["detail"]
    assert rows[("relu", "forward")]["status"] == "identical"
    # the printed table and pytest's failure name op, device and plugin
    assert "Failures" in proc.stdout and "add [forward] (kernel:unidl_example_kernels.wrong)" in proc.stdout
    assert "op 'add' (case add) on device 'cpu' [kernel:unidl_example_kernels.wrong]" in proc.stdout
    assert "max ulp 1" in proc.stdout


def test_plugin_given_as_a_path_and_xfails_file(tmp_path):
    xf = tmp_path / "xfails.txt"
    xf.write_text("# known problems of the wrong plugin\nkernels/test_kernels.py::test_kernel[add-cpu]\n"
                  "test_kernel[sum-cpu]\ntest_kernel_grad[sum-cpu]\n")
    path = EXAMPLE / "unidl_example_kernels"
    proc, data = _conform(tmp_path, "--plugin", str(path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert data["plugin"] == "unidl_example_kernels"
    proc, data = _conform(tmp_path, "--plugin", "unidl_example_kernels.wrong", "--xfails-file", str(xf))
    assert proc.returncode == 0, proc.stdout[-3000:]
    rows = _rows(data)
    assert rows[("add", "forward")]["status"] == "xfail" and rows[("sum", "backward")]["status"] == "xfail"


def test_list_prints_stable_device_suffixed_ids(tmp_path):
    proc = _run(tmp_path, ["-m", "unidl.cli.main", "conform", "--suite", "kernels", "--plugin",
                           "unidl_example_kernels", "--list"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = proc.stdout.split()
    assert "kernels/test_kernels.py::test_kernel[add-cpu]" in ids
    assert "kernels/test_kernels.py::test_gradcheck[relu-cpu]" in ids
    assert sorted(i for i in ids if "::test_kernel[" in i) == [
        f"kernels/test_kernels.py::test_kernel[{op}-cpu]" for op in ("add", "relu", "sum")]


def test_unknown_device_and_plugin_are_usage_errors(tmp_path):
    proc, _ = _conform(tmp_path, "--device", "quantum")
    assert proc.returncode != 0 and "no plugin registers device type 'quantum'" in proc.stdout + proc.stderr
    proc, _ = _conform(tmp_path, "--plugin", "no_such_unidl_plugin")
    assert proc.returncode != 0 and "cannot import 'no_such_unidl_plugin'" in proc.stdout + proc.stderr
    from unidl.cli.main import main

    with pytest.raises(SystemExit, match="unknown suite 'nonsense'"):
        main(["conform", "--suite", "nonsense"])


def test_unwritable_json_and_missing_xfails_file_are_usage_errors(tmp_path):
    proc = _run(tmp_path, ["-m", "unidl.cli.main", "conform", "--suite", "kernels", "-k", "relu",
                           "--json", str(tmp_path / "no" / "r.json")])
    assert proc.returncode == 2 and f"folder '{tmp_path / 'no'}' does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr and "CASE" not in proc.stdout  # refused before running anything
    proc, data = _conform(tmp_path, "--xfails-file", str(tmp_path / "missing.txt"))
    assert proc.returncode == 4 and "--unidl-xfails-file: cannot read" in proc.stdout + proc.stderr
    assert "no results" not in proc.stdout and "CASE" not in proc.stdout and data is None
    proc = _run(tmp_path, ["-m", "pytest", "-p", "unidl_conformance.pytest_plugin", "-p", "no:cacheprovider",
                           "--pyargs", "unidl_conformance.kernels", "-q", "--unidl-json",
                           str(tmp_path / "no" / "r.json")])
    assert proc.returncode == 4 and "--unidl-json: folder" in proc.stdout + proc.stderr


def test_twin_rows_within_tolerance_carry_the_listed_reason(tmp_path):
    out = tmp_path / "r.json"
    proc = _run(tmp_path, ["-m", "unidl.cli.main", "conform", "--suite", "twins", "-k", "mlp and (adam or loss)",
                           "--json", str(out)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    rows = _rows(json.loads(out.read_text()))
    adam = rows[("mlp", "adam")]
    assert adam["status"] == "within tol" and adam["max_abs"] > 0
    assert adam["detail"].startswith("listed exception (rtol=1e-05, atol=1e-06): Keras and MXNet define Adam")
    assert rows[("mlp", "loss")]["status"] == "identical" and rows[("mlp", "loss")]["detail"] == ""


def test_pytest_by_hand_with_environment_variables(tmp_path):
    out = tmp_path / "r.json"
    proc = _run(tmp_path, ["-m", "pytest", "-p", "unidl_conformance.pytest_plugin", "-p", "no:cacheprovider",
                           "--pyargs", "unidl_conformance.kernels", "-q", "--unidl-json", str(out)],
                {"UNIDL_CONFORM_PLUGIN": "unidl_example_kernels.wrong", "UNIDL_CONFORM_DEVICE": "cpu"})
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout and "test_kernel[add-cpu]" in proc.stdout
    assert "unidl conformance: device 'cpu', plugin 'unidl_example_kernels.wrong'" in proc.stdout
    data = json.loads(out.read_text())
    assert _rows(data)[("add", "forward")]["status"] == "FAIL"


def test_conform_is_a_command():
    from unidl.cli.main import build_parser

    args = build_parser().parse_args(["conform", "--device", "cpu", "--suite", "kernels", "-k", "add"])
    from unidl.cli.conform import pytest_args

    cmd = pytest_args(args, "out.json")
    assert cmd[:2] == ["-p", "unidl_conformance.pytest_plugin"]
    assert "unidl_conformance.kernels" in cmd and cmd[cmd.index("-k") + 1] == "add"
    assert cmd[cmd.index("--unidl-device") + 1] == "cpu"
