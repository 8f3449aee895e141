"""unidl.distributed on 2 ranks on localhost: rank-order sums, broadcast, allgather, mismatch errors, faults."""
from __future__ import annotations

import time

import numpy as np
import pytest

import unidl.distributed as dist



def test_single_process_is_rank_0_of_1():
    dist.init()
    assert (dist.rank(), dist.size(), dist.local_rank(), dist.local_size()) == (0, 1, 0, 1)
    x = np.arange(5, dtype=np.float32)
    assert dist.allreduce(x, op="mean") is x and np.array_equal(x, np.arange(5, dtype=np.float32))
    assert np.array_equal(dist.allgather(x), x[None])


def test_collectives_on_two_ranks(launch):
    out = launch("""
        import numpy as np, unidl, unidl.distributed as d
        d.init()
        r, n = d.rank(), d.size()
        assert (n, d.local_size(), d.local_rank()) == (2, 2, r)
        g = [np.random.default_rng(k).standard_normal(1001).astype(np.float32) for k in range(n)]
        x = g[r].copy()
        d.allreduce(x)
        # rank order: the same float operations as g0 + g1 in one process
        assert x.tobytes() == (g[0] + g[1]).tobytes()
        t = unidl.tensor(g[r].copy())
        d.allreduce(t, op="mean")
        assert t.numpy().tobytes() == ((g[0] + g[1]) / np.float32(2)).tobytes()
        a, b = np.full(3, r + 1, np.float16), np.full((2, 2), 10.0 * r)
        d.allreduce_many([a, b, np.zeros(0, np.float32)])
        assert a.tolist() == [3.0] * 3 and b.ravel().tolist() == [10.0] * 4
        w = np.full(4, float(r))
        d.broadcast(w, root=1)
        assert w.tolist() == [1.0] * 4
        assert d.allgather(np.array([r, r * 2])).tolist() == [[0, 0], [1, 2]]
        try:
            d.allreduce(np.zeros(3 + r))
        except d.DistributedError as e:
            assert "rank 0" in str(e) and "(3,)" in str(e) and "(4,)" in str(e), e
        else:
            raise AssertionError("no error for mismatched shapes")
        try:
            (d.allgather if r == 0 else d.allreduce)(np.zeros(2))
        except d.DistributedError as e:
            assert "different collectives" in str(e), e
        else:
            raise AssertionError("no error for different collectives")
        d.barrier()
        print("OK rank", r)
    """)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK rank 0" in out.stdout and "OK rank 1" in out.stdout


@pytest.mark.parametrize("how", ["raise", "kill"])
def test_failed_rank_stops_the_others(launch, how):
    fail = 'raise ValueError("boom on rank 1")' if how == "raise" else "os.kill(os.getpid(), signal.SIGKILL)"
    start = time.monotonic()
    out = launch(f"""
        import os, signal, time, numpy as np, unidl.distributed as d
        d.init()
        if d.rank() == 1:
            time.sleep(0.5)
            {fail}
        d.allreduce(np.ones(4))    # rank 0 waits here for rank 1, which never comes
        print("rank 0 passed the collective")
    """, timeout=60)
    took = time.monotonic() - start
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "passed the collective" not in text
    assert "rank 1" in text, text
    if how == "raise":
        assert "boom on rank 1" in text and "rank 1 of 2 failed" in text, text
    assert took < 30, took


def test_launch_command_line(launch):
    from unidl.cli.launch import build_command

    cmd = build_command(3, "train.py", ["--epochs", "2"], "/x/mpirun", "openmpi", as_root=True)
    assert cmd[:4] == ["/x/mpirun", "-n", "3", "--allow-run-as-root"]
    assert "--oversubscribe" in cmd and cmd[-4:] == ["run", "train.py", "--epochs", "2"]
    cmd = build_command(2, "t.py", [], "/x/mpirun", "openmpi", hostfile="hosts", as_root=False)
    assert "--allow-run-as-root" not in cmd and "--oversubscribe" not in cmd
    assert cmd[cmd.index("--hostfile") + 1] == "hosts"
    assert build_command(2, "t.py", [], "mpiexec", "mpich", hostfile="h", as_root=True)[:5] == [
        "mpiexec", "-n", "2", "-f", "h"]


def test_a_rank_that_skips_a_collective_stops_the_job(launch):
    start = time.monotonic()
    out = launch("""
        import numpy as np, unidl.distributed as d
        d.init()
        if d.rank() == 1:
            d.allreduce(np.ones(3))    # rank 0 never calls it and finishes
        print("rank", d.rank(), "finished")
    """, timeout=60, env={"UNIDL_DIST_TIMEOUT": "3"})
    took = time.monotonic() - start
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "rank 1 of 2 waited 3 s in allreduce" in text and "not every rank joined" in text, text
    assert "rank 1 finished" not in text
    assert took < 30, took
