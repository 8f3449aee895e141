"""Silent wrong answers of the Keras face found by running Keras 3.15.1's own tests (issue 20).

Every expected number here was computed with real Keras 3.15.1 (torch 2.13.0 backend, CPU) and is
written as a literal, or follows from Keras's documented rule (noted next to it).
"""
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras import ops


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


# -- EinsumDense / MultiHeadAttention kernel fans -------------------------------------------------------

def test_multi_head_attention_kernels_take_the_fans_of_their_einsum_axes():
    # Keras: the query kernel (64, 8, 16) has fan_in 64 (the contracted axis) and fan_out 8 * 16, so a
    # uniform fan_in VarianceScaling draws from +-sqrt(3 / 64) = 0.2165 (the conv rule gave 0.0765)
    init = keras.initializers.VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=1)
    mha = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer=init)
    q = np.zeros((2, 5, 64), "float32")
    mha(q, q)
    limits = {"query": np.sqrt(3 / 64), "key": np.sqrt(3 / 64), "value": np.sqrt(3 / 64),
              "attention_output": np.sqrt(3 / (8 * 16))}
    for w in mha.weights:
        if len(w.shape) == 3:
            sub = w.path.split("/")[-2]
            a = np.abs(_np(w))
            assert a.max() <= limits[sub] + 1e-6, (w.path, a.max())
            assert a.max() > 0.9 * limits[sub], (w.path, a.max())


def test_multi_head_attention_lecun_normal_query_kernel_std_matches_keras():
    # real Keras 3.15.1: query kernel std 0.1243 for lecun_normal, d_model 64 (1 / sqrt(64) = 0.125)
    mha = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer="lecun_normal")
    q = np.zeros((2, 5, 64), "float32")
    mha(q, q)
    stds = {w.path.split("/")[-2]: float(_np(w).std()) for w in mha.weights if len(w.shape) == 3}
    assert abs(stds["query"] - 0.125) < 0.01
    assert abs(stds["attention_output"] - 1 / np.sqrt(128)) < 0.01  # Keras: 0.0892


def test_einsum_dense_kernel_fans_and_the_initializer_is_left_untouched():
    init = keras.initializers.LecunUniform(seed=3)
    layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 4, 32), bias_axes="de",
                                     kernel_initializer=init)
    layer(np.zeros((2, 3, 10), "float32"))
    a = np.abs(_np(layer.kernel))
    assert 0.9 * np.sqrt(3 / 10) < a.max() <= np.sqrt(3 / 10) + 1e-6  # fan_in = 10 (axis c)
    assert layer.kernel_initializer is init and init.input_axes is None


def test_variance_scaling_input_and_output_axes():
    init = keras.initializers.VarianceScaling(mode="fan_out", distribution="uniform", input_axes=[0],
                                              output_axes=[1, 2], seed=0)
    a = np.abs(_np(init((10, 4, 32))))
    assert 0.9 * np.sqrt(3 / 128) < a.max() <= np.sqrt(3 / 128) + 1e-6
    # Keras 3.15.1's configs carry the axes
    assert keras.initializers.GlorotUniform().get_config() == {"seed": None, "input_axes": None, "output_axes": None}
    assert keras.initializers.VarianceScaling().get_config() == {
        "seed": None, "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "input_axes": None,
        "output_axes": None}


# -- Precision / Recall with top_k ---------------------------------------------------------------------

def _pr_data():
    rng = np.random.RandomState(0)
    y_true = (rng.rand(4, 6) > 0.5).astype("float32")
    y_pred = rng.rand(4, 6).astype("float32")
    return y_true, y_pred, np.array([1.0, 2.0, 0.5, 3.0], "float32")


@pytest.mark.parametrize("cls, kwargs, expected", [
    ("Precision", {"top_k": 3}, 0.794872),
    ("Recall", {"top_k": 3}, 0.525424),
    ("Precision", {"top_k": 2, "class_id": 1}, 1.0),
    ("Recall", {"top_k": 2, "class_id": 1}, 0.461538),
])
def test_precision_recall_top_k_with_sample_weight(cls, kwargs, expected):
    y_true, y_pred, sw = _pr_data()
    m = getattr(keras.metrics, cls)(**kwargs)
    m.update_state(y_true, y_pred, sample_weight=sw)
    assert float(_np(m.result())) == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("cls, expected", [("Precision", 0.2578617), ("Recall", 0.1089052)])
