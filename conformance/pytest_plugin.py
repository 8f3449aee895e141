"""pytest plugin of the conformance suite: options, the device and plugin under test, the report.

Use it with ``-p``::

    pytest -p unidl_conformance.pytest_plugin --pyargs unidl_conformance --unidl-device cpu \
        --unidl-plugin my_plugin

Options (or environment variables, for CI systems that cannot pass options):

- ``--unidl-device TYPE`` / ``UNIDL_CONFORM_DEVICE``: the device type under test (default ``cpu``).
- ``--unidl-plugin NAME`` / ``UNIDL_CONFORM_PLUGIN``: the plugin under test: an entry-point name, an
  import name, or a path to its package folder or module file; loaded and registered if not yet.
  Only the ops it registers kernels for on the device are tested.
- ``--unidl-xfails-file F``: test ids (one per line, ``#`` comments) expected to fail.
- ``--unidl-max-examples N``: hypothesis examples per test.
- ``--unidl-json PATH``: write the report as JSON; ``--unidl-no-table``: do not print the table.

Hypothesis profile ``conform-ci`` (few examples, derandomized) is used when ``CI`` is set to a true
value, ``conform`` (a modest number) otherwise.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, List, Optional

import pytest
from hypothesis import HealthCheck, settings

from .report import Report, render

_PKG_DIR = Path(__file__).resolve().parent
_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
             HealthCheck.differing_executors]
settings.register_profile("conform-ci", max_examples=6, deadline=None, derandomize=True, database=None,
                          print_blob=False, suppress_health_check=_SUPPRESS)
settings.register_profile("conform", max_examples=30, deadline=None, database=None,
                          suppress_health_check=_SUPPRESS)


class Session:
    """The run's configuration as the tests see it (fixture ``unidl_conformance``)."""

    def __init__(self, device: str, plugin: str, report: Report) -> None:
        self.device, self.plugin, self.report = device, plugin, report
        self._ops: Optional[List[str]] = None

    def ops(self) -> List[str]:
        """The ops under test: those with a kernel on the device (from the plugin under test, if named), and
        those that run there through their composite (where no plugin is named, or the named plugin brings the
        device): a composite is checked against the reference kernel as a kernel is."""
        if self._ops is None:
            from unidl.devices import DEVICES
            from unidl.kernels import KERNELS, OPS, describe

            owner = getattr(DEVICES.types.get(self.device), "plugin", "")
            composites = not self.plugin or owner == self.plugin
            self._ops = sorted(op for op in OPS if any(
                not self.plugin or e.plugin == self.plugin for e in KERNELS.candidates(op, self.device))
                or (composites and describe(op, self.device) == "composite"))
        return self._ops


def _overrides(self: Session) -> List[str]:
    """The ops under test that have a composite and a kernel on the device (from the plugin under test, if
    named): each such kernel overrides its composite and must agree with it."""
    from unidl.kernels import KERNELS, OPS

    return sorted(op for op in self.ops() if OPS[op].composite is not None and any(
        not self.plugin or e.plugin == self.plugin for e in KERNELS.candidates(op, self.device)))


Session.overrides = _overrides  # type: ignore[attr-defined]


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("unidl", "unidl conformance suite")
    group.addoption("--unidl-device", default=None, help="device type under test (env UNIDL_CONFORM_DEVICE; cpu)")
    group.addoption("--unidl-plugin", default=None,
                    help="plugin under test: entry-point name, import name or path (env UNIDL_CONFORM_PLUGIN)")
    group.addoption("--unidl-xfails-file", default=None, help="file of test ids expected to fail")
    group.addoption("--unidl-max-examples", type=int, default=None, help="hypothesis examples per test")
    group.addoption("--unidl-json", default=None, help="write the report as JSON to this path")
    group.addoption("--unidl-no-table", action="store_true", help="do not print the report table")


def _truthy(v: Optional[str]) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


