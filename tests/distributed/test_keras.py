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


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_keras_and_gluon_twins_agree_under_data_parallelism(tmp_path, opt):
    """The same classifier, weights and data on 2 ranks through keras.distribution.DataParallel and through a
    Gluon dist_sync kvstore: with SGD-momentum the final weights are bitwise equal, as for single-process twins;
    Adam stays within the twin tier's listed bound (the two frameworks' Adam formulas differ:
    conformance/twins/exceptions.py)."""
    script = os.path.join(os.path.dirname(__file__), "twin_train.py")
    for face in ("keras", "gluon"):
        _run([sys.executable, "-m", "unidl", "launch", "-n", "2", script, face, opt, str(tmp_path / f"{face}.npz")],
             tmp_path)
    k, g = np.load(tmp_path / "keras.npz"), np.load(tmp_path / "gluon.npz")
    assert sorted(k.files) == sorted(g.files) and len(k.files) == 4
    for name in k.files:
        if opt == "sgd":
            assert k[name].tobytes() == g[name].tobytes(), f"{name}: max |diff| {np.abs(k[name] - g[name]).max()}"
        else:
            np.testing.assert_allclose(k[name], g[name], rtol=1e-5, atol=1e-6)


def test_checkpoint_on_rank_zero_and_resume_continue_bitwise(launch, tmp_path):
    """4 epochs straight vs 2 epochs, a .keras checkpoint written by rank 0, and a new 2-rank job that loads it
    (optimizer state included) and trains epochs 3-4: the final weights are bitwise equal."""
    body = """
        import sys
        import numpy as np
        import keras
        import unidl.distributed as dist

        phase = sys.argv[1]
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        rng = np.random.default_rng(5)
        x = rng.standard_normal((32, 6)).astype("float32")
        y = rng.integers(0, 3, 32).astype("int32")
        if phase == "resume":
            model = keras.saving.load_model("ckpt.keras")
        else:
            keras.utils.set_random_seed(11)
            model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                                      keras.layers.Dense(3)])
            model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        epochs, start = {"straight": (4, 0), "first": (2, 0), "resume": (4, 2)}[phase]
        cbs = [keras.callbacks.ModelCheckpoint("ckpt.keras")] if phase == "first" else []
        model.fit(x, y, batch_size=8, epochs=epochs, initial_epoch=start, shuffle=False, verbose=0, callbacks=cbs)
        if dist.rank() == 0:
            np.savez(phase + ".npz", *[w.numpy() for w in model.weights])
        print("done", phase, dist.rank(), flush=True)
    """
    for phase in ("straight", "first", "resume"):
        out = launch(body, args=[phase])
        assert out.returncode == 0, out.stdout + out.stderr
    a, b = np.load(tmp_path / "straight.npz"), np.load(tmp_path / "resume.npz")
    assert len(a.files) == 4
    for k in a.files:
        assert a[k].tobytes() == b[k].tobytes(), f"{k}: max |diff| {np.abs(a[k] - b[k]).max()}"
