"""Run a framework's own unit tests against a unidl face and compare with the real framework.

The checkout is never copied into this repository: the runner is pointed at a local checkout
(``--checkout``), runs each chosen test file in its own pytest process (so one file's crash or
global state cannot spill into another), records every test's outcome, and compares with the
baseline recorded by running the very same files on the real framework in a scratch venv.

    python -m unidl_conformance.upstream baseline mxnet --checkout DIR --python VENV/bin/python
    python -m unidl_conformance.upstream run mxnet --checkout DIR [--table] [--require 0.95]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

from .scope import ScopeReader
from .suites import HERE, Suite

PLUGINS = HERE / "plugins"
SHIMS = HERE / "shims"
Results = Dict[str, dict]


class RunnerError(RuntimeError):
    """The runner could not do what it was asked (missing checkout, missing baseline, ...)."""


def test_dir_of(suite: Suite, checkout: Path) -> Path:
    path = Path(checkout) / suite.test_dir
    if not path.is_dir():
        raise RunnerError(f"{suite.name} checkout {checkout}: no {suite.test_dir} folder "
                          f"(expected a checkout of tag {suite.version})")
    return path


def run_file(python: str, test_dir: Path, filename: str, plugins: Sequence[str], *,
             test_timeout: float, file_timeout: float, extra_env: Optional[Dict[str, str]] = None) -> Results:
    """Run one test file in a fresh pytest process and return {nodeid: outcome entry}."""
    with tempfile.TemporaryDirectory(prefix="unidl-upstream-") as tmp:
        record = os.path.join(tmp, "record.json")
        env = dict(os.environ)
        env.update(extra_env or {})
        env["PYTHONPATH"] = os.pathsep.join([str(PLUGINS), str(SHIMS)] +
                                            ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["UNIDL_UPSTREAM_RECORD"] = record
        env["UNIDL_UPSTREAM_TIMEOUT"] = str(test_timeout)
        env.setdefault("OMP_NUM_THREADS", "1")
        # --tb=line: the record keeps only each failure's crash line (reprcrash), the same under every
        # style; the default long style re-parses the test file's source (ast) for every failing test,
        # ~0.6 s a failure on keras/src/ops/numpy_test.py (12,575 lines), i.e. 20+ minutes of the file's run
        cmd = [python, "-m", "pytest", "-q", "--tb=line", "-p", "no:cacheprovider", "-c", os.devnull,
               "--rootdir", str(test_dir), "-p", "upstream_record"]
        for plugin in plugins:
            cmd += ["-p", plugin]
        cmd.append(filename)
        started = time.time()
        try:
            proc = subprocess.run(cmd, cwd=test_dir, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=file_timeout)
            tail = proc.stdout.decode(errors="replace")[-2000:]
        except subprocess.TimeoutExpired:
            tail = f"file ran past {file_timeout:.0f} s"
        if not os.path.exists(record):
            return {f"{filename}::<file>": {"outcome": "crashed", "seconds": round(time.time() - started, 1),
                                            "message": tail.strip().splitlines()[-1] if tail.strip() else ""}}
        with open(record) as fh:
            return json.load(fh)["results"]


def run_suite(suite: Suite, checkout: Path, *, python: str, face: bool, files: Optional[Iterable[str]] = None,
              jobs: int = 2, test_timeout: float = 120, file_timeout: float = 3600,
              log=print) -> Results:
    """Run the suite's files (all, or ``files``) and merge their results."""
    test_dir = test_dir_of(suite, checkout)
    chosen = list(files or suite.files)
    plugins = [suite.face_plugin] if face else []
    env = dict(suite.env)
    env.update(suite.face_env_vars if face else suite.real_env_vars)
    env["UNIDL_UPSTREAM_CHECKOUT"] = str(Path(checkout).resolve())
    merged: Results = {}

    def one(name: str) -> Results:
        started = time.time()
        res = run_file(python, test_dir, name, plugins, test_timeout=test_timeout, file_timeout=file_timeout,
                       extra_env={**env, **suite.face_env_by_file.get(name, {})} if face else env)
        passed = sum(1 for r in res.values() if r["outcome"] == "passed")
        log(f"  {name}: {passed}/{len(res)} passed in {time.time() - started:.0f} s")
        return res

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for res in pool.map(one, chosen):
            merged.update(res)
    return merged


