"""Test configuration: hypothesis profiles, the gpu marker's auto-skip, shared fixtures."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def _gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - any failure means no usable GPU
        return False


def pytest_collection_modifyitems(config, items):
    if _gpu_available():
        return
    skip = pytest.mark.skip(reason="needs an NVIDIA GPU with CuPy")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def own_cpu_kernel():
    """``own_cpu_kernel(op)``: whether ``op`` runs the cpu plugin's own kernel here, not its composite (as under
    ``UNIDL_CPU_KERNELS=primitives``): for assertions about a kernel's memory layout, which composites need not
    keep."""
    from unidl.kernels import KERNELS
    from unidl.plugins import ensure_loaded

    ensure_loaded()
    return lambda op: any(e.plugin == "cpu" for e in KERNELS.candidates(op, "cpu"))


@pytest.fixture(scope="session")
def relu_pool_folds(own_cpu_kernel):
    """Whether captured steps fold relu into max-pool here (unidl.capture_fuse): only over the cpu plugin's own
    kernels for the four ops, not their composites (``UNIDL_CPU_KERNELS=primitives``)."""
    return all(own_cpu_kernel(op) for op in ("max_pool", "max_pool_grad", "relu", "relu_grad"))
