"""keras.callbacks.TensorBoard(profile_batch=...): the profiled batches' kernels as a Chrome trace under
log_dir/train/plugins/profile/<run>/<host>.trace.json.gz; profile_batch validated as Keras 3.15.1."""
from __future__ import annotations

import glob
import gzip
import json
import os

import numpy as np
import pytest

import unidl.profiler as core
import unidl_keras as keras


@pytest.fixture(autouse=True)
def _clean():
    core.stop()
    core.reset()
    yield
    core.stop()
    core.reset()


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)


@pytest.mark.parametrize("bad", [-1, (3, 2), "a,b", (1, 2, 3), 1.5])
def test_profile_batch_validation(bad):
    with pytest.raises(ValueError, match="profile_batch must be"):
        keras.callbacks.TensorBoard(profile_batch=bad)


def test_profile_range_writes_trace_of_those_batches(tmp_path):
    x, y = _data()
    cb = keras.callbacks.TensorBoard(log_dir=str(tmp_path), profile_batch=(2, 3))
    with pytest.warns(UserWarning, match="only the profile"):
        import unidl_keras.callbacks.tensorboard as tb

        tb._WARNED[0] = False
        _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[cb])  # 5 batches
    files = glob.glob(os.path.join(str(tmp_path), "train", "plugins", "profile", "*", "*.trace.json.gz"))
    assert len(files) == 1 and cb.profile_path == files[0]
    evs = json.loads(gzip.open(files[0]).read())["traceEvents"]
    batches = [e for e in evs if e.get("cat") == "train_batch"]
    assert [e["name"] for e in batches] == ["train_batch 2", "train_batch 3"]
    ks = [e for e in evs if e.get("cat", "").startswith("kernel")]
    assert {"matmul", "sgd_update"} <= {e["name"] for e in ks}
    assert any(e["args"]["phase"] == "backward" for e in ks)
    for b in batches:
        assert any(b["ts"] <= k["ts"] and k["ts"] + k["dur"] <= b["ts"] + b["dur"] + 1e-3 for k in ks)
    assert not core.is_running()


def test_profile_batch_zero_and_string(tmp_path):
    x, y = _data()
    _model().fit(x, y, batch_size=8, epochs=1, verbose=0,
                 callbacks=[keras.callbacks.TensorBoard(log_dir=str(tmp_path / "a"))])
    assert not os.path.exists(tmp_path / "a" / "train" / "plugins")
    cb = keras.callbacks.TensorBoard(log_dir=str(tmp_path / "b"), profile_batch="4,9")  # stops at train end
    _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    evs = json.loads(gzip.open(cb.profile_path).read())["traceEvents"]
    assert [e["name"] for e in evs if e.get("cat") == "train_batch"] == ["train_batch 4", "train_batch 5"]
