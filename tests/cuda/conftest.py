"""Fixtures for the cuda plugin's tests: a NumPy stand-in for CuPy and isolated plugin registries.

``fake_cupy()`` is NumPy under another name (so the cpu kernels take their non-NumPy branches, as on
CuPy) with the few CuPy-only names the plugin uses (``cuda.runtime.getDeviceCount``, ``cuda.Device``,
``asnumpy``); host<->"device" copies really copy. ``fake_cuda`` registers the cuda plugin on it as
device type ``cuda``, so the plugin's device code and kernel table run end to end without a GPU.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import types

import numpy as np
import pytest

if importlib.util.find_spec("unidl_cuda") is None:  # until the package-dir entry is installed
    sys.path.append(os.path.join(os.path.dirname(__file__), "..", "..", "plugins"))

from unidl import devices, kernels, plugins  # noqa: E402


def fake_cupy(count=1, error=None):
    """A module that is NumPy except for CuPy's device API; ``error`` makes getDeviceCount raise it."""
    fake = types.ModuleType("fakecupy")
    fake.__getattr__ = lambda name: getattr(np, name)
    fake.transfers = {"to_host": 0, "from_host": 0}

    def asnumpy(a):
        fake.transfers["to_host"] += 1
        return np.array(a, copy=True)

    def asarray(a, dtype=None):
        return np.array(a, dtype=dtype, copy=True)

    def get_count():
        if error is not None:
            raise error
        return count

    class Device:
        def __init__(self, index=0):
            self.id = index

        def __enter__(self):
            fake.transfers["from_host"] += 1
            return self

        def __exit__(self, *exc):
            return False

        def synchronize(self):
            pass

    fake.asnumpy, fake.asarray = asnumpy, asarray
    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count), Device=Device)
    return fake


def snapshot():
    plugins.ensure_loaded()
    return dict(kernels={k: list(v) for k, v in kernels.KERNELS.entries.items()},
                devices=dict(devices.DEVICES.types), records=dict(plugins.RECORDS),
                instances=dict(devices._instances), default=list(devices._default), pm=plugins._pm)


def restore(s):
    pm = plugins.manager()
    for name in list(plugins.RECORDS):
        if name not in s["records"] and pm.get_plugin(name) is not None:
            pm.unregister(name=name)
    kernels.KERNELS.entries = s["kernels"]
    devices.DEVICES.types.clear()
    devices.DEVICES.types.update(s["devices"])
    plugins.RECORDS.clear()
    plugins.RECORDS.update(s["records"])
    devices._instances.clear()
    devices._instances.update(s["instances"])
    devices._default[:] = s["default"]
    plugins._pm = s["pm"]
    kernels.invalidate()


def _drop_cuda():
    """Unregister whatever plugin provides device type ``cuda`` now (the real one, if installed)."""
    kind = devices.DEVICES.types.get("cuda")
    if kind is not None:
        plugins.unregister(kind.plugin)


@pytest.fixture
def isolated():
    """Registries restored after the test; ``cuda`` unregistered for it."""
    s = snapshot()
    _drop_cuda()
    try:
        yield
    finally:
        restore(s)


@pytest.fixture
def fake_cuda(isolated):
    """The cuda plugin registered on :func:`fake_cupy` (one device); yields the CudaPlugin."""
    from unidl_cuda.plugin import CudaPlugin

    plugin = CudaPlugin(cp=fake_cupy())
    rec = plugins.register(plugin, name="cuda_fake")
    assert rec.status == "loaded", rec.error
    yield plugin


@pytest.fixture
def make_fake_cupy():
    """The :func:`fake_cupy` factory, for tests that need other device counts or probe errors."""
    return fake_cupy
