"""``unidl plugins``: what is registered (plugins, device types) and what failed to load, and why."""
from __future__ import annotations

import argparse
import os
from typing import List, Sequence, TextIO

HELP = "list plugins, device types and plugin failures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", help="show the traceback of each failure")


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


def run(args: argparse.Namespace) -> int:
    import sys

    report(sys.stdout, verbose=args.verbose)
    return 0
