"""``unidl run SCRIPT [ARGS...]``: run an unmodified Keras / MXNet-Gluon script on unidl.

The script runs as ``python SCRIPT ARGS`` would (``__name__ == "__main__"``, ``sys.argv`` =
``[SCRIPT, *ARGS]``, the script's folder first on ``sys.path``) with the import aliases of
:mod:`unidl.aliases` installed, so ``import keras`` / ``import mxnet`` give the unidl frontends.
An API the frontends lack ends as one clear message naming the API and the script's file and line
(exit status 1); other errors show the traceback of the user's own frames only. ``--traceback``
shows everything.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
import types
from typing import List, Optional, Tuple

HELP = "run an unmodified Keras or MXNet/Gluon script on unidl"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", metavar="DEVICE", default=None,
                        help="default device for new tensors: cpu, cuda, cuda:N (default: cpu)")
    parser.add_argument("--traceback", action="store_true",
                        help="on an error, print the full traceback including the frames inside unidl")
    parser.add_argument("script", metavar="SCRIPT", help="the Python script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="arguments passed to the script")


def _err(msg: str) -> None:
    print(f"unidl run: {msg}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    path = args.script
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        _err(f"cannot open script {path!r}: {e.strerror or e}")
        return 2
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        _err(f"{e.filename}, line {e.lineno}: syntax error: {e.msg}")
        return 2
    import unidl

    if args.device:
        try:
            unidl.set_default_device(args.device)
        except (unidl.UnidlError, ValueError, TypeError) as e:
            _err(f"--device {args.device}: {e}")
            return 1
    status = _execute(code, path, list(args.args), full_traceback=args.traceback)
    if status != 0:
        _stop_other_ranks(status)
    return status


def _stop_other_ranks(status: int) -> None:
    """A failed rank of a multi-rank job stops the others (MPI_Abort) instead of leaving them blocked."""
    dist = sys.modules.get("unidl.distributed")
    if dist is None or not dist.is_initialized() or dist.size() < 2:
        return
    _err(f"rank {dist.rank()} of {dist.size()} failed (exit status {status}); stopping all ranks")
    sys.stdout.flush()
    sys.stderr.flush()
    dist.abort(status)


def _execute(code: types.CodeType, path: str, argv: List[str], full_traceback: bool = False) -> int:
    """Run compiled ``code`` as ``__main__`` with aliases installed; returns the exit status."""
    from ..aliases import install_aliases

    handle = install_aliases()
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = __builtins__  # type: ignore[attr-defined]
    main.__spec__ = None
    old_main, old_argv = sys.modules.get("__main__"), sys.argv
    sys.modules["__main__"] = main
    sys.argv = [path, *argv]
    home = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, home)
    try:
        exec(code, main.__dict__)
    except SystemExit as e:
        return _exit_status(e.code)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", file=sys.stderr)
        return 130
    except BaseException as e:  # noqa: BLE001 - the run boundary: every error becomes a message
        _report(e, path, full_traceback)
        return 1
    finally:
        sys.stdout.flush()
        # put the caller's state back (matters when called in-process, e.g. from tests)
        if old_main is not None:
            sys.modules["__main__"] = old_main
        sys.argv = old_argv
        if home in sys.path:
            sys.path.remove(home)
        handle.__exit__(None, None, None)
    return 0


def _exit_status(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # sys.exit("message") prints it and exits 1, as Python does
    return 1


# ---------------------------------------------------------------------------------------------
# turning an exception into a message about the user's code

def _internal_dirs() -> Tuple[str, ...]:
    """Folders whose frames are unidl's, not the user's (the core and every frontend package)."""
    import unidl

    dirs = [os.path.dirname(os.path.abspath(unidl.__file__))]
    try:
        from .. import plugins

        for fe in plugins.FRONTENDS.frontends.values():
            mod = sys.modules.get(fe.package)
            if mod is not None and getattr(mod, "__file__", None):
                dirs.append(os.path.dirname(os.path.abspath(mod.__file__)))
        for rec in plugins.RECORDS.values():
            mod = sys.modules.get(rec.module.split(":")[0]) if rec.module else None
            if mod is not None and getattr(mod, "__file__", None):
                dirs.append(os.path.dirname(os.path.abspath(mod.__file__)))
    except Exception:  # noqa: BLE001 - reporting must never fail
        pass
    return tuple(d + os.sep for d in dirs)


def _is_internal(filename: str, internal: Tuple[str, ...]) -> bool:
    return filename.startswith("<frozen") or os.path.abspath(filename).startswith(internal)


def _user_frames(tb, path: str) -> List[traceback.FrameSummary]:
    """The traceback's frames from the script's first frame on (the runner's own frame dropped)."""
    frames = traceback.extract_tb(tb)
    script = os.path.abspath(path)
    for i, fr in enumerate(frames):
        if os.path.abspath(fr.filename) == script:
            return frames[i:]
    return frames


def _user_frame_index(frames: List[traceback.FrameSummary], path: str, internal) -> int:
    """Index of the last frame in the user's code (a file under the script's folder, else any non-unidl file)."""
    home = os.path.dirname(os.path.abspath(path)) + os.sep
    best = -1
    for i, fr in enumerate(frames):
        if not _is_internal(fr.filename, internal):
            if best < 0 or os.path.abspath(fr.filename).startswith(home):
                best = i
    return best


def _public_name_of(obj) -> Optional[str]:
    """``keras.layers`` for a frontend module; ``Sequential`` (keras) for a frontend class or object."""
    from ..aliases import alias_table, public_name

    table = alias_table()
    pkgs = {pkg for _, pkg in table.values()}

    def _in(modname: str) -> bool:
        return any(modname == p or modname.startswith(p + ".") for p in pkgs)

    if isinstance(obj, types.ModuleType):
        name = getattr(obj, "__name__", "")
        if _in(name):
            return public_name(name, table)
        spec = getattr(obj, "__spec__", None)
        if spec is not None and type(spec.loader).__name__ == "_StubLoader":
            return name
        return None
    cls = obj if isinstance(obj, type) else type(obj)
    mod = getattr(cls, "__module__", "") or ""
    if _in(mod):
        return f"{public_name(mod, table).split('.')[0]}: {cls.__qualname__}"
    return None


def _missing_api(e: BaseException, frames, idx: int) -> Optional[str]:
    """The framework API name when ``e`` says the frontend lacks it, else None."""
    from ..aliases import UnsupportedAPIError, UnsupportedModuleError, public_name

    if isinstance(e, (UnsupportedAPIError, UnsupportedModuleError)):
        return str(e)
    # only errors raised at the user's line itself (or by a frontend module's __getattr__ it called)
    if any(fr.name not in ("__getattr__", "__getattribute__", "_handle_fromlist", "find_spec")
           and not fr.filename.startswith("<frozen") for fr in frames[idx + 1:]):
        return None
    if isinstance(e, AttributeError) and getattr(e, "name", None):
        owner = _public_name_of(getattr(e, "obj", None))
        if owner is None:
            return None
        if ": " in owner:  # a class or object of a frontend
            fw, qual = owner.split(": ", 1)
            return f"`{qual}.{e.name}` ({fw})"
        return f"`{owner}.{e.name}`"
    if isinstance(e, ImportError) and e.name:
        m = re.match(r"cannot import name '([^']+)'", str(e))
        mod = public_name(e.name)
        if m and mod != e.name:
            return f"`{mod}.{m.group(1)}`"
        if mod != e.name:
            return f"`{mod}`"
    return None


def _as_written(api: str, line: Optional[str]) -> str:
    """Add how the script spells a missing attribute (``mx.nd.foo``) when that differs from its API name."""
    m = re.fullmatch(r"`([\w.]+)\.(\w+)`", api)
    if not m or not line:
        return api
    w = re.search(r"([A-Za-z_][\w.]*)\." + re.escape(m.group(2)) + r"\b", line)
    if not w or w.group(0) == f"{m.group(1)}.{m.group(2)}":
        return api
    return f"{api} (`{w.group(0)}` in the script)"


def _report(e: BaseException, path: str, full: bool) -> None:
    frames = _user_frames(e.__traceback__, path)
    internal = _internal_dirs()
    idx = _user_frame_index(frames, path, internal)
    where = ""
    if idx >= 0:
        fr = frames[idx]
        where = f"{fr.filename}, line {fr.lineno}" + (f": {fr.line.strip()}" if fr.line else "")
    api = None if idx < 0 else _missing_api(e, frames, idx)
    if full:
        print("Traceback (most recent call last):", file=sys.stderr)
        print("".join(traceback.format_list(frames)), end="", file=sys.stderr)
        print("".join(traceback.format_exception_only(type(e), e)), end="", file=sys.stderr)
    if api is not None:
        api = _as_written(api, frames[idx].line)
        msg = api if "supported by unidl" in api else f"{api} is not yet supported by unidl"
        print(f"unidl run: {msg}\n  at {where}", file=sys.stderr)
        if not full:
            print(f"  (`unidl port {path}` lists every API the script uses; `unidl run --traceback` shows the "
                  "full traceback)", file=sys.stderr)
        return
    if full:
        return
    shown = frames[: idx + 1] if idx >= 0 else frames
    hidden = len(frames) - len(shown)
    print("Traceback (most recent call last):", file=sys.stderr)
    print("".join(traceback.format_list(shown)), end="", file=sys.stderr)
    if hidden:
        print(f"  ... {hidden} frame(s) inside unidl hidden (`unidl run --traceback` shows them)", file=sys.stderr)
    print("".join(traceback.format_exception_only(type(e), e)), end="", file=sys.stderr)
