"""The NCCL path of unidl.distributed (GPU arrays) on CPUs: a FAKE ``cupy.cuda.nccl`` and NumPy standing in for CuPy.

The fake (below, kept in this file) is only a stand-in to check unidl's logic without a GPU: its communicator moves
the bytes NCCL would move with MPI between the ranks, at the addresses unidl hands it, and it has no ``allReduce``
or ``reduceScatter`` (so a call to one fails). "GPU arrays" are NumPy arrays of a subclass that exposes
``__cuda_array_interface__``. What is checked: the unique id is made on rank 0 only and broadcast over MPI (bytes
and tuple forms), one communicator per process created lazily at the first GPU collective on GPU
``local_rank % device count``; allreduce / allreduce_many / broadcast / allgather on GPU arrays and cuda Tensors
give bitwise the host path's results (the rank-order sum of :func:`unidl.distributed._sum_in_rank_order`);
mixing host and GPU arrays is an error; NCCL's asynchronous errors abort the communicator; a rank that never
joins stops the job after the timeout. The real-GPU counterpart is test_nccl_gpu.py (marked ``gpu``).
"""
from __future__ import annotations

import ctypes
import types

import numpy as np
import pytest

import unidl.distributed as dist

FAKE_PATH = __file__


# -- the fake ---------------------------------------------------------------------------------------
class GpuArray(np.ndarray):
    """Host memory standing in for a CuPy array: classified as a GPU array by ``__cuda_array_interface__``."""

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.ctypes.data, False), "version": 3}


def gpu(a):
    """A "GPU" copy of ``a``."""
    return np.array(a, copy=True, order="C").view(GpuArray)


def _mem(ptr, count):
    """The ``count`` bytes at address ``ptr`` as a writable uint8 array."""
    if count == 0:
        return np.empty(0, np.uint8)
    return np.ctypeslib.as_array((ctypes.c_uint8 * count).from_address(ptr))


class FakeStream:
    """The current stream: ``done`` is False at the first query of each wait (the wait loop polls), then True;
    ``hang`` keeps it False forever (a peer that never joins)."""

    def __init__(self):
        self.ptr = 1234
        self.queries = 0
        self.syncs = 0
        self.hang = False

    @property
    def done(self):
        self.queries += 1
        return not self.hang and self.queries % 2 == 0

    def synchronize(self):
        self.syncs += 1


def fake_cupy(count=1):
    """The few CuPy names the NCCL path uses, on NumPy; ``entered`` lists the device ids made current."""
    cp = types.SimpleNamespace(entered=[], stream=FakeStream())

    class Device:
        def __init__(self, index=0):
            self.id = index

        def __enter__(self):
            cp.entered.append(self.id)
            return self

        def __exit__(self, *exc):
            return False

    cp.empty = lambda shape, dtype=np.float64: np.empty(shape, dtype).view(GpuArray)
    cp.concatenate = lambda xs: np.concatenate(xs).view(GpuArray)
    cp.cuda = types.SimpleNamespace(Device=Device, get_current_stream=lambda: cp.stream,
                                    runtime=types.SimpleNamespace(getDeviceCount=lambda: count))
    return cp


class FakeNccl:
    """``cupy.cuda.nccl`` as far as unidl uses it; the communicator moves bytes with MPI (a duplicate of
    COMM_WORLD). ``log`` records every call."""

    NCCL_UINT8 = 1  # as in cupy.cuda.nccl

    def __init__(self, uid_bytes=False):
        self.log = []
        self.generated = []
        self.uid_bytes = uid_bytes
        self.async_error = None
        fake = self

        class NcclCommunicator:
            def __init__(self, ndev, uid, rank):
                from mpi4py import MPI

                self.mpi = MPI.COMM_WORLD.Dup()
                assert (ndev, rank) == (self.mpi.Get_size(), self.mpi.Get_rank()), (ndev, rank)
                # every rank got rank 0's id, in the type get_unique_id returned (pickled here: this is the fake)
                every = self.mpi.allgather(uid)
                made = self.mpi.bcast(fake.generated[0] if rank == 0 else None, root=0)
                assert all(u == made and type(u) is type(made) for u in every), every
                fake.log.append(("init", ndev, rank))
                fake.uid = uid

            def allGather(self, sendbuf, recvbuf, count, datatype, stream):
                assert datatype == fake.NCCL_UINT8 and stream == 1234
                fake.log.append(("allGather", count))
                self.mpi.Allgather(_mem(sendbuf, count), _mem(recvbuf, count * self.mpi.Get_size()))

            def bcast(self, buff, count, datatype, root, stream):
                assert datatype == fake.NCCL_UINT8 and stream == 1234
                fake.log.append(("bcast", count, root))
                self.mpi.Bcast(_mem(buff, count), root=root)

            def check_async_error(self):
                if fake.async_error is not None:
                    raise fake.async_error

            def abort(self):
                import sys

                fake.log.append(("abort",))
                sys.stderr.write("fake ncclCommAbort\n")
                sys.stderr.flush()

        self.NcclCommunicator = NcclCommunicator

    def get_unique_id(self):
        self.log.append(("get_unique_id",))
        vals = np.random.default_rng().integers(-128, 128, 128)
        uid = bytes(int(v) & 0xFF for v in vals) if self.uid_bytes else tuple(int(v) for v in vals)
        self.generated.append(uid)
        return uid

    def calls(self, name):
        return [c for c in self.log if c[0] == name]