@dataclass
class FileRow:
    """One test file's line of the compatibility table."""

    filename: str
    collected_real: int = 0     # tests the real framework ran
    passed_real: int = 0
    out_of_scope: int = 0       # passed on the real framework, left out (reason in ``scope``)
    eligible: int = 0           # passed on the real framework and in scope
    passed_face: int = 0        # eligible and passed on the face
    failing: List[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.passed_face / self.eligible if self.eligible else 1.0


def compare(baseline: dict, results: Results, files: Sequence[str]) -> List[FileRow]:
    """Per-file rows: eligible = passed on the real framework and in scope."""
    rows = {f: FileRow(f) for f in files}
    scope = baseline.get("scope", {})
    for nodeid, entry in sorted(baseline["results"].items()):
        filename = nodeid.split("::")[0]
        if filename not in rows:
            continue
        row = rows[filename]
        row.collected_real += 1
        if entry["outcome"] != "passed":
            continue
        row.passed_real += 1
        if scope.get(nodeid):
            row.out_of_scope += 1
            continue
        row.eligible += 1
        if results.get(nodeid, {}).get("outcome") == "passed":
            row.passed_face += 1
        else:
            row.failing.append(nodeid)
    return [rows[f] for f in files]


def load_baseline(suite: Suite, path: Optional[Path] = None) -> dict:
    path = Path(path or suite.baseline_path)
    if not path.exists():
        raise RunnerError(f"no baseline at {path}: record it with "
                          f"`python -m unidl_conformance.upstream baseline {suite.name} ...`")
    with open(path) as fh:
        return json.load(fh)


def record_baseline(suite: Suite, checkout: Path, python: str, *, files=None, jobs=2, out=None,
                    test_timeout: float = 120, log=print) -> dict:
    """Run the suite on the real framework (``python`` of its scratch venv) and store the outcomes."""
    results = run_suite(suite, checkout, python=python, face=False, files=files, jobs=jobs,
                        test_timeout=test_timeout, log=log)
    reader = ScopeReader(test_dir_of(suite, checkout), suite.out_of_scope)
    baseline = {
        "framework": suite.name, "version": suite.version, "environment": suite.real_env,
        "recorded": time.strftime("%Y-%m-%d"),
        "results": {k: {"outcome": v["outcome"]} for k, v in sorted(results.items())},
        "seconds": {k: v["seconds"] for k, v in sorted(results.items())},
        "scope": {k: reason for k in sorted(results) if (reason := reader.reason(k))},
    }
    path = Path(out or suite.baseline_path)
    if files and path.exists():  # re-recording some files keeps the others' entries
        with open(path) as fh:
            previous = json.load(fh)
        chosen = set(files)
        for key in ("results", "seconds", "scope"):
            kept = {k: v for k, v in previous.get(key, {}).items() if k.split("::")[0] not in chosen}
            baseline[key] = dict(sorted({**kept, **baseline[key]}.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(baseline, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return baseline


def format_table(suite: Suite, rows: List[FileRow]) -> str:
    """A Markdown table: per file, eligible tests and how many pass on the face."""
    lines = ["| file | ran on real " + suite.name + " | passed there | out of scope | eligible | pass on unidl | % |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    tot = FileRow("total")
    for r in rows:
        lines.append(f"| {r.filename} | {r.collected_real} | {r.passed_real} | {r.out_of_scope} | {r.eligible} "
                     f"| {r.passed_face} | {100 * r.ratio:.1f} |")
        for name in ("collected_real", "passed_real", "out_of_scope", "eligible", "passed_face"):
            setattr(tot, name, getattr(tot, name) + getattr(r, name))
    lines.append(f"| **total** | {tot.collected_real} | {tot.passed_real} | {tot.out_of_scope} | {tot.eligible} "
                 f"| {tot.passed_face} | **{100 * tot.ratio:.1f}** |")
    return "\n".join(lines)


def total_ratio(rows: List[FileRow]) -> float:
    eligible = sum(r.eligible for r in rows)
    return sum(r.passed_face for r in rows) / eligible if eligible else 1.0
