"""The conformance report: one row per (case, check), printed as a table and written as JSON.

A row's status is ``identical`` (bit for bit), ``within tol`` (with the max abs and max ulp
difference seen over all examples), ``FAIL`` (with the failing example's detail), ``xfail``,
``skipped``, ``passed`` (a test of another tier that recorded no rows of its own) or
``not covered`` (an op the device has a kernel for but no case, with the reason).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, TextIO, Tuple

from unidl.io.atomic import write_bytes_atomic

STATUS_ORDER = {"identical": 0, "passed": 0, "within tol": 1, "not covered": 2, "skipped": 2, "xfail": 3,
                "FAIL": 4}


@dataclass
class Row:
    case: str
    check: str
    status: str
    op: str = ""
    kernel: str = ""
    max_abs: float = 0.0
    max_ulp: float = 0.0
    detail: str = ""
    test: str = ""


@dataclass
class Report:
    """Rows collected during one run, with the device and plugin under test."""

    device: str = "cpu"
    plugin: str = ""
    rows: Dict[Tuple[str, str], Row] = field(default_factory=dict)

    def record(self, case: str, check: str, status: str, *, op: str = "", kernel: str = "", max_abs: float = 0.0,
               max_ulp: float = 0.0, detail: str = "", test: str = "") -> None:
        """Add or update the row of (case, check). Repeated examples keep the largest differences; a
        FAIL replaces earlier results (hypothesis replays the minimal failing example last)."""
        key = (case, check)
        row = self.rows.get(key)
        if row is None or status == "FAIL" or row.status in ("skipped", "passed"):
            new = Row(case, check, status, op, kernel, max_abs, max_ulp, detail, test)
            if row is not None and status != "FAIL" and row.status != "FAIL":
                new.max_abs, new.max_ulp = max(row.max_abs, max_abs), max(row.max_ulp, max_ulp)
            self.rows[key] = new
            return
        if row.status == "FAIL":
            return
        row.max_abs, row.max_ulp = max(row.max_abs, max_abs), max(row.max_ulp, max_ulp)
        if STATUS_ORDER.get(status, 0) > STATUS_ORDER.get(row.status, 0):
            row.status = status

    def for_test(self, test: str) -> List[Row]:
        return [r for r in self.rows.values() if r.test == test]

    def failed(self) -> List[Row]:
        return [r for r in self.rows.values() if r.status == "FAIL"]

    def summary(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for r in self.rows.values():
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def to_json(self) -> Dict[str, Any]:
        return {"device": self.device, "plugin": self.plugin, "summary": self.summary(),
                "rows": [_clean(asdict(r)) for r in self.sorted_rows()]}

    def sorted_rows(self) -> List[Row]:
        return sorted(self.rows.values(), key=lambda r: (r.case, r.check))

    def write_json(self, path: str) -> None:
        data = json.dumps(self.to_json(), indent=1, sort_keys=True).encode()
        write_bytes_atomic(path, data)

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Report":
        rep = cls(data.get("device", ""), data.get("plugin", ""))
        for r in data.get("rows", []):
            row = Row(**{k: (float("inf") if v == "inf" else v) for k, v in r.items()})
            rep.rows[(row.case, row.check)] = row
        return rep


def _clean(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: ("inf" if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()}


def _num(v: float, status: str) -> str:
    if status not in ("within tol", "FAIL") or v == 0:
        return "-"
    if math.isinf(v):
        return "inf"
    return f"{v:.3g}"


def render(report: Report, out: TextIO, *, failures_only: bool = False) -> None:
    """Write the table (case × check → status, max abs, max ulp, kernel) and the failures' details."""
    rows = report.sorted_rows()
    if failures_only:
        rows = [r for r in rows if r.status == "FAIL"]
    title = f"unidl conformance: device '{report.device}'" + (f", plugin '{report.plugin}'" if report.plugin else "")
    print(title, file=out)
    header = ("CASE", "CHECK", "STATUS", "MAX ABS", "MAX ULP", "KERNEL")
    table = [(r.case, r.check, r.status, _num(r.max_abs, r.status), _num(r.max_ulp, r.status), r.kernel or "-")
             for r in rows]
    widths = [max(len(str(x[i])) for x in [header, *table]) for i in range(len(header))]
    for line in [header, *table]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip(), file=out)
    fails = report.failed()
    if fails:
        print("\nFailures", file=out)
        for r in fails:
            print(f"  {r.case} [{r.check}] ({r.kernel or 'kernel ?'}): {r.detail.strip()}", file=out)
    counts = report.summary()
    parts = [f"{counts[k]} {k}" for k in sorted(counts, key=lambda s: STATUS_ORDER.get(s, 0))]
    print("\n" + (", ".join(parts) if parts else "no results"), file=out)


def load(path: str) -> Optional[Report]:
    """Read a JSON report written by :meth:`Report.write_json` (None if the file is missing)."""
    try:
        with open(path, encoding="utf-8") as f:
            return Report.from_json(json.load(f))
    except FileNotFoundError:
        return None