def install(d, count=1, uid_bytes=False, monkeypatch=None):
    """Make ``d`` (unidl.distributed) use the fake NCCL and fake CuPy; returns ``(fake_nccl, fake_cupy)``."""
    cp, nccl = fake_cupy(count), FakeNccl(uid_bytes)
    ptr = staticmethod(lambda a: a.ctypes.data)
    if monkeypatch is not None:
        monkeypatch.setattr(d, "_import_nccl", lambda: (cp, nccl))
        monkeypatch.setattr(d._NcclPath, "ptr", ptr)
        monkeypatch.setitem(d._state, "nccl", None)
    else:
        d._import_nccl = lambda: (cp, nccl)
        d._NcclPath.ptr = ptr
        d._state["nccl"] = None
    return nccl, cp


def cuda_tensor(a):
    """A unidl Tensor whose device is a cuda device (a stub device: only ``type`` and ``index`` are read)."""
    from unidl.tensor import Tensor

    t = Tensor.__new__(Tensor)
    t.data = gpu(a)
    t.device = types.SimpleNamespace(type="cuda", index=0)
    t.grad = None
    return t


# -- one process ------------------------------------------------------------------------------------
def test_sum_in_rank_order_into_out_is_the_same_bits():
    parts = (np.random.default_rng(0).standard_normal((5, 333)) * 1e3).astype(np.float32)
    out = np.empty(333, np.float32)
    assert dist._sum_in_rank_order(parts, out=out) is out
    assert out.tobytes() == dist._sum_in_rank_order(parts).tobytes()


def test_mixing_host_and_gpu_arrays_is_an_error():
    with pytest.raises(dist.DistributedError, match=r"not both: arrays \[0\] are on the host and \[1\] on a GPU"):
        dist.allreduce_many([np.ones(2), gpu(np.ones(2))])
    with pytest.raises(dist.DistributedError, match="not both"):
        dist.allreduce_many([cuda_tensor(np.ones(2)), np.ones(3)])


def test_one_rank_never_touches_nccl(monkeypatch):
    nccl, _ = install(dist, monkeypatch=monkeypatch)
    dist.init()
    g = gpu(np.arange(6, dtype=np.float32))
    assert dist.allreduce(g, op="mean") is g and g.tolist() == list(range(6))
    t = cuda_tensor(np.ones(3))
    dist.broadcast(t)
    out = dist.allgather(g)
    assert isinstance(out, GpuArray) and out.shape == (1, 6)
    assert nccl.log == [] and dist._state["nccl"] is None


def test_nccl_path_on_one_rank(monkeypatch):
    """The NCCL path itself (what a 1-rank job would run with size > 1): lazy setup once, allGather + sum."""
    nccl, cp = install(dist, count=3, monkeypatch=monkeypatch)
    dist.init()
    path = dist._nccl()
    assert nccl.calls("get_unique_id") == [("get_unique_id",)] and nccl.calls("init") == [("init", 1, 0)]
    assert nccl.uid == nccl.generated[0] and path.device == dist.local_rank() % 3
    x = (np.random.default_rng(1).standard_normal(101)).astype(np.float16)
    g = gpu(x)
    path.allreduce_flat(g)
    assert g.tobytes() == x.tobytes() and nccl.calls("allGather") == [("allGather", 202)]
    assert dist._nccl() is path and len(nccl.calls("init")) == 1
    assert cp.stream.queries >= 2  # the wait polled the stream
    path.broadcast(g, 0)
    assert path.allgather(g).shape == (1, 101)


def test_async_nccl_error_aborts_the_communicator(monkeypatch):
    nccl, _ = install(dist, monkeypatch=monkeypatch)
    dist.init()
    path = dist._nccl()
    nccl.async_error = RuntimeError("NCCL_ERROR_REMOTE_ERROR: remote process exited")
    with pytest.raises(dist.DistributedError, match="NCCL reported an error on rank 0.*REMOTE"):
        path.allreduce_flat(gpu(np.ones(4)))
    assert nccl.calls("abort") == [("abort",)] and path.comm is None
    with pytest.raises(dist.DistributedError, match="NCCL communicator was aborted"):
        path.allreduce_flat(gpu(np.ones(4)))


def test_without_cupy_gpu_arrays_say_what_to_install(monkeypatch):
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed here")
    except Exception:  # noqa: BLE001
        pass
    monkeypatch.setitem(dist._state, "nccl", None)
    with pytest.raises(dist.DistributedUnavailableError, match="NCCL binding.*cupy"):
        dist._nccl()


