"""Fixtures: ``launch`` runs a script on N ranks with ``unidl launch``; every test here skips (with the reason)
when mpi4py or an MPI launcher is missing."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from unidl.cli.launch import find_mpirun


def require_mpi() -> None:
    """Skip (with the reason) when mpi4py or an MPI launcher is missing."""
    import unidl.distributed as dist

    if not dist.available():
        pytest.skip('needs mpi4py and an MPI library: pip install "unidl[dist]"')
    if find_mpirun() is None:
        pytest.skip('needs an MPI launcher (mpirun): pip install "unidl[dist]"')


def launch(tmp_path, source: str, n: int = 2, timeout: float = 120, args=(), env=None) -> subprocess.CompletedProcess:
    """Write ``source`` to a script and run it with ``unidl launch -n n``; one BLAS thread per rank."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", **(env or {}))
    cmd = [sys.executable, "-m", "unidl", "launch", "-n", str(n), str(script), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(tmp_path))


@pytest.fixture(autouse=True)
def _needs_mpi(request):
    if "no_mpi" not in request.node.nodeid:
        require_mpi()


@pytest.fixture(name="launch")
def _launch_fixture(tmp_path):
    return lambda source, **kw: launch(tmp_path, source, **kw)
