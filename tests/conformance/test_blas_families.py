"""The twin tier and the demo under every OpenBLAS kernel family this CPU can run, at 1 and 2 threads.

NumPy's OpenBLAS (DYNAMIC_ARCH) picks its kernels by CPU; OPENBLAS_CORETYPE forces a family. Each run
sets it explicitly (an inherited value cannot mask a failure) and checks, through threadpoolctl in the
child process, that OpenBLAS really runs that family. Bitwise identity must hold in every one: the
``kernel_calls`` check proves it for any BLAS, these runs show it on the ones at hand.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl tells which BLAS NumPy uses")

#: family -> the /proc/cpuinfo flag the CPU needs to run its kernels
FAMILIES = {"Prescott": "pni", "Sandybridge": "avx", "Haswell": "avx2", "SkylakeX": "avx512f"}
#: how OpenBLAS reports a forced family (its DYNAMIC_ARCH build names the SSE3 core Katmai)
REPORTED = {"Prescott": {"prescott", "katmai"}}


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _numpy_blas() -> str:
    import numpy  # noqa: F401  (loads its BLAS so threadpoolctl sees it)

    info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return info[0].get("internal_api", "") if info else ""


def _run(family: str, threads: int, *args: str, cwd: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OPENBLAS_CORETYPE=family, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               CI="true")
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


_PROBE = ("import numpy, threadpoolctl; i = [x for x in threadpoolctl.threadpool_info() if x['user_api'] == 'blas'][0]; "
          "print(i.get('architecture'), i.get('num_threads'))")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_twins_and_demo_are_bitwise_under_each_kernel_family(family, threads, tmp_path):
    if platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip(f"OPENBLAS_CORETYPE families are x86-64 ones; this machine is {platform.machine()}")
    if _numpy_blas() != "openblas":
        pytest.skip(f"NumPy's BLAS is {_numpy_blas() or 'unknown'}, not OpenBLAS: no kernel families to force")
    if FAMILIES[family] not in _cpu_flags():
        pytest.skip(f"this CPU lacks '{FAMILIES[family]}', so it cannot run OpenBLAS's {family} kernels")

    probe = _run(family, threads, "-c", _PROBE, cwd=str(tmp_path))
    arch, nthreads = probe.stdout.split()
    assert arch.lower() in REPORTED.get(family, {family.lower()}), f"OpenBLAS ran {arch}, not the forced {family}"
    assert int(nthreads) == threads

    twins = _run(family, threads, "-m", "unidl", "conform", "--suite", "twins", cwd=str(tmp_path))
    last = twins.stdout.strip().splitlines()[-1] if twins.stdout.strip() else ""
    assert twins.returncode == 0 and "FAIL" not in last and "identical" in last, \
        f"{family} x{threads}: {last}\n{twins.stdout[-3000:]}\n{twins.stderr[-2000:]}"

    demo = _run(family, threads, "-m", "unidl", "demo", "--epochs", "2", "--out", str(tmp_path / "out"),
                cwd=str(tmp_path))
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "bitwise identical: yes" in demo.stdout
