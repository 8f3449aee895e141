"""keras.utils: to_categorical, normalize, pad_sequences (against hand-written expectations),
the PyDataset protocol, set_random_seed reproducibility, and offline get_file."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

import unidl_keras as keras

U = keras.utils


def test_to_categorical():
    got = U.to_categorical(np.array([[1], [0], [2]]), 3)
    np.testing.assert_array_equal(got, [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert got.dtype == np.float64
    assert U.to_categorical([2, 0]).shape == (2, 3)  # num_classes = max + 1
    assert U.to_categorical(np.array([[1, 2], [0, 1]])).shape == (2, 2, 3)


def test_normalize():
    got = U.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(got, [[0.6, 0.8], [0.0, 0.0]])
    l1 = U.normalize(np.array([[1.0, 3.0]], np.float32), order=1)
    np.testing.assert_allclose(l1, [[0.25, 0.75]])
    assert l1.dtype == np.float32
    col = U.normalize(np.array([[3.0], [4.0]]), axis=0)
    np.testing.assert_allclose(col, [[0.6], [0.8]])


def test_pad_sequences():
    seqs = [[1, 2, 3], [4], []]
    np.testing.assert_array_equal(U.pad_sequences(seqs), [[1, 2, 3], [0, 0, 4], [0, 0, 0]])
    np.testing.assert_array_equal(U.pad_sequences(seqs, maxlen=2), [[2, 3], [0, 4], [0, 0]])
    np.testing.assert_array_equal(U.pad_sequences(seqs, maxlen=2, truncating="post", padding="post", value=-1),
                                  [[1, 2], [4, -1], [-1, -1]])
    f = U.pad_sequences([[1.5], [2.5, 3.5]], dtype="float32")
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f, [[0.0, 1.5], [2.5, 3.5]])
    with pytest.raises(ValueError):
        U.pad_sequences(seqs, padding="middle")


class _Squares(U.PyDataset):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.epochs_ended = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = np.full((2, 1), float(i), np.float32)
        return x, x ** 2

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_pydataset_protocol():
    ds = _Squares(3, workers=4, use_multiprocessing=True, max_queue_size=5)
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (4, True, 5)
    assert len(ds) == 3 and ds.num_batches == 3
    batches = list(ds)
    assert len(batches) == 3
    np.testing.assert_array_equal(batches[2][1], np.full((2, 1), 4.0))
    ds.on_epoch_end()
    assert ds.epochs_ended == 1
    assert U.Sequence is U.PyDataset


def test_set_random_seed_makes_layer_init_reproducible():
    def build():
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return layer.get_weights()[0], random.random(), np.random.rand()

    U.set_random_seed(123)
    w1, p1, n1 = build()
    U.set_random_seed(123)
    w2, p2, n2 = build()
    np.testing.assert_array_equal(w1, w2)
    assert p1 == p2 and n1 == n2
    U.set_random_seed(124)
    assert not np.array_equal(build()[0], w1)


def test_get_file_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    url = "https://example.com/data/thing.bin"
    with pytest.raises(FileNotFoundError) as e:
        U.get_file(origin=url)
    msg = str(e.value)
    assert url in msg and os.path.join(str(tmp_path), "datasets", "thing.bin") in msg
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "thing.bin").write_bytes(b"abc")
    assert U.get_file(origin=url) == os.path.join(str(tmp_path), "datasets", "thing.bin")
    import hashlib

    good = hashlib.sha256(b"abc").hexdigest()
    assert U.get_file("thing.bin", url, file_hash=good).endswith("thing.bin")
    with pytest.raises(ValueError):
        U.get_file("thing.bin", url, file_hash="0" * 64)


def test_get_file_extracts_a_cached_archive(tmp_path, monkeypatch):
    import tarfile

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = tmp_path / "datasets"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("hello")
    d.mkdir()
    with tarfile.open(d / "pack.tar.gz", "w:gz") as t:
        t.add(tmp_path / "src" / "a.txt", arcname="pack/a.txt")
    out = U.get_file("pack", "https://example.com/pack.tar.gz", untar=True)
    assert open(os.path.join(out, "a.txt")).read() == "hello"


def test_pack_unpack_x_y_sample_weight():
    assert U.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert U.unpack_x_y_sample_weight(5) == (5, None, None)
    assert U.pack_x_y_sample_weight(1, 2) == (1, 2)
