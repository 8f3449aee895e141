"""``unidl conform``: run the conformance suite against a device / plugin and print the report table.

Builds a pytest command line (``-p unidl_conformance.pytest_plugin --pyargs unidl_conformance.<suite>``),
runs it in this process, then prints the table from the run's JSON report. The exit status is
pytest's: 0 when every check passed, non-zero otherwise.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import sys
import tempfile
from typing import List

HELP = "run the conformance suite (kernels, twins, goldens) and print the report"

SUITES = ("kernels", "twins", "goldens")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default=None, help="device type under test (default: cpu)")
    parser.add_argument("--plugin", default=None,
                        help="plugin under test: entry-point name, import name, or path to its package")
    parser.add_argument("--suite", default=",".join(SUITES),
                        help=f"comma-separated tiers to run (default: all installed of {','.join(SUITES)})")
    parser.add_argument("-k", "--case", default=None, help="only tests matching this pytest -k expression")
    parser.add_argument("--max-examples", type=int, default=None, help="hypothesis examples per test")
    parser.add_argument("--xfails-file", default=None, help="file of test ids expected to fail")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the report as JSON here")
    parser.add_argument("--list", action="store_true", help="print the stable test ids and exit")
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    parser.add_argument("-v", "--verbose", action="store_true", help="pytest's verbose output")


def _suite_modules(spec: str, explicit: bool) -> List[str]:
    mods = []
    for name in [s.strip() for s in spec.split(",") if s.strip()]:
        if name not in SUITES:
            raise SystemExit(f"unidl conform: unknown suite '{name}' (choose from {', '.join(SUITES)})")
        mod = f"unidl_conformance.{name}"
        if importlib.util.find_spec(mod) is None:
            if explicit:
                raise SystemExit(f"unidl conform: suite '{name}' is not installed ({mod} not found)")
            continue
        mods.append(mod)
    if not mods:
        raise SystemExit("unidl conform: no suite to run")
    return mods


def pytest_args(args: argparse.Namespace, json_path: str) -> List[str]:
    """The pytest command line for ``args`` (without the list/collect switches)."""
    explicit = args.suite != ",".join(SUITES)
    out = ["-p", "unidl_conformance.pytest_plugin", "-p", "no:cacheprovider",
           # the suite's own settings, not those of the project the command runs in
           "-c", os.devnull, "--rootdir", os.path.dirname(importlib.util.find_spec("unidl_conformance").origin),
           "--pyargs", *_suite_modules(args.suite, explicit), "--unidl-no-table", "--unidl-json", json_path]
    for flag, value in (("--unidl-device", args.device), ("--unidl-plugin", args.plugin), ("-k", args.case),
                        ("--unidl-xfails-file", args.xfails_file)):
        if value:
            out += [flag, value]
    if args.max_examples:
        out += ["--unidl-max-examples", str(args.max_examples)]
    if args.exitfirst:
        out.append("-x")
    out.append("-v" if args.verbose else "-q")
    return out


class _Collector:
    def __init__(self) -> None:
        self.ids: List[str] = []

    def pytest_collection_finish(self, session) -> None:
        from unidl_conformance.pytest_plugin import stable_id

        self.ids = [stable_id(item) for item in session.items]


def run(args: argparse.Namespace) -> int:
    from ..kernels import invalidate

    # third-party kernels' result shapes and dtypes are checked against the reference during the suite
    # (and only then: the setting is put back afterwards, for a caller running the suite in-process)
    before = os.environ.get("UNIDL_CHECK_KERNELS")
    os.environ.setdefault("UNIDL_CHECK_KERNELS", "1")
    invalidate()
    try:
        return _run(args)
    finally:
        if before is None:
            os.environ.pop("UNIDL_CHECK_KERNELS", None)
        else:
            os.environ["UNIDL_CHECK_KERNELS"] = before
        invalidate()


def _run(args: argparse.Namespace) -> int:
    import pytest

    from unidl_conformance import report as report_mod

    fd, tmp = tempfile.mkstemp(prefix="unidl-conform-", suffix=".json")
    os.close(fd)
    os.unlink(tmp)  # the plugin writes it; absent means the run ended before the report
    try:
        if args.json and not args.list:
            folder = os.path.dirname(os.path.abspath(args.json))
            if not os.path.isdir(folder):
                print(f"unidl conform: --json {args.json}: folder '{folder}' does not exist", file=sys.stderr)
                return 2
        cmd = pytest_args(args, tmp)
        if args.list:
            col = _Collector()
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                rc = pytest.main(cmd + ["--collect-only"], plugins=[col])
            if rc not in (0, 5):
                sys.stdout.write(buf.getvalue())
                return int(rc)
            for i in col.ids:
                print(i)
            return 0
        rc = int(pytest.main(cmd))
        rep = report_mod.load(tmp)
        if rep is None or (rc in (2, 3, 4) and not rep.rows):  # interrupted, internal or usage error
            print("unidl conform: the run stopped before producing a report", file=sys.stderr)
            return rc or 1
        print()
        report_mod.render(rep, sys.stdout)
        if args.json:
            try:
                rep.write_json(args.json)
            except OSError as e:
                print(f"unidl conform: cannot write the JSON report {args.json}: {e.strerror or e}", file=sys.stderr)
                return rc or 1
        return rc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