def test_precision_recall_top_1_with_sample_weight_over_two_batches(cls, expected):
    rng = np.random.RandomState(1)
    y_true = (rng.rand(4, 6) > 0.5).astype("float32")
    y_pred = rng.rand(4, 6).astype("float32")
    w = rng.rand(4, 1).astype("float32")
    m = getattr(keras.metrics, cls)(top_k=1)
    m.update_state(y_true, y_pred, sample_weight=w)
    m.update_state(y_true, y_pred * 0.5, sample_weight=w)
    assert float(_np(m.result())) == pytest.approx(expected, abs=1e-6)


def test_top_k_keeps_exactly_k_predictions_when_scores_tie():
    # the first row (weight 2) ties four ways among positives: exactly 2 are kept -> TP 2 * 2, FN 2 * 2;
    # the second row (weight 1) keeps 0.7 and 0.6, both positive -> TP 2. Recall 6 / 10 = 0.6 (Keras
    # 3.15.1: 0.6; keeping all tied entries gave 0.9), precision 1.0
    y_true = np.array([[1, 1, 1, 1, 0], [0, 1, 0, 0, 1]], "float32")
    y_pred = np.array([[0.4, 0.4, 0.4, 0.4, 0.1], [0.2, 0.7, 0.1, 0.0, 0.6]], "float32")
    r = keras.metrics.Recall(top_k=2)
    r.update_state(y_true, y_pred, sample_weight=[2.0, 1.0])
    p = keras.metrics.Precision(top_k=2)
    p.update_state(y_true, y_pred, sample_weight=[2.0, 1.0])
    assert float(_np(r.result())) == pytest.approx(0.6, abs=1e-6)
    assert float(_np(p.result())) == pytest.approx(1.0, abs=1e-6)


# -- segment reductions: ids outside [0, num_segments) are dropped ------------------------------------

def test_segment_sum_and_max_drop_negative_and_out_of_range_ids():
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32")
    ids = np.array([0, -1, 1, 0, -1], "int32")
    np.testing.assert_array_equal(_np(ops.segment_sum(data, ids)), [5.0, 3.0])
    np.testing.assert_array_equal(_np(ops.segment_sum(data, ids, num_segments=3)), [5.0, 3.0, 0.0])
    np.testing.assert_array_equal(_np(ops.segment_max(data, ids)), [4.0, 3.0])
    np.testing.assert_array_equal(_np(ops.segment_max(data, ids, num_segments=3)), [4.0, 3.0, -np.inf])
    np.testing.assert_array_equal(_np(ops.segment_sum(data, np.array([-1, 0, 0, 1, 1], "int32"), sorted=True)),
                                  [5.0, 9.0])
    np.testing.assert_array_equal(_np(ops.segment_sum(data, np.array([0, 5, 1, 0, 1], "int32"), num_segments=3)),
                                  [5.0, 8.0, 0.0])
    d2 = np.arange(10, dtype="float32").reshape(5, 2)
    np.testing.assert_array_equal(_np(ops.segment_sum(d2, ids, num_segments=2)), [[6.0, 8.0], [4.0, 5.0]])
    np.testing.assert_array_equal(_np(ops.segment_max(d2, ids, num_segments=2)), [[6.0, 7.0], [4.0, 5.0]])


# -- in_top_k with NaN predictions ---------------------------------------------------------------------

def test_in_top_k_with_nan_predictions():
    pred = np.array([[0.1, np.nan, 0.3], [0.5, 0.2, np.nan], [np.nan, np.nan, np.nan], [0.2, 0.9, 0.1]], "float32")
    tgt = np.array([1, 0, 2, 1], "int32")
    np.testing.assert_array_equal(_np(ops.in_top_k(tgt, pred, 1)), [False, False, False, True])
    np.testing.assert_array_equal(_np(ops.in_top_k(tgt, pred, 2)), [False, True, False, True])
    np.testing.assert_array_equal(_np(ops.in_top_k(np.array([1, 2, 0, 0]), pred, 2)), [False, False, False, True])


# -- moments in float16 --------------------------------------------------------------------------------

def test_moments_float16_is_computed_in_float32_and_clipped_to_float16():
    x16 = np.array([[60000.0, 60000.0, 50000.0], [1.0, 2.0, 3.0]], "float16")
    mean, var = ops.moments(x16, axes=[1])
    assert mean.dtype == np.float16 and var.dtype == np.float16
    np.testing.assert_array_equal(_np(mean), np.array([56672.0, 2.0], "float16"))
    np.testing.assert_array_equal(_np(var), np.array([65504.0, 0.66650390625], "float16"))  # not inf
    mean, var = ops.moments(x16, axes=[0, 1], keepdims=True)
    np.testing.assert_array_equal(_np(mean), np.array([[28336.0]], "float16"))
    np.testing.assert_array_equal(_np(var), np.array([[65504.0]], "float16"))


