"""``unidl plugins``: what is registered (plugins, device types) and what failed to load, and why."""
from __future__ import annotations

import argparse
import os
from typing import List, Sequence, TextIO

HELP = "list plugins, device types and plugin failures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", help="show the traceback of each failure")
    parser.add_argument("--coverage", metavar="DEVICE", default=None,
                        help="which ops run on device type DEVICE natively, through composites, or fall back "
                             "to another device")


def _table(out: TextIO, header: Sequence[str], rows: List[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip(), file=out)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _device_status(kind) -> str:
    try:
        if not kind.is_available():
            return "unavailable" + (f": {kind.unavailable_reason}" if kind.unavailable_reason else "")
        return f"available ({kind.device_count()})"
    except Exception as e:  # noqa: BLE001 - a broken probe is reported, not raised
        return f"unavailable: {type(e).__name__}: {e}"


def report(out: TextIO, verbose: bool = False) -> None:
    """Write the three tables (plugins, device types, failures) to ``out``."""
    from .. import plugins
    from ..devices import DEVICES

    recs = plugins.records()
    print("Plugins", file=out)
    if recs:
        _table(out, ("NAME", "STATUS", "DISTRIBUTION", "DEVICES", "KERNELS"),
               [(r.name, r.status, r.distribution or "-", ",".join(r.devices) or "-",
                 str(r.kernels) if r.status == "loaded" else "-") for r in recs])
    else:
        print("  none", file=out)
    if os.environ.get("UNIDL_DISABLE_PLUGIN_AUTOLOAD"):
        print("  (entry-point loading is off: UNIDL_DISABLE_PLUGIN_AUTOLOAD is set)", file=out)

    print("\nDevice types", file=out)
    if DEVICES.types:
        _table(out, ("NAME", "PLUGIN", "STATUS"),
               [(name, kind.plugin or "-", _device_status(kind)) for name, kind in sorted(DEVICES.types.items())])
    else:
        print("  none", file=out)

    failed = [r for r in recs if r.status == "failed"]
    print("\nFailures", file=out)
    if not failed:
        print("  none", file=out)
        return
    _table(out, ("PLUGIN", "PHASE", "ERROR"), [(r.name, r.phase, _one_line(r.error)) for r in failed])
    if verbose:
        for r in failed:
            print(f"\n--- {r.name} ({r.phase}) ---\n{r.traceback.rstrip()}", file=out)
    else:
        print("  (unidl plugins -v shows the tracebacks)", file=out)


def _wrapped(out: TextIO, head: str, names: List[str]) -> None:
    import textwrap

    if names:
        print(textwrap.fill(", ".join(names), width=100, initial_indent="  " + head,
                            subsequent_indent="  " + " " * len(head)), file=out)


def coverage_report(out: TextIO, device: str, verbose: bool = False) -> int:
    """Write how each op runs on ``device`` (``unidl.primitives.coverage``); 2 for an unknown device type."""
    from ..devices import DEVICES
    from ..primitives import PRIMITIVES, coverage
    from ..plugins import ensure_loaded

    ensure_loaded()
    if device not in DEVICES.types:
        print(f"unidl plugins --coverage: no plugin registers device type '{device}' (registered: "
              f"{', '.join(sorted(DEVICES.types)) or 'none'})", file=out)
        return 2
    cov = coverage(device)
    groups = {"native": [], "composite": [], "fallback": [], "missing": []}
    for op, c in cov.items():
        groups[c["path"]].append(op)
    prim_missing = sorted(op for op in PRIMITIVES if cov[op]["path"] != "native")
    print(f"Op coverage on device type '{device}' ({len(cov)} ops)", file=out)
    labels = {"native": "native (a kernel registered for the device)",
              "composite": "composite (the core's definition, from ops that run on the device)",
              "fallback": "fallback (runs on the cpu through host copies: write these next)",
              "missing": "missing (no kernel, no composite, no host fallback)"}
    for path, ops in groups.items():
        print(f"\n{labels[path]}: {len(ops)}", file=out)
        if path == "native":
            by: dict = {}
            for op in ops:
                by.setdefault(cov[op]["by"], []).append(op + ("*" if op in PRIMITIVES else ""))
            for plugin, names in sorted(by.items()):
                _wrapped(out, f"by {plugin}: ", names)
        elif path == "fallback":
            for op in (o for o in ops if cov[o]["via"]):
                print(f"  {op}: composite needs {', '.join(cov[op]['via'])}", file=out)
            _wrapped(out, "no composite: ", [o for o in ops if not cov[o]["via"]])
        else:
            _wrapped(out, "", ops)
    print(f"\nprimitive tier (*): {len(PRIMITIVES) - len(prim_missing)} of {len(PRIMITIVES)} native"
          + (f"; missing: {', '.join(prim_missing)}" if prim_missing else ""), file=out)
    return 0


def run(args: argparse.Namespace) -> int:
    import sys

    if args.coverage:
        return coverage_report(sys.stdout, args.coverage, verbose=args.verbose)
    report(sys.stdout, verbose=args.verbose)
    return 0