# -- several ranks (unidl launch) -------------------------------------------------------------------
SCRIPT = """
    import importlib.util, sys
    import numpy as np
    import unidl.distributed as d

    spec = importlib.util.spec_from_file_location("nccl_fake", {path!r})
    F = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(F)
    nccl, cp = F.install(d, count={count}, uid_bytes={uid_bytes})
    d.init()
    r, n = d.rank(), d.size()

    # host collectives do not create the NCCL communicator
    x = np.ones(3)
    d.allreduce(x)
    assert d._state["nccl"] is None and nccl.log == []

    rng = np.random.default_rng(100 + r)
    sensitive = False
    for dt in (np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8):
        if np.issubdtype(dt, np.floating):
            data = (rng.standard_normal(4099) * 10.0 ** rng.integers(-3, 4, 4099)).astype(dt)
        else:
            data = rng.integers(0, 100, 4099).astype(dt)
        for op in ("sum", "mean"):
            h, g = data.copy(), F.gpu(data)
            d.allreduce(h, op=op)
            assert d.allreduce(g, op=op) is g and isinstance(g, F.GpuArray)
            assert g.tobytes() == h.tobytes(), (dt, op)
        # and against the rank-order sum written out: every rank's data, rows added left to right
        every = d.allgather(data)
        g = F.gpu(data)
        d.allreduce(g)
        assert g.tobytes() == d._sum_in_rank_order(every).tobytes(), dt
        if np.issubdtype(dt, np.floating) and n > 2:
            rev = d._sum_in_rank_order(every[::-1].copy())
            sensitive |= rev.tobytes() != g.tobytes()
    assert sensitive or n < 3, "the data should make the summation order visible"

    # several arrays, several dtypes, an empty one, a cuda Tensor
    shapes = [((3, 5), np.float32), ((7,), np.float64), ((0,), np.float32), ((2, 2, 2), np.float32), ((4,), np.int32)]
    arrs = [(rng.standard_normal(s) * 100).astype(dt) for s, dt in shapes]
    hs = [a.copy() for a in arrs]
    gs = [F.gpu(a) for a in arrs[:-1]] + [F.cuda_tensor(arrs[-1])]
    d.allreduce_many(hs, op="mean")
    d.allreduce_many(gs, op="mean")
    assert [a.tobytes() for a in hs] == [np.asarray(getattr(g, "data", g)).tobytes() for g in gs]

    # broadcast and allgather
    b = F.gpu(np.full((3, 4), float(r), np.float32))
    d.broadcast(b, root=n - 1)
    assert b.tolist() == [[float(n - 1)] * 4] * 3
    t = F.cuda_tensor(np.arange(5, dtype=np.float64) + r)
    d.broadcast(t, root=0)
    assert t.data.tolist() == list(range(5))
    ga = d.allgather(F.gpu(np.arange(6, dtype=np.int16).reshape(2, 3) * (r + 1)))
    assert isinstance(ga, F.GpuArray) and ga.shape == (n, 2, 3)
    assert ga.tobytes() == d.allgather(np.arange(6, dtype=np.int16).reshape(2, 3) * (r + 1)).tobytes()

    # a rank passing host arrays where the others pass GPU arrays: a clear error on every rank
    try:
        d.allreduce(np.ones(2) if r == 0 else F.gpu(np.ones(2)))
        raise SystemExit("expected a mismatch")
    except d.DistributedError as e:
        assert "disagree" in str(e), e

    # one communicator, made once, on GPU local_rank % count; the unique id made on rank 0 only
    made = d.allgather(np.array([len(nccl.calls("get_unique_id"))]))
    assert made.ravel().tolist() == [1] + [0] * (n - 1), made
    assert nccl.calls("init") == [("init", n, r)]
    assert d._nccl().device == d.local_rank() % {count} and set(cp.entered) == {{d.local_rank() % {count}}}
    assert isinstance(nccl.uid, bytes if {uid_bytes} else tuple)
    assert not nccl.calls("abort")
    print("rank", r, "ok", len(nccl.calls("allGather")), "allGathers")
"""


@pytest.mark.parametrize("n, count, uid_bytes", [(2, 2, False), (3, 1, True)])
def test_gpu_collectives_equal_host_bitwise(launch, n, count, uid_bytes):
    out = launch(SCRIPT.format(path=FAKE_PATH, count=count, uid_bytes=uid_bytes), n=n)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count(" ok ") == n, out.stdout


def test_rank_that_never_finishes_a_gpu_collective_stops_the_job(launch):
    out = launch(f"""
        import importlib.util, time
        import numpy as np
        import unidl.distributed as d

        spec = importlib.util.spec_from_file_location("nccl_fake", {FAKE_PATH!r})
        F = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(F)
        nccl, cp = F.install(d)
        d.init()
        g = F.gpu(np.ones(8, np.float32))
        d.allreduce(g)  # sets the communicator up on both ranks
        if d.rank() == 1:
            cp.stream.hang = True  # this rank's queued NCCL work never completes (a peer stalled)
        d.allreduce(g)
        time.sleep(60)
    """, n=2, timeout=90, env={"UNIDL_DIST_TIMEOUT": "2"})
    assert out.returncode != 0
    assert "rank 1 of 2 waited 2 s in allreduce (NCCL)" in out.stderr, out.stderr
    assert "fake ncclCommAbort" in out.stderr, out.stderr