# -- functional models: ops on KerasTensors are operations, not layers -------------------------------

def test_model_layers_do_not_list_ops_applied_to_keras_tensors():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(2, name="d")(a + b)
    m = keras.Model([a, b], out)
    assert [type(x).__name__ for x in m.layers] == ["InputLayer", "InputLayer", "Dense"]
    assert [x.name for x in m.layers] == ["a", "b", "d"]
    x = keras.Input((3,))
    m2 = keras.Model(x, keras.layers.Dense(2)(x) * 2.0 + 1.0)
    assert [type(x).__name__ for x in m2.layers] == ["InputLayer", "Dense"]
    assert len(m2.operations) == 4
    y = _np(m([np.ones((1, 3), "float32"), np.ones((1, 3), "float32")]))
    assert y.shape == (1, 2)


def test_model_from_config_rebuilds_a_functional_model():
    a = keras.Input((3,), name="a")
    m = keras.Model(a, keras.layers.Dense(2, name="d")(a))
    again = keras.Model.from_config(m.get_config())
    assert [x.name for x in again.layers] == ["a", "d"]


# -- keras.config flash attention ----------------------------------------------------------------------

def test_flash_attention_config_as_keras():
    # Keras 3.15.1: None by default and after enable (enabled where supported), False after disable;
    # clear_session resets it; flash attention refuses dropout and attention scores
    try:
        assert keras.config.is_flash_attention_enabled() is None
        keras.config.disable_flash_attention()
        assert keras.config.is_flash_attention_enabled() is False
        assert keras.layers.MultiHeadAttention(2, 4)._flash_attention is False
        keras.config.enable_flash_attention()
        assert keras.config.is_flash_attention_enabled() is None
        keras.config.disable_flash_attention()
        keras.utils.clear_session()
        assert keras.config.is_flash_attention_enabled() is None
        with pytest.raises(ValueError, match="Dropout is not supported when flash attention is enabled"):
            keras.layers.MultiHeadAttention(2, 4, flash_attention=True, dropout=0.1)
        mha = keras.layers.MultiHeadAttention(2, 4, flash_attention=True)
        q = np.ones((1, 3, 4), "float32")
        assert _np(mha(q, q)).shape == (1, 3, 4)
        with pytest.raises(ValueError, match="Returning attention scores is not supported"):
            mha(q, q, return_attention_scores=True)
    finally:
        keras.config.enable_flash_attention()


# -- op classes exist where the op function exists -----------------------------------------------------

def test_op_classes_exist_where_the_function_exists():
    import unidl_keras.ops.core as kcore
    import unidl_keras.ops.math as kmath
    import unidl_keras.ops.numpy as knp

    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(_np(knp.Pad(((1, 0), (0, 2)), "constant")(x, constant_values=7.0)),
                                  np.pad(x, ((1, 0), (0, 2)), constant_values=7.0))
    np.testing.assert_array_equal(_np(knp.Cumsum(axis=1)(x)), np.cumsum(x, axis=1))
    np.testing.assert_array_equal(_np(knp.TakeAlongAxis(axis=1)(x, np.array([[2], [0]]))), [[2.0], [3.0]])
    np.testing.assert_allclose(_np(knp.Einsum("ij,kj->ik")(x, x)), x @ x.T)
    assert _np(kcore.Cast("int32")(np.array([1.7, -1.2]))).tolist() == [1, -1]
    values, indices = kmath.TopK(2)(np.array([1.0, 3.0, 2.0]))
    assert _np(indices).tolist() == [1, 2]
    assert knp.Log10.__name__ == "Log10" and knp.Log10 is knp.Log10
    spec = knp.Pad(((0, 0), (1, 1))).compute_output_spec(keras.Input((3,)))
    assert tuple(spec.shape) == (None, 5)
    with pytest.raises(AttributeError):
        knp.NoSuchOp  # noqa: B018


def test_inverse_trig_real_imag_and_digitize_as_numpy():
    x = np.array([-0.5, 0.0, 0.25, 1.0], "float32")
    for name in ("arcsin", "arccos", "arctan"):
        np.testing.assert_allclose(_np(getattr(ops, name)(x)), getattr(np, name)(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(_np(ops.real(x)), x)
    np.testing.assert_array_equal(_np(ops.imag(x)), np.zeros(4, "float32"))
    np.testing.assert_array_equal(_np(ops.conj(x)), x)
    bins = np.array([0.0, 1.0, 2.5, 4.0, 10.0])
    v = np.array([[0.2, 6.4], [3.0, 1.6], [-1.0, 10.0]])
    out = ops.digitize(v, bins)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(_np(out), np.digitize(v, bins))
