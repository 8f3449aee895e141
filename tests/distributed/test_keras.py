"""The Keras face on 2 ranks: keras.distribution.DataParallel, a tf.distribute.MirroredStrategy scope,
keras.utils.multi_gpu_model and horovod.keras train bitwise equal to one process that adds the two ranks'
micro-batch gradients in rank order and divides by 2 (tests/distributed/keras_train.py); only rank 0 shows
progress and writes checkpoints; a batch that does not split evenly is a clear error."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "keras_train.py")
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")


def _run(cmd, tmp_path):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=ENV, cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.mark.parametrize("mode,opt", [("dataparallel", "sgd"), ("dataparallel", "adam"), ("mirrored", "sgd"),
                                      ("multi_gpu", "adam"), ("horovod", "sgd"), ("horovod", "adam")])
def test_two_ranks_equal_one_process_accumulating_in_rank_order(tmp_path, mode, opt):
    dist_out, ref_out = str(tmp_path / "dist.npz"), str(tmp_path / "ref.npz")
    out = _run([sys.executable, "-m", "unidl", "launch", "-n", "2", SCRIPT, mode, opt, dist_out], tmp_path)
    assert "rank 0 of 2 done" in out.stdout and "rank 1 of 2 done" in out.stdout
    logs = sorted(line.split(" logs ")[1] for line in out.stdout.splitlines() if " logs " in line)
    assert len(logs) == 2 and logs[0] == logs[1]   # epoch logs averaged over the ranks
    _run([sys.executable, "-m", "unidl", "run", SCRIPT, "ref", opt, ref_out], tmp_path)
    ref, r0, r1 = np.load(ref_out), np.load(dist_out), np.load(dist_out + ".rank1.npz")
    assert sorted(ref.files) == sorted(r0.files) == sorted(r1.files) and len(ref.files) == 4
    for k in ref.files:
        assert r0[k].tobytes() == r1[k].tobytes(), f"{k}: ranks 0 and 1 disagree"
        assert r0[k].tobytes() == ref[k].tobytes(), f"{k}: max |diff| {np.abs(r0[k] - ref[k]).max()}"


def test_progress_and_checkpoints_on_rank_zero_only(launch, tmp_path):
    out = launch("""
        import numpy as np
        import keras
        import unidl.distributed as dist

        keras.distribution.set_distribution(keras.distribution.DataParallel())
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse")
        saved = []
        orig = keras.Model.save
        keras.Model.save = lambda self, path, **kw: (saved.append(path), orig(self, path, **kw))
        x = np.ones((8, 3), "float32")
        model.fit(x, np.zeros((8, 2), "float32"), batch_size=4, epochs=2, verbose=1,
                  callbacks=[keras.callbacks.ModelCheckpoint("m.keras")])
        print(f"rank {dist.rank()} saved {len(saved)}", flush=True)
    """)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "rank 0 saved 2" in out.stdout and "rank 1 saved 0" in out.stdout
    assert out.stdout.count("Epoch 1/2") == 1 and out.stdout.count("Epoch 2/2") == 1   # one progress bar
    assert (tmp_path / "m.keras").exists()


def test_uneven_batch_is_a_clear_error(launch):
    out = launch("""
        import numpy as np
        import keras

        keras.distribution.set_distribution(keras.distribution.DataParallel())
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile("sgd", "mse")
        model.fit(np.ones((5, 3), "float32"), np.zeros((5, 2), "float32"), batch_size=5, verbose=0)
    """, timeout=120)
    assert out.returncode != 0
    assert "a batch of 5 samples does not split into equal shards" in out.stdout + out.stderr
