"""The NCCL path of unidl.distributed on real GPUs (marked ``gpu``; skipped without CuPy, NCCL or a GPU).

Not yet run in this repository (no GPU machine so far). On a machine with CUDA 12 and at least one GPU::

    python -m pip install -e ".[test,dist]" cupy-cuda12x nvidia-nccl-cu12
    python -m pytest -q -p no:cacheprovider tests/distributed/test_nccl_gpu.py -m gpu -rs -v

The tests start their own ranks with ``unidl launch`` (1 rank on 1 GPU; 2 ranks on 2 GPUs where there are
two), so run pytest itself as one plain process. What they check: the device-side rank-order sum (CuPy) gives
the host's bits; the NCCL path (unique id over MPI, ncclAllGather, ncclBroadcast) runs; and allreduce /
allreduce_many / broadcast / allgather on CuPy arrays and cuda Tensors equal the MPI host path bit for bit.
"""
from __future__ import annotations

import numpy as np
import pytest

import unidl.distributed as dist

pytestmark = pytest.mark.gpu

DTYPES = (np.float16, np.float32, np.float64, np.int32, np.int64)


def _gpus():
    """``(cupy, device count)``, or skip saying what is missing."""
    try:
        import cupy
        from cupy.cuda import nccl
    except Exception as e:  # noqa: BLE001 - not installed, or a broken install
        pytest.skip(f"needs CuPy with NCCL ({type(e).__name__}: {e})")
    if not getattr(nccl, "available", True):
        pytest.skip("CuPy is installed but NCCL is not available to it")
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as e:  # noqa: BLE001 - no driver
        pytest.skip(f"needs a CUDA device ({type(e).__name__}: {e})")
    if count < 1:
        pytest.skip("needs a CUDA device (CuPy sees none)")
    return cupy, count


def _data(rng, dt, n):
    if np.issubdtype(dt, np.floating):
        return (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dt)
    return rng.integers(-1000, 1000, n).astype(dt)


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_device_rank_order_sum_and_mean_match_the_host(dt):
    cp, _ = _gpus()
    rng = np.random.default_rng(7)
    parts = np.stack([_data(rng, dt, 10007) for _ in range(5)])
    host = dist._sum_in_rank_order(parts)
    dev = dist._sum_in_rank_order(cp.asarray(parts))
    assert cp.asnumpy(dev).tobytes() == host.tobytes()
    out = cp.empty(10007, dtype=dt)
    dist._sum_in_rank_order(cp.asarray(parts), out=out)
    assert cp.asnumpy(out).tobytes() == host.tobytes()
    if np.issubdtype(dt, np.integer):
        host //= 5
        dev //= 5
    else:
        host /= np.dtype(dt).type(5)
        dev /= np.dtype(dt).type(5)
    assert cp.asnumpy(dev).tobytes() == host.tobytes()


SCRIPT = """
    import numpy as np, cupy as cp, unidl, unidl.distributed as d

    def data_fn(rng, dt, n):  # as _data in the test file
        if np.issubdtype(dt, np.floating):
            return (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dt)
        return rng.integers(-1000, 1000, n).astype(dt)

    d.init()
    r, n = d.rank(), d.size()
    path = d._state["nccl"]
    assert path is None
    rng = np.random.default_rng(100 + r)

    # the NCCL path itself, also on one rank (the public functions skip NCCL when size() == 1)
    path = d._nccl()
    assert path.device == d.local_rank() % cp.cuda.runtime.getDeviceCount()
    every = d.allgather(np.arange(10, dtype=np.float32) + r)
    g = cp.asarray(np.arange(10, dtype=np.float32) + r)
    path.allreduce_flat(g)
    assert cp.asnumpy(g).tobytes() == d._sum_in_rank_order(every).tobytes()
    assert cp.asnumpy(path.allgather(cp.asarray(np.arange(10, dtype=np.float32) + r))).tobytes() == every.tobytes()
    b = cp.full(7, float(r))
    path.broadcast(b, n - 1)
    assert cp.asnumpy(b).tolist() == [float(n - 1)] * 7

    for dt in (np.float16, np.float32, np.float64, np.int32, np.int64):
        data = data_fn(rng, dt, 100003)
        for op in ("sum", "mean"):
            h, g = data.copy(), cp.asarray(data)
            d.allreduce(h, op=op)
            assert d.allreduce(g, op=op) is g
            assert cp.asnumpy(g).tobytes() == h.tobytes(), (dt, op)
    shapes = [((3, 5), np.float32), ((7,), np.float64), ((0,), np.float32), ((64, 33), np.float32), ((4,), np.int32)]
    arrs = [(rng.standard_normal(s) * 100).astype(dt) for s, dt in shapes]
    hs = [a.copy() for a in arrs]
    gs = [cp.asarray(a) for a in arrs]
    d.allreduce_many(hs, op="mean")
    d.allreduce_many(gs, op="mean")
    assert [a.tobytes() for a in hs] == [cp.asnumpy(g).tobytes() for g in gs]
    t = unidl.tensor(np.arange(5, dtype=np.float32) + r, device="cuda")
    d.allreduce(t)
    want = d._sum_in_rank_order(np.stack([np.arange(5, dtype=np.float32) + k for k in range(n)]))
    assert t.numpy().tobytes() == want.tobytes()
    ga = d.allgather(cp.asarray(np.arange(6, dtype=np.int16) * (r + 1)))
    assert cp.asnumpy(ga).tobytes() == d.allgather(np.arange(6, dtype=np.int16) * (r + 1)).tobytes()
    print("rank", r, "ok")
"""


@pytest.mark.parametrize("n", [1, 2])
def test_nccl_collectives_equal_the_host_path(launch, n):
    _, count = _gpus()
    if count < n:
        pytest.skip(f"{n} ranks need {n} GPUs (one GPU per rank; NCCL refuses two ranks on one GPU), found {count}")
    out = launch(SCRIPT, n=n, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count(" ok") == n, out.stdout
