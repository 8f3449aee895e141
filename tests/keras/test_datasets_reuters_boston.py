"""keras.datasets.reuters and boston_housing read tiny fake cache files under KERAS_HOME.

The expected splits were produced by real Keras 3.15.1's ``load_data`` on the very same files (its
download/hash step bypassed), so order, shifting, filtering and the train/test cut are Keras's.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.datasets import boston_housing, reuters


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    d = tmp_path / "datasets"
    d.mkdir()
    x = np.arange(10 * 13, dtype="float64").reshape(10, 13) / 10
    np.savez(d / "boston_housing.npz", x=x, y=np.arange(10) * 1.5)
    seqs = np.empty(12, dtype=object)
    for i in range(12):
        seqs[i] = list(range(i % 4 + 1, i % 4 + 2 + i % 5))
    np.savez(d / "reuters.npz", x=seqs, y=np.array([i % 3 for i in range(12)], dtype="int64"))
    return tmp_path


def test_boston_housing_split_matches_keras(home):
    (xt, yt), (xv, yv) = boston_housing.load_data(test_split=0.3, seed=1)
    assert xt.shape == (7, 13) and xv.shape == (3, 13)
    assert xt[:, 0].tolist() == [2.6, 11.7, 7.8, 5.2, 0.0, 3.9, 1.3]
    assert yt.tolist() == [3.0, 13.5, 9.0, 6.0, 0.0, 4.5, 1.5]
    assert xv[:, 0].tolist() == [9.1, 10.4, 6.5] and yv.tolist() == [10.5, 12.0, 7.5]


def test_boston_housing_rejects_bad_split(home):
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


@pytest.mark.parametrize("kwargs, train, train_y, test, test_y", [
    (dict(seed=0),
     [[1, 6, 7], [1, 7, 8], [1, 4, 5, 6, 7, 8], [1, 6], [1, 6, 7, 8], [1, 4, 5, 6, 7], [1, 5, 6], [1, 7, 8, 9],
      [1, 5, 6, 7, 8, 9]], [0, 2, 1, 1, 2, 2, 1, 1, 0], [[1, 7, 8, 9, 2], [1, 4], [1, 5]], [0, 0, 2]),
    (dict(seed=0, num_words=5),
     [[1, 2, 2], [1, 2, 2], [1, 4, 2, 2, 2, 2], [1, 2], [1, 2, 2, 2], [1, 4, 2, 2, 2], [1, 2, 2], [1, 2, 2, 2],
      [1, 2, 2, 2, 2, 2]], [0, 2, 1, 1, 2, 2, 1, 1, 0], [[1, 2, 2, 2, 2], [1, 4], [1, 2]], [0, 0, 2]),
    (dict(seed=0, maxlen=4), [[1, 6, 7], [1, 7, 2], [1, 6], [1, 5, 6]], [0, 2, 1, 1], [[1, 4], [1, 5]], [0, 2]),
    (dict(seed=0, start_char=None, index_from=0, oov_char=None, skip_top=2),
     [[3, 4], [4, 5], [2, 3, 4, 5], [3], [3, 4, 5], [2, 3, 4], [2, 3], [4, 5, 6], [2, 3, 4, 5, 6]],
     [0, 2, 1, 1, 2, 2, 1, 1, 0], [[4, 5, 6], [], [2]], [0, 0, 2]),
    (dict(test_split=0.5, seed=3),
     [[1, 5], [1, 4, 5, 6, 7, 8], [1, 5, 6], [1, 6, 7, 8], [1, 7, 8], [1, 6, 7]], [2, 1, 1, 2, 2, 0],
     [[1, 7, 8, 9], [1, 4], [1, 7, 8, 9, 2], [1, 5, 6, 7, 8, 9], [1, 4, 5, 6, 7], [1, 6]], [1, 0, 0, 0, 2, 1]),
])
def test_reuters_matches_keras(home, kwargs, train, train_y, test, test_y):
    (xt, yt), (xv, yv) = reuters.load_data(**kwargs)
    assert xt.dtype == object and [list(s) for s in xt] == train and yt.tolist() == train_y
    assert [list(s) for s in xv] == test and yv.tolist() == test_y


def test_reuters_labels_and_namespace():
    names = keras.datasets.reuters.get_label_names()
    assert len(names) == 46 and names[:4] == ("cocoa", "grain", "veg-oil", "earn") and names[-1] == "lead"


def test_reuters_missing_file_names_url_and_path(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"reuters\.npz.*tf-keras-datasets|tf-keras-datasets.*reuters\.npz"):
        reuters.load_data()


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_reuters_refuses_pickled_callables(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets").mkdir()
    evil = np.empty(1, dtype=object)
    evil[0] = _Evil()
    np.savez(tmp_path / "datasets" / "reuters.npz", x=evil, y=np.array([0]))
    with pytest.raises(pickle.UnpicklingError):
        reuters.load_data()
