"""keras.datasets read tiny fake cache files written under KERAS_HOME; absent files raise an error
naming the URL and the path; pickles with foreign globals are refused."""
from __future__ import annotations

import gzip
import os
import pickle

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.datasets import cifar10, fashion_mnist, imdb, mnist


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    return tmp_path


def test_mnist(home):
    rng = np.random.default_rng(0)
    xs = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    ys = np.array([1, 2, 3, 4, 5], np.uint8)
    np.savez(home / "datasets" / "mnist.npz", x_train=xs[:3], y_train=ys[:3], x_test=xs[3:], y_test=ys[3:])
    (xt, yt), (xv, yv) = mnist.load_data()
    np.testing.assert_array_equal(xt, xs[:3])
    np.testing.assert_array_equal(yv, [4, 5])
    assert xt.dtype == np.uint8 and xv.shape == (2, 28, 28)


def test_missing_file_names_url_and_path(home):
    with pytest.raises(FileNotFoundError) as e:
        mnist.load_data()
    msg = str(e.value)
    assert "mnist.npz" in msg and "https://" in msg and str(home / "datasets" / "mnist.npz") in msg
    with pytest.raises(FileNotFoundError, match="cifar-10"):
        cifar10.load_data()
    with pytest.raises(FileNotFoundError, match="imdb.npz"):
        imdb.load_data()
    with pytest.raises(FileNotFoundError, match="fashion-mnist"):
        fashion_mnist.load_data()


def _idx(path, header_len, payload):
    with gzip.open(path, "wb") as f:
        f.write(b"\0" * header_len + payload.tobytes())


def test_fashion_mnist(home):
    d = home / "datasets" / "fashion-mnist"
    d.mkdir()
    imgs = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    labels = np.array([7, 0, 9], np.uint8)
    _idx(d / "train-labels-idx1-ubyte.gz", 8, labels)
    _idx(d / "train-images-idx3-ubyte.gz", 16, imgs)
    _idx(d / "t10k-labels-idx1-ubyte.gz", 8, labels[:1])
    _idx(d / "t10k-images-idx3-ubyte.gz", 16, imgs[:1])
    (xt, yt), (xv, yv) = fashion_mnist.load_data()
    np.testing.assert_array_equal(xt, imgs)
    np.testing.assert_array_equal(yt, labels)
    assert xv.shape == (1, 28, 28) and yv.tolist() == [7]


def _cifar_batch(path, n, label0):
    data = np.arange(n * 3072, dtype=np.uint32).astype(np.uint8).reshape(n, 3072)
    with open(path, "wb") as f:
        pickle.dump({b"data": data, b"labels": [label0 + i for i in range(n)], b"batch_label": b"x"}, f, protocol=2)
    return data


def test_cifar10(home):
    d = home / "datasets" / "cifar-10-batches-py"
    d.mkdir()
    first = _cifar_batch(d / "data_batch_1", 2, 0)
    for i in range(2, 6):
        _cifar_batch(d / f"data_batch_{i}", 2, i)
    _cifar_batch(d / "test_batch", 1, 9)
    (xt, yt), (xv, yv) = cifar10.load_data()
    assert xt.shape == (10, 32, 32, 3) and yt.shape == (10, 1) and xv.shape == (1, 32, 32, 3)
    np.testing.assert_array_equal(xt[0], first[0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert yt[:, 0].tolist() == [0, 1, 2, 3, 3, 4, 4, 5, 5, 6] and yv.tolist() == [[9]]


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_cifar_pickle_with_foreign_globals_is_refused(home):
    d = home / "datasets" / "cifar-10-batches-py"
    d.mkdir()
    with open(d / "test_batch", "wb") as f:
        pickle.dump({b"data": _Evil(), b"labels": [0]}, f)
    with pytest.raises(pickle.UnpicklingError):
        cifar10.load_batch(str(d / "test_batch"))


def _imdb_file(path):
    def obj(rows):
        a = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            a[i] = r
        return a

    x_train = obj([[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]])
    x_test = obj([[2, 2], [9]])
    np.savez(path, x_train=x_train, y_train=np.array([0, 1, 1]), x_test=x_test, y_test=np.array([1, 0]))


def test_imdb_transforms(home):
    _imdb_file(home / "datasets" / "imdb.npz")
    (xt, yt), (xv, yv) = imdb.load_data(seed=0)
    # each sequence: start_char 1, then indices shifted by index_from=3; as in Keras, the default
    # num_words is the largest index (13), which is itself out of range and becomes oov_char 2
    assert sorted(map(tuple, xt)) == sorted([(1, 4, 5, 6), (1, 7, 8), (1, 9, 10, 11, 12, 2)])
    pairs = {tuple(s): int(y) for s, y in zip(xt, yt)}
    assert pairs[(1, 4, 5, 6)] == 0 and pairs[(1, 7, 8)] == 1
    (xt, yt), _ = imdb.load_data(num_words=8, seed=0)
    assert all(w == 2 or w < 8 for s in xt for w in s)  # out-of-vocabulary words -> oov_char 2
    (xt, yt), _ = imdb.load_data(maxlen=4, seed=0)
    assert [len(s) for s in xt] == [3]  # sequences of maxlen words or more are dropped
    (xt, _), _ = imdb.load_data(start_char=None, index_from=0, seed=0)
    assert sorted(map(tuple, xt)) == sorted([(1, 2, 3), (4, 5), (6, 7, 8, 9, 2)])


def test_datasets_reachable_from_keras_namespace():
    assert keras.datasets.mnist.load_data is mnist.load_data
