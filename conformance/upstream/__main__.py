"""Command line: record a baseline on the real framework, or run the face and print the table."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .runner import RunnerError, compare, format_table, load_baseline, record_baseline, run_suite, total_ratio
from .suites import SUITES

BEGIN, END = "<!-- upstream-table:begin -->", "<!-- upstream-table:end -->"


def write_table(path: Path, table: str, header: str) -> None:
    """Replace the generated table between the markers, keeping the hand-written text around it."""
    block = f"{BEGIN}\n{header}\n\n{table}\n{END}"
    text = path.read_text() if path.exists() else f"# Compatibility\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m unidl_conformance.upstream")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("baseline", "run"):
        p = sub.add_parser(name)
        p.add_argument("suite", choices=sorted(SUITES))
        p.add_argument("--checkout", required=True, type=Path, help="local checkout of the framework at the tag")
        p.add_argument("--files", nargs="*", help="test files (default: the suite's list)")
        p.add_argument("--jobs", type=int, default=2)
        p.add_argument("--test-timeout", type=float, default=120)
    sub.choices["baseline"].add_argument("--python", required=True, help="python of the real framework's venv")
    run = sub.choices["run"]
    run.add_argument("--python", default=sys.executable)
    run.add_argument("--baseline", type=Path)
    run.add_argument("--out", type=Path, help="write the face's raw results here (JSON)")
    run.add_argument("--table", action="store_true", help="write the table into docs/compat-<suite>.md")
    run.add_argument("--require", type=float, default=0.0, help="exit 1 when the total ratio is below this")
    run.add_argument("--failing", action="store_true", help="list every eligible test that fails")
    args = parser.parse_args(argv)
    suite = SUITES[args.suite]
    try:
        if args.command == "baseline":
            record_baseline(suite, args.checkout, args.python, files=args.files, jobs=args.jobs,
                            test_timeout=args.test_timeout)
            print(f"baseline written to {suite.baseline_path}")
            return 0
        baseline = load_baseline(suite, args.baseline)
        files = args.files or list(suite.files)
        results = run_suite(suite, args.checkout, python=args.python, face=True, files=files, jobs=args.jobs,
                            test_timeout=args.test_timeout)
    except RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        args.out.write_text(json.dumps(results, indent=1, sort_keys=True))
    rows = compare(baseline, results, files)
    table = format_table(suite, rows)
    print(table)
    if args.failing:
        for row in rows:
            for nodeid in row.failing:
                entry = results.get(nodeid, {"outcome": "not run", "message": ""})
                print(f"{entry['outcome']:>13}  {nodeid}  {entry.get('message', '')[:160]}")
    if args.table and not args.files:
        header = (f"{suite.name} {suite.version} own unit tests against unidl "
                  f"(baseline: {baseline.get('environment', '')}, recorded {baseline.get('recorded', '')}).")
        write_table(suite.table_path, table, header)
    ratio = total_ratio(rows)
    print(f"total: {100 * ratio:.1f}% of eligible tests pass")
    return 1 if ratio < args.require else 0


if __name__ == "__main__":
    sys.exit(main())