def load_plugin(spec: str) -> str:
    """Make sure the plugin ``spec`` is registered; return its registered name.

    ``spec`` is an entry-point name of group ``unidl``, an import name (``pkg`` or ``pkg.module``),
    or a path to a package folder or ``.py`` file (its parent folder is put on ``sys.path``).
    """
    from unidl import plugins

    plugins.ensure_loaded()
    if spec in plugins.RECORDS and plugins.RECORDS[spec].status == "loaded":
        return spec
    for rec in plugins.RECORDS.values():
        if rec.status == "loaded" and rec.module == spec:
            return rec.name
    ep = next((e for e in plugins._entry_points() if e.name == spec), None)
    if ep is not None:
        rec = plugins._load_entry_point(ep)
    else:
        modname = spec
        p = Path(spec)
        if p.suffix == ".py" or p.is_dir() or os.sep in spec:
            if not p.exists():
                raise pytest.UsageError(f"--unidl-plugin: no such file or folder: {spec}")
            p = p.resolve()
            sys.path.insert(0, str(p.parent))
            modname = p.stem if p.suffix == ".py" else p.name
        try:
            module = importlib.import_module(modname)
        except Exception as e:  # noqa: BLE001
            raise pytest.UsageError(f"--unidl-plugin: cannot import '{modname}': {type(e).__name__}: {e}") from e
        for rec in plugins.RECORDS.values():
            if rec.status == "loaded" and rec.module == module.__name__:
                return rec.name
        rec = plugins.register(module, name=module.__name__)
    if rec is None or rec.status != "loaded":
        err = rec.error if rec is not None else "not loaded"
        raise pytest.UsageError(f"--unidl-plugin: plugin '{spec}' failed to register "
                                f"({rec.phase if rec else '?'}): {err}")
    return rec.name


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "unidl_tier(name): the conformance tier a test belongs to")
    device = config.getoption("--unidl-device") or os.environ.get("UNIDL_CONFORM_DEVICE") or "cpu"
    spec = config.getoption("--unidl-plugin") or os.environ.get("UNIDL_CONFORM_PLUGIN") or ""
    plugin = load_plugin(spec) if spec else ""
    from unidl.devices import DEVICES
    from unidl.plugins import ensure_loaded

    ensure_loaded()
    kind = DEVICES.types.get(device)
    if kind is None:
        raise pytest.UsageError(f"--unidl-device: no plugin registers device type '{device}' "
                                f"(registered: {', '.join(sorted(DEVICES.types)) or 'none'})")
    if not kind.is_available():
        raise pytest.UsageError(f"--unidl-device: device type '{device}' is registered by '{kind.plugin}' but "
                                f"unavailable{': ' + kind.unavailable_reason if kind.unavailable_reason else ''}")
    xfails = config.getoption("--unidl-xfails-file")
    if xfails:
        _read_xfails(xfails)  # a missing or unreadable file is a usage error before anything runs
    json_path = config.getoption("--unidl-json")
    if json_path and not os.path.isdir(os.path.dirname(os.path.abspath(json_path))):
        raise pytest.UsageError(f"--unidl-json: folder '{os.path.dirname(os.path.abspath(json_path))}' does not "
                                "exist")
    settings.load_profile("conform-ci" if _truthy(os.environ.get("CI")) else "conform")
    n = config.getoption("--unidl-max-examples")
    if n:
        settings.register_profile("conform-custom", parent=settings.get_profile(settings._current_profile),
                                  max_examples=int(n))
        settings.load_profile("conform-custom")
    config._unidl = Session(device, plugin, Report(device, plugin))
    config.pluginmanager.register(_ReportHooks(config._unidl.report), "unidl-conformance-report")


def _session(config: Any) -> Session:
    return config._unidl


@pytest.fixture
def unidl_conformance(request: Any) -> Session:
    """The run's :class:`Session` (device, plugin, report)."""
    return _session(request.config)


@pytest.fixture
def unidl_device(request: Any) -> str:
    """The device type under test."""
    return _session(request.config).device


def stable_id(item: Any) -> str:
    """``kernels/test_kernels.py::test_kernel[add-cpu]``: independent of rootdir and cwd."""
    try:
        rel = Path(item.path).resolve().relative_to(_PKG_DIR).as_posix()
    except ValueError:
        return item.nodeid
    return f"{rel}::{item.name}"


def pytest_generate_tests(metafunc: Any) -> None:
    from unidl.testing.cases import all_cases

    names = [n for n in ("op_case", "grad_case", "override_case") if n in metafunc.fixturenames]
    if not names:
        return
    sess = _session(metafunc.config)
    selected = set(sess.overrides() if names[0] == "override_case" else sess.ops())
    cases = [c for c in all_cases() if c.op in selected]
    if names[0] == "grad_case":
        cases = [c for c in cases if c.differentiable]
    if names[0] == "override_case":
        cases = [c for c in cases if c.compose is None]  # the op itself, not a computation built around it
    metafunc.parametrize(names[0], cases, ids=[f"{c.id}-{sess.device}" for c in cases])


def _read_xfails(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = [ln.split("#", 1)[0].strip() for ln in f]
    except OSError as e:
        raise pytest.UsageError(f"--unidl-xfails-file: cannot read {path}: {e}") from e
    return [ln for ln in lines if ln]


def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    path = config.getoption("--unidl-xfails-file")
    if not path:
        return
    wanted = set(_read_xfails(path))
    for item in items:
        if wanted & {item.name, item.nodeid, stable_id(item)}:
            item.add_marker(pytest.mark.xfail(reason=f"listed in {path}", strict=False))


class _ReportHooks:
    """Rows for tests that recorded none themselves (other tiers, errors outside the checks)."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def pytest_runtest_logreport(self, report: Any) -> None:
        rep = self.report
        name = report.nodeid.split("::")[-1]
        mine = rep.for_test(report.nodeid)
        if hasattr(report, "wasxfail"):
            for r in mine:
                r.status = "xfail"
            if not mine:
                rep.record(name, "test", "xfail", detail=str(report.wasxfail), test=report.nodeid)
            return
        if report.when == "call" and report.passed and not mine:
            rep.record(name, "test", "passed", test=report.nodeid)
        elif report.failed and not any(r.status == "FAIL" for r in mine):
            msg = str(getattr(report, "longreprtext", "") or "").strip().splitlines()
            rep.record(name, report.when if report.when != "call" else "test", "FAIL",
                       detail=msg[-1] if msg else "failed", test=report.nodeid)
        elif report.skipped and not mine:
            rep.record(name, "test", "skipped", test=report.nodeid)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = session.config.getoption("--unidl-json")
    if path and hasattr(session.config, "_unidl"):
        session.config._unidl.report.write_json(path)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if config.getoption("--unidl-no-table") or not hasattr(config, "_unidl") or not config._unidl.report.rows:
        return
    import io

    buf = io.StringIO()
    render(config._unidl.report, buf)
    terminalreporter.section("unidl conformance")
    terminalreporter.write(buf.getvalue())
