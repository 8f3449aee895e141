"""keras.utils / keras.preprocessing dataset helpers (hand-computed windows and splits)."""
import os

import numpy as np
import pytest

import unidl_keras as keras


def test_timeseries_dataset_windows_targets_and_batches():
    x = np.arange(100, dtype="float32").reshape(50, 2)
    y = np.arange(50)
    ds = keras.utils.timeseries_dataset_from_array(x, y, sequence_length=5, sampling_rate=2, sequence_stride=3,
                                                   batch_size=4)
    starts = list(range(0, 50 - 9 + 1, 3))  # the window spans (5 - 1) * 2 + 1 = 9 steps
    assert len(ds) == -(-len(starts) // 4) and ds.cardinality() == len(ds)
    got_x = np.concatenate([b[0].numpy() for b in ds])
    got_y = np.concatenate([b[1].numpy() for b in ds])
    want = np.stack([x[s:s + 9:2] for s in starts])
    np.testing.assert_array_equal(got_x, want)
    np.testing.assert_array_equal(got_y, starts)
    assert keras.preprocessing.timeseries_dataset_from_array is keras.utils.timeseries_dataset_from_array


def test_timeseries_dataset_without_targets_start_end_and_shuffle():
    data = np.arange(20)
    ds = keras.utils.timeseries_dataset_from_array(data, None, sequence_length=3, start_index=2, end_index=10,
                                                   batch_size=None)
    assert [w.tolist() for w in ds] == [[s, s + 1, s + 2] for s in range(2, 8)]
    sh = keras.utils.timeseries_dataset_from_array(data, None, 3, batch_size=100, shuffle=True, seed=1)
    assert sorted(w[0] for w in sh[0].tolist()) == list(range(18))
    with pytest.raises(ValueError, match="same number of time steps"):
        keras.utils.timeseries_dataset_from_array(data, np.arange(5), 3)


def test_dataset_methods_and_fit_on_a_timeseries_dataset():
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    ds = keras.utils.timeseries_dataset_from_array(x, x[:, 0], sequence_length=4, batch_size=16)
    first = list(ds.take(1))
    assert len(first) == 1 and first[0][0].shape == (16, 4, 3)
    doubled = ds.map(lambda a, b: (a * 2, b))
    np.testing.assert_allclose(doubled[0][0], ds[0][0] * 2)
    m = keras.Sequential([keras.Input((4, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
    m.compile("adam", "mse")
    h = m.fit(ds.prefetch(2).cache(), epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_split_dataset():
    a, b = keras.utils.split_dataset(np.arange(10), left_size=0.8)
    assert a.tolist() == list(range(8)) and b.tolist() == [8, 9]
    (xa, ya), (xb, yb) = keras.utils.split_dataset((np.arange(10), np.arange(10) * 2), right_size=3, shuffle=True,
                                                   seed=0)
    assert len(xa) == 7 and len(xb) == 3 and np.array_equal(ya, xa * 2)
    assert sorted(np.concatenate([xa, xb]).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="At least one"):
        keras.utils.split_dataset(np.arange(3))


def test_pad_sequences_in_the_legacy_namespace():
    out = keras.preprocessing.sequence.pad_sequences([[1, 2, 3], [4]], maxlen=2)
    assert out.tolist() == [[2, 3], [0, 4]]


def test_text_dataset_from_directory(tmp_path):
    for cls, texts in (("neg", ["bad", "awful"]), ("pos", ["good", "great", "fine"])):
        os.makedirs(tmp_path / cls)
        for i, t in enumerate(texts):
            (tmp_path / cls / f"{i}.txt").write_text(t)
    ds = keras.utils.text_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False, verbose=False)
    assert ds.class_names == ["neg", "pos"]
    got = [(t, int(l)) for xb, yb in ds for t, l in zip(xb.tolist(), yb.tolist())]
    assert got == [("bad", 0), ("awful", 0), ("good", 1), ("great", 1), ("fine", 1)]
    tr, va = keras.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.4, subset="both", seed=1,
                                                     verbose=False)
    assert sum(len(b[0]) for b in tr) == 3 and sum(len(b[0]) for b in va) == 2


def test_image_helpers_explain_pillow_is_needed(tmp_path):
    try:
        import PIL  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="Pillow"):
            keras.utils.image_dataset_from_directory(str(tmp_path))
        with pytest.raises(ImportError, match="Pillow"):
            keras.preprocessing.image.load_img("x.png")
    assert keras.preprocessing.image.img_to_array(np.zeros((2, 3))).shape == (2, 3, 1)
