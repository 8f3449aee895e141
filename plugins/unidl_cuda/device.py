"""The ``cuda`` device type: probing CuPy and a GPU, and the transfer functions the registry gets.

Everything takes the array module ``cp`` as an argument, so the tests can drive the plugin with a
NumPy-backed stand-in for CuPy (tests/cuda/conftest.py) on a machine without a GPU.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from .kernels.checks import DeferredChecks

INSTALL_HINT = "install CuPy for your CUDA version, e.g. `pip install cupy-cuda12x`"


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def probe(cp: Optional[Any] = None) -> Tuple[Optional[Any], str, int]:
    """Find CuPy and count GPUs: ``(cupy module or None, unavailable reason or '', device count)``."""
    if cp is None:
        try:
            import cupy as cp  # noqa: F811
        except Exception as e:  # noqa: BLE001 - a broken CuPy install is "unavailable", not a crash
            return None, f"CuPy is not installed ({_first_line(e)}); {INSTALL_HINT}", 0
    try:
        n = int(cp.cuda.runtime.getDeviceCount())
    except Exception as e:  # noqa: BLE001 - no driver, driver too old, no device
        return cp, f"no CUDA device ({_first_line(e)})", 0
    if n < 1:
        return cp, "no CUDA device (CuPy sees 0 GPUs)", 0
    return cp, "", n


def device_kwargs(cp: Optional[Any], reason: str, count: int, checks: Optional[DeferredChecks]) -> Dict[str, Any]:
    """The keyword arguments of ``registry.add("cuda", ...)`` for this probe result."""
    if reason:
        return dict(xp=cp, is_available=lambda: False, device_count=lambda: 0, unavailable_reason=reason)

    def to_host(a: Any) -> Any:
        if checks is not None:
            checks.raise_pending()
        return cp.asnumpy(a)  # copies from the array's own device and waits for it

    def from_host(a: Any, index: int = 0) -> Any:
        with cp.cuda.Device(index):
            return cp.asarray(a)

    def synchronize(index: int = 0) -> None:
        cp.cuda.Device(index).synchronize()
        if checks is not None:
            checks.raise_pending()

    fused = getattr(cp, "__name__", "") == "cupy"
    return dict(xp=cp, is_available=lambda: True, device_count=lambda: count, to_host=to_host,
                from_host=from_host, synchronize=synchronize,
                capabilities={"float64": True, "float16": True, "fused_kernels": fused, "cudnn": False})
