"""Entry point of the ``unidl`` command: parses the subcommand and hands over to its module.

Each subcommand lives in ``unidl/cli/<name>.py`` and provides::

    HELP: str                                    # one line for ``unidl --help``
    def add_arguments(parser) -> None            # its options
    def run(args) -> int                         # the work; returns the exit status

Adding one (run, port, conform, convert, demo) means adding its module and a line to ``COMMANDS``.
Subcommand modules keep heavy imports inside ``run`` so ``unidl --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

#: subcommand name -> module implementing it
COMMANDS = {
    "plugins": "unidl.cli.plugins",
    "conform": "unidl.cli.conform",
    "run": "unidl.cli.run",
    "port": "unidl.cli.port",
    "demo": "unidl.cli.demo",
    "convert": "unidl.cli.convert",
    "launch": "unidl.cli.launch",
}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-parser per entry of :data:`COMMANDS`."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="unidl",
        description="unidl: one deep-learning runtime for Keras and MXNet/Gluon scripts.")
    parser.add_argument("--version", action="version", version=f"unidl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, modname in COMMANDS.items():
        mod = importlib.import_module(modname)
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the ``unidl`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except BrokenPipeError:  # e.g. `unidl plugins | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
