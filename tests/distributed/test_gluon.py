"""The MXNet face on 2 ranks: Gluon training with a dist_sync kvstore or horovod.mxnet is bitwise equal to one
process that accumulates the two ranks' micro-batch gradients in rank order (tests/distributed/gluon_train.py)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "gluon_train.py")
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def _run(cmd, tmp_path):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=ENV, cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.mark.parametrize("mode,twin", [("dist_sync", "ref"), ("dist_sync_noukv", "ref"), ("horovod", "ref2")])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_two_ranks_equal_one_process_accumulating_in_rank_order(tmp_path, mode, twin, opt):
    dist_out, ref_out = str(tmp_path / "dist.npz"), str(tmp_path / "ref.npz")
    out = _run([sys.executable, "-m", "unidl", "launch", "-n", "2", SCRIPT, mode, opt, dist_out], tmp_path)
    assert "rank 0 of 2 done" in out.stdout and "rank 1 of 2 done" in out.stdout
    _run([sys.executable, "-m", "unidl", "run", SCRIPT, twin, opt, ref_out], tmp_path)
    ref, r0, r1 = np.load(ref_out), np.load(dist_out), np.load(dist_out + ".rank1.npz")
    assert sorted(ref.files) == sorted(r0.files) == sorted(r1.files) and len(ref.files) == 4
    for k in ref.files:
        assert r0[k].tobytes() == r1[k].tobytes(), f"{k}: ranks 0 and 1 disagree"
        assert r0[k].tobytes() == ref[k].tobytes(), f"{k}: max |diff| {np.abs(r0[k] - ref[k]).max()}"


def test_kvstore_and_horovod_on_one_process():
    """Without a launcher the process is rank 0 of 1; the stores and horovod.mxnet work unchanged."""
    import unidl

    with unidl.install_aliases():
        import horovod.mxnet as hvd
        import mxnet as mx

        hvd.init()
        assert (hvd.rank(), hvd.size(), hvd.local_rank()) == (0, 1, 0)
        x = mx.nd.array([1.0, 2.0, 3.0])
        assert hvd.allreduce(x).asnumpy().tolist() == [1.0, 2.0, 3.0]
        assert hvd.allreduce(x, op=hvd.Sum).asnumpy().tolist() == [1.0, 2.0, 3.0]
        assert hvd.allgather(mx.nd.ones((2, 3))).shape == (2, 3)
        for name in ("dist_sync", "dist_device_sync"):
            kv = mx.kv.create(name)
            assert (kv.type, kv.rank, kv.num_workers) == (name, 0, 1)
            kv.init(3, mx.nd.ones((2,)))
            out = mx.nd.zeros((2,))
            kv.pushpull(3, [mx.nd.ones((2,)), mx.nd.ones((2,)) * 2], out=out)
            assert out.asnumpy().tolist() == [3.0, 3.0]
        hv = mx.kv.create("horovod")
        assert (hv.type, hv.num_workers, hv.is_capable("optimizer")) == ("horovod", 1, False)
        with pytest.raises(mx.base.MXNetError, match="dist_async"):
            mx.kv.create("dist_async")
