"""The cuda plugin where there is no CuPy or no GPU: it loads, registers ``cuda`` as unavailable with
the reason, ``unidl plugins`` shows that, and using the device fails with a clear error."""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import unidl
from unidl import plugins
from unidl.cli.plugins import report
from unidl.devices import DEVICES


@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError, as where it is absent


def test_probe_without_cupy(no_cupy):
    from unidl_cuda.device import probe

    cp, reason, count = probe()
    assert cp is None and count == 0
    assert reason.startswith("CuPy is not installed") and "pip install cupy-cuda12x" in reason


def test_probe_without_a_device(make_fake_cupy):
    from unidl_cuda.device import probe

    err = RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient\nmore")
    _, reason, count = probe(make_fake_cupy(error=err))
    assert count == 0
    assert reason == "no CUDA device (RuntimeError: cudaErrorInsufficientDriver: CUDA driver version is insufficient)"
    _, reason, _ = probe(make_fake_cupy(count=0))
    assert reason == "no CUDA device (CuPy sees 0 GPUs)"


def _register_entry_point_module(monkeypatch):
    """Register the real ``unidl_cuda`` module (what the entry point loads) with a fresh probe."""
    import unidl_cuda
    from unidl_cuda.plugin import CudaPlugin

    monkeypatch.setattr(unidl_cuda, "_PLUGIN", CudaPlugin())
    return plugins.register(unidl_cuda, name="cuda", module="unidl_cuda")


def test_plugin_registers_as_unavailable(isolated, no_cupy, monkeypatch):
    rec = _register_entry_point_module(monkeypatch)
    assert rec.status == "loaded", rec.error
    assert rec.devices == ["cuda"] and rec.kernels == 0
    kind = DEVICES.types["cuda"]
    assert not kind.is_available() and kind.unavailable_reason.startswith("CuPy is not installed")

    out = io.StringIO()
    report(out)
    text = out.getvalue()
    plugin_rows = [line.split() for line in text.split("Device types")[0].splitlines()]
    cuda_row = next(r for r in plugin_rows if r[:1] == ["cuda"])
    assert cuda_row[1] == "loaded" and cuda_row[-2:] == ["cuda", "0"]  # DEVICES cuda, KERNELS 0
    dev_line = next(line for line in text.split("Device types")[1].splitlines() if line.split()[:1] == ["cuda"])
    assert "unavailable: CuPy is not installed" in dev_line
    assert "Failures\n  none" in text


def test_tensor_on_unavailable_cuda_is_a_clear_error(isolated, no_cupy, monkeypatch):
    _register_entry_point_module(monkeypatch)
    with pytest.raises(unidl.UnidlError, match=r"device type 'cuda' \(plugin 'cuda'\) is not available: "
                                               r"CuPy is not installed"):
        unidl.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(unidl.UnidlError, match="not available"):
        unidl.device("cuda:0")
    # the cpu keeps working
    assert (unidl.tensor([1.0, 2.0]) * 2).numpy().tolist() == [2.0, 4.0]


def test_no_gpu_reason_reaches_the_user(isolated, make_fake_cupy):
    from unidl_cuda.plugin import CudaPlugin

    fake = make_fake_cupy(error=RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"))
    rec = plugins.register(CudaPlugin(cp=fake), name="cuda_nodev")
    assert rec.status == "loaded" and rec.kernels == 0
    with pytest.raises(unidl.UnidlError, match=r"no CUDA device \(RuntimeError: cudaErrorNoDevice"):
        unidl.zeros((2,), device="cuda") if hasattr(unidl, "zeros") else unidl.tensor([0.0], device="cuda")


def test_mxnet_gpu_context_without_cuda(isolated, no_cupy, monkeypatch):
    import unidl_mxnet as mx

    _register_entry_point_module(monkeypatch)
    assert mx.context.num_gpus() == 0
    with pytest.raises(mx.base.MXNetError, match=r"context gpu\(0\) is not available: .*CuPy is not installed"):
        mx.nd.array(np.ones(2, np.float32), ctx=mx.gpu(0))
