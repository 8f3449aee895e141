"""Normalization, CategoryEncoding, Discretization (real Keras fixtures) and the lookup layers
(StringLookup, IntegerLookup, TextVectorization: hand-computed, as real Keras needs TensorFlow for them)."""
import math
import os

import numpy as np
import pytest

import unidl_keras as keras

R = np.load(os.path.join(os.path.dirname(__file__), "..", "data", "preprocessing_keras.npz"))
L = keras.layers


def test_normalization_adapt_matches_keras():
    n = L.Normalization()
    n.adapt(R["img"])
    np.testing.assert_allclose(n.adapt_mean.numpy(), R["norm_mean"].reshape(-1), rtol=1e-5)
    np.testing.assert_allclose(n.adapt_variance.numpy(), R["norm_var"].reshape(-1), rtol=1e-5)
    np.testing.assert_allclose(n(R["img"]).numpy(), R["norm_out"], rtol=1e-4, atol=1e-5)


def test_normalization_adapt_over_batches_equals_whole_array():
    n = L.Normalization(axis=None)
    n.adapt([R["img"][:2], R["img"][2:]])
    np.testing.assert_allclose(n(R["img"]).numpy(), R["norm_all_out"], rtol=1e-4, atol=1e-5)


def test_normalization_fixed_stats_and_invert_match_keras():
    x = np.array([[3.0, 2.5], [1.0, 0.0]], "float32")
    np.testing.assert_allclose(L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25])(x).numpy(), R["norm_fixed"])
    np.testing.assert_allclose(L.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25], invert=True)(x).numpy(),
                               R["norm_invert"])
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        L.Normalization(mean=[1.0])


def test_normalization_weights_survive_a_functional_model():
    n = L.Normalization()
    n.adapt(R["img"][..., 0].reshape(-1, 1) * np.ones((1, 3)))
    inp = keras.Input((3,))
    m = keras.Model(inp, L.Dense(1)(n(inp)))
    assert m.predict(np.ones((2, 3), "float32"), verbose=0).shape == (2, 1)
    assert [w.name for w in n.weights] == ["mean", "variance", "count"]


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_category_encoding_matches_keras(mode):
    ids = np.array([[0, 3], [1, 1], [2, 0]])
    src = ids[:, :1] if mode == "one_hot" else ids
    np.testing.assert_array_equal(L.CategoryEncoding(4, output_mode=mode)(src).numpy(), R[f"category_{mode}"])
    with pytest.raises(ValueError, match="num_tokens=4"):
        L.CategoryEncoding(4, output_mode=mode)(np.array([[5]]))


def test_discretization_matches_keras_and_adapts_quantiles():
    out = L.Discretization(bin_boundaries=[0.0, 1.0, 2.0])(R["discretization_vals"]).numpy()
    np.testing.assert_array_equal(out, R["discretization"])
    d = L.Discretization(num_bins=4)
    d.adapt(np.arange(100.0))
    np.testing.assert_allclose(d.bin_boundaries, np.quantile(np.arange(100.0), [0.25, 0.5, 0.75]))


def test_string_lookup_adapt_orders_by_frequency():
    s = L.StringLookup()
    s.adapt(np.array(["b", "a", "c", "a", "b", "d"]))
    # counts a=2, b=2, c=1, d=1; ties broken by the larger token first (Keras's lexsort reversed)
    assert s.get_vocabulary() == ["[UNK]", "b", "a", "d", "c"]
    np.testing.assert_array_equal(s(np.array([["a", "z"], ["d", "b"]])).numpy(), [[2, 0], [3, 1]])
    inv = L.StringLookup(vocabulary=s.get_vocabulary(), invert=True)
    assert inv(np.array([2, 0, 3])).tolist() == ["a", "[UNK]", "d"]


def test_string_lookup_mask_and_encodings():
    s = L.StringLookup(vocabulary=["x", "y"], mask_token="")
    assert s.get_vocabulary() == ["", "[UNK]", "x", "y"]
    np.testing.assert_array_equal(s(np.array(["", "y", "q"])).numpy(), [0, 3, 1])
    mh = L.StringLookup(vocabulary=["a", "b"], num_oov_indices=0, output_mode="binary")
    np.testing.assert_array_equal(mh(np.array([["a", "b"], ["b", "b"]])).numpy(), [[1, 1], [0, 1]])
    with pytest.raises(ValueError, match="repeated term"):
        L.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        L.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["b"]))


def test_integer_lookup():
    i = L.IntegerLookup()
    i.adapt(np.array([5, 3, 3, 7]))
    assert i.get_vocabulary() == [-1, 3, 7, 5]
    np.testing.assert_array_equal(i(np.array([3, 9, 7])).numpy(), [1, 0, 2])
    oh = L.IntegerLookup(vocabulary=[10, 20], output_mode="one_hot")
    np.testing.assert_array_equal(oh(np.array([[20], [11]])).numpy(), [[0, 0, 1], [1, 0, 0]])


def test_text_vectorization_int_mode():
    t = L.TextVectorization(max_tokens=6, output_sequence_length=4)
    t.adapt(["The cat sat.", "the dog, the CAT!"])
    assert t.get_vocabulary() == ["", "[UNK]", "the", "cat", "sat", "dog"]
    np.testing.assert_array_equal(t(np.array(["the cat ran", "dog"])).numpy(), [[2, 3, 1, 0], [5, 0, 0, 0]])
    # without output_sequence_length: padded to the longest in the batch
    assert L.TextVectorization(vocabulary=["a"])(np.array([["a b"], ["a"]])).numpy().tolist() == [[2, 1], [2, 0]]


def test_text_vectorization_bag_of_words_modes():
    docs = ["a b b", "a c"]
    t = L.TextVectorization(output_mode="tf_idf")
    t.adapt(docs)
    assert t.get_vocabulary() == ["", "[UNK]", "b", "a", "c"]
    idf = {tok: math.log(1 + 2 / (1 + df)) for tok, df in (("a", 2), ("b", 1), ("c", 1))}
    oov = np.mean(list(idf.values()))
    got = t(np.array(["a b b c d"])).numpy()[0]
    np.testing.assert_allclose(got, [0, oov * 1, 2 * idf["b"], idf["a"], idf["c"]], rtol=1e-5)
    mh = L.TextVectorization(output_mode="multi_hot", vocabulary=["b", "a"])
    np.testing.assert_array_equal(mh(np.array(["a a z", ""])).numpy(), [[0, 1, 0, 1], [0, 0, 0, 0]])
    cnt = L.TextVectorization(output_mode="count", vocabulary=["b", "a"], standardize=None, split="character")
    np.testing.assert_array_equal(cnt(np.array(["aab"])).numpy(), [[0, 0, 1, 2]])


def test_text_vectorization_callable_standardize_and_ngrams():
    t = L.TextVectorization(standardize=lambda a: np.char.replace(np.char.lower(a.astype(str)), "<br />", " "),
                            ngrams=2, output_mode="count", vocabulary=["x", "y", "x y"])
    np.testing.assert_array_equal(t(np.array(["X<br />y"])).numpy(), [[0, 0, 1, 1, 1]])
