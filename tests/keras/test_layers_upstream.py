"""Layer behaviour that Keras 3.15.1's own layer tests check (run_layer_test and per-layer tests):
expected values computed with real Keras 3.15.1 (torch backend) or derived independently with NumPy."""
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras import layers


# -- keras.tree helpers the layer test harness uses ---------------------------------------------------

def test_map_structure_up_to_matches_keras_examples():
    assert keras.tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2]]) == [2, 2]
    assert keras.tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == ["[1, 1]", ["2", "2"]]


def test_map_structure_up_to_leaf_shallow_passes_whole_structure():
    # a leaf as the shallow structure: the function sees the other structures whole
    assert keras.tree.map_structure_up_to(object(), lambda a, b: (a, b), (1, 2), [3]) == ((1, 2), [3])


def test_map_structure_over_several_structures():
    out = keras.tree.map_structure(lambda a, b: a + b, {"x": 1, "y": (2, 3)}, {"x": 10, "y": (20, 30)})
    assert out == {"x": 11, "y": (22, 33)}
    with pytest.raises(ValueError):
        keras.tree.map_structure(lambda a, b: a + b, [1, 2], [1])


# -- stateless layers are built at construction --------------------------------------------------------

@pytest.mark.parametrize("make, built", [
    (lambda: layers.MaxPooling2D(2), True),
    (lambda: layers.AveragePooling1D(2), True),
    (lambda: layers.GlobalAveragePooling1D(), True),
    (lambda: layers.GlobalMaxPooling3D(), True),
    (lambda: layers.Dropout(0.5), True),
    (lambda: layers.ReLU(), True),
    (lambda: layers.Masking(), True),
    (lambda: layers.Reshape((2,)), True),
    (lambda: layers.Conv2D(2, 2), False),
    (lambda: layers.Flatten(), False),
    (lambda: layers.Permute((2, 1)), False),
    (lambda: layers.RepeatVector(2), False),
    (lambda: layers.Cropping2D(), False),
    (lambda: layers.ZeroPadding1D(), False),
    (lambda: layers.UpSampling2D(), False),
    (lambda: layers.Concatenate(), False),
    (lambda: layers.Dot(1), False),
    (lambda: layers.Rescaling(1.0), False),
    (lambda: layers.AdaptiveMaxPooling1D(2), False),
])
def test_built_after_instantiation(make, built):
    layer = make()
    assert layer.built is built


def test_subclass_with_own_build_is_not_built_at_init():
    class P(layers.MaxPooling2D):
        def build(self, input_shape):
            self.seen = tuple(input_shape)

    p = P(2)
    assert p.built is False
    p(np.zeros((1, 4, 4, 1), "float32"))
    assert p.built and p.seen == (1, 4, 4, 1)
    assert layers.MaxPooling2D(2).get_build_config() is None


def test_prebuilt_pooling_still_checks_rank():
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.MaxPooling2D(2)(np.zeros((1, 4, 4), "float32"))


# -- keras.backend helpers ---------------------------------------------------------------------------

def test_backend_compute_output_spec_of_a_layer_call():
    spec = keras.backend.compute_output_spec(layers.Reshape((-1, 8)).__call__, keras.KerasTensor((None, 6, 4)))
    assert spec.shape == (None, 3, 8)
    spec = keras.backend.compute_output_spec(layers.Reshape((-1, 3)).__call__, keras.KerasTensor((4, 6, None, 3)))
    assert spec.shape == (4, None, 3)


def test_backend_keras_mask_roundtrip():
    x = keras.ops.ones((2, 3))
    assert keras.backend.get_keras_mask(x) is None
    m = keras.ops.convert_to_tensor(np.array([[True, False, True], [True, True, False]]))
    keras.backend.set_keras_mask(x, m)
    np.testing.assert_array_equal(np.asarray(keras.backend.get_keras_mask(x)), np.asarray(m))
    keras.backend.set_keras_mask(x, None)
    assert keras.backend.get_keras_mask(x) is None


# -- reshaping layers: Keras's argument errors and interpolations -------------------------------------

def test_reshape_argument_errors():
    with pytest.raises(ValueError, match=r"non-negative integer.*-1.*target_shape=\(-2, 5\)"):
        layers.Reshape(target_shape=(-2, 5))
    with pytest.raises(ValueError, match=r"at most one unknown dimension.*target_shape=\(-1, -1, 5\)"):
        layers.Reshape(target_shape=(-1, -1, 5))


def test_repeat_vector_and_upsampling1d_argument_errors():
    with pytest.raises(ValueError, match=r"Argument `n` should be a positive integer. Received: n=0"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match=r"Argument `size` should be a positive integer. Received: size=0"):
        layers.UpSampling1D(0)
    with pytest.raises(TypeError, match=r"Expected an integer value for `size`"):
        layers.UpSampling1D(2.0)


def test_upsampling2d_bicubic_matches_keras_torch():
    x = (np.arange(6, dtype="float32").reshape(1, 2, 3, 1)) ** 2
    y = np.asarray(layers.UpSampling2D((2, 2), interpolation="bicubic")(x))[0, :, :, 0]
    # real Keras 3.15.1, torch backend
    expected = np.array([
        [-9.8794556e-01, -9.4924927e-01, -9.1488647e-01, -6.9885254e-03, 1.2617493e+00, 2.0348206e+00],
        [1.7902222e+00, 2.4203491e+00, 3.4041138e+00, 5.6349487e+00, 7.8530884e+00, 9.2175903e+00],
        [6.3660278e+00, 7.9702759e+00, 1.0517761e+01, 1.4927551e+01, 1.8709412e+01, 2.1048035e+01],
        [9.1441956e+00, 1.1339874e+01, 1.4836761e+01, 2.0569489e+01, 2.5300751e+01, 2.8230804e+01]], "float32")
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert layers.UpSampling2D(interpolation="BICUBIC").get_config()["interpolation"] == "bicubic"


def test_flatten_is_built_when_called():
    f = layers.Flatten()
    assert not f.built
    out = f(np.zeros((2, 3, 4), "float32"))
    assert f.built and tuple(out.shape) == (2, 12)
    assert tuple(f.get_build_config()["input_shape"]) == (2, 3, 4)


# -- MultiHeadAttention: Keras's structure, gate, sliding window, per-head masks ------------------------

def test_mha_gate_matches_keras():
    rng = np.random.default_rng(3)
    q = rng.standard_normal((2, 4, 6)).astype("float32")
    v = rng.standard_normal((2, 5, 6)).astype("float32")
    m = layers.MultiHeadAttention(2, 3, use_gate=True)
    m(q, v)
    # Keras's weight order: query, key, gate, value, output
    assert [w.path.split("/", 1)[1] for w in m.weights] == [
        "query/kernel", "query/bias", "key/kernel", "key/bias", "gate/kernel", "gate/bias", "value/kernel",
        "value/bias", "attention_output/kernel", "attention_output/bias"]
    m.set_weights([np.round(rng.standard_normal(w.shape) * 0.5, 2).astype("float32") for w in m.weights])
    out = np.asarray(m(q, v))
    expected = [[-0.86918, -0.03102, 0.12895, 0.76164, 0.87927, 0.66102],
                [0.07852, -1.06422, -0.57041, 0.54177, -0.40566, -0.36687]]  # real Keras 3.15.1
    np.testing.assert_allclose(out[0, :2], expected, atol=2e-5)


def test_mha_sliding_window_band():
    x = np.random.default_rng(0).standard_normal((1, 5, 6)).astype("float32")
    m = layers.MultiHeadAttention(2, 3, sliding_window=2)
    _, s = m(x, x, use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_array_equal((np.asarray(s)[0, 0] > 0).astype(int),
                                  [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]])
    _, s = m(x, x, return_attention_scores=True)
    np.testing.assert_array_equal((np.asarray(s)[0, 0] > 0).astype(int),
                                  [[1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 0, 1, 1]])
    assert layers.MultiHeadAttention.from_config(m.get_config())._sliding_window == 2


def test_mha_per_head_mask_matches_keras():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 3, 4)).astype("float32")
    m = layers.MultiHeadAttention(2, 2)
    m(x, x)
    m.set_weights([np.round(rng.standard_normal(w.shape) * 0.5, 2).astype("float32") for w in m.weights])
    mask = np.ones((1, 2, 3, 3), bool)
    mask[0, 0] = np.tril(np.ones((3, 3), bool))
    mask[0, 1, :, 0] = False
    o, s = m(x, x, attention_mask=mask, return_attention_scores=True)
    exp_o = [[[-0.27073, -0.14644, -0.36811, 0.79396], [-0.09111, -0.14429, -0.32074, 0.58414],
              [-0.30056, -0.78224, 0.25766, -0.07777]]]  # real Keras 3.15.1
    exp_s = [[[[1.0, 0.0, 0.0], [0.50825, 0.49175, 0.0], [0.10463, 0.33575, 0.55963]],
              [[0.0, 0.48399, 0.51601], [0.0, 0.48173, 0.51827], [0.0, 0.46046, 0.53954]]]]
    np.testing.assert_allclose(np.asarray(o), exp_o, atol=2e-5)
    np.testing.assert_allclose(np.asarray(s), exp_s, atol=2e-5)


def test_mha_compute_attention_override_point():
    seen = {}

    class Sub(layers.MultiHeadAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None,
                               return_attention_scores=False):
            seen["mask"] = None if attention_mask is None else np.asarray(attention_mask)
            seen["q_shape"] = tuple(query.shape)
            return super()._compute_attention(query, key, value, attention_mask, training, return_attention_scores)

    x = np.random.default_rng(0).standard_normal((2, 4, 8)).astype("float32")
    sub, base = Sub(2, 3), layers.MultiHeadAttention(2, 3)
    sub(x, x)
    base(x, x)
    base.set_weights(sub.get_weights())
    out = np.asarray(sub(x, x, use_causal_mask=True))
    assert seen["q_shape"] == (2, 4, 2, 3)
    np.testing.assert_array_equal(seen["mask"][0], np.tril(np.ones((4, 4), bool)))
    np.testing.assert_allclose(out, np.asarray(base(x, x, use_causal_mask=True)), atol=1e-5)


def test_mha_keras_argument_errors_and_config():
    with pytest.raises(ValueError, match=r"invalid value for argument `num_heads`.*num_heads=0"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match=r"argument `key_dim`.*key_dim=1.5"):
        layers.MultiHeadAttention(num_heads=2, key_dim=1.5)
    with pytest.raises(ValueError, match=r"argument `value_dim`, expected a positive integer or `None`"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=-1)
    with pytest.raises(ValueError, match=r"Invalid `output_shape`: 8.0"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, output_shape=8.0)
    with pytest.raises(ValueError, match=r"`sliding_window` must be `None` or a positive integer"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2, sliding_window=0)
    assert layers.MultiHeadAttention(2, 3, output_shape=8).get_config()["output_shape"] == (8,)
    with pytest.raises(ValueError, match="must be equal"):
        layers.MultiHeadAttention(2, 2).compute_output_shape((2, 4, 8), (2, 2, 8), (2, 1, 7))


def test_mha_output_carries_query_mask_when_passed_by_keyword():
    emb = layers.Embedding(4, 8, mask_zero=True)
    q = emb(np.array([[1, 2, 0], [3, 0, 0]]))
    out = layers.MultiHeadAttention(2, 2)(query=q, value=np.ones((2, 4, 8), "float32"))
    np.testing.assert_array_equal(np.asarray(keras.backend.get_keras_mask(out)),
                                  [[True, True, False], [True, False, False]])


# -- adaptive pooling (core composites unidl.ops.adaptive_avg_pool / adaptive_max_pool) ------------------

def _adaptive_input():
    return (np.arange(2 * 5 * 7, dtype="float32").reshape(1, 5, 7, 2) ** 1.3) % 11


def test_adaptive_average_pooling2d_matches_keras():
    out = np.asarray(layers.AdaptiveAveragePooling2D((3, 4))(_adaptive_input()))
    expected = [[3.18597, 5.15045, 5.2433, 5.9707], [4.99023, 6.05414, 6.30855, 7.43647],
                [4.27117, 5.1468, 6.01208, 6.42628]]  # real Keras 3.15.1 (torch backend)
    assert out.shape == (1, 3, 4, 2)
    np.testing.assert_allclose(out[0, :, :, 1], expected, atol=2e-5)


def test_adaptive_max_pooling2d_matches_keras():
    out = np.asarray(layers.AdaptiveMaxPooling2D((3, 4))(_adaptive_input()))
    expected = [[8.900562, 10.2706175, 10.2706175, 8.95262], [10.086105, 10.325195, 10.325195, 10.970062],
                [9.090393, 10.325195, 10.325195, 10.135696]]  # real Keras 3.15.1 (torch backend)
    np.testing.assert_allclose(out[0, :, :, 0], expected, rtol=1e-6)


def test_adaptive_pooling1d_overlapping_and_upsampling_windows():
    x = np.array([[[3.0, 1.0, 4.0, 1.0, 5.0]]], "float32")
    up = layers.AdaptiveMaxPooling1D(7, data_format="channels_first")(x)
    np.testing.assert_array_equal(np.asarray(up), [[[3, 3, 4, 4, 4, 5, 5]]])
    avg = layers.AdaptiveAveragePooling1D(3, data_format="channels_first")(x)
    np.testing.assert_allclose(np.asarray(avg), [[[2.0, 2.0, 3.0]]])


def test_adaptive_pooling_symbolic_config_and_errors():
    layer = layers.AdaptiveAveragePooling3D(2, data_format="channels_first")
    assert not layer.built  # (Keras builds these on the first call)
    y = layer(keras.Input((3, 8, 8, 8)))
    assert tuple(y.shape) == (None, 3, 2, 2, 2)
    cfg = layers.AdaptiveMaxPooling2D((8, 16)).get_config()
    assert cfg["output_size"] == (8, 16)
    with pytest.raises(ValueError, match=r"For 1D input, `output_size` tuple must have length 1"):
        layers.AdaptiveMaxPooling1D((2, 3))
    with pytest.raises(TypeError, match=r"`output_size` must be an integer or \(height, width\) tuple"):
        layers.AdaptiveMaxPooling2D(2.0)
    with pytest.raises(TypeError, match=r"\(depth, height, width\) tuple"):
        layers.AdaptiveAveragePooling3D((1, 2))
    with pytest.raises(ValueError, match=r"Invalid data_format: nhwc"):
        layers.AdaptiveAveragePooling2D(2, data_format="nhwc")


def test_adaptive_pool_core_gradients():
    import unidl
    from unidl.testing.gradcheck import assert_grad_close

    x = np.random.default_rng(1).standard_normal((2, 2, 7, 5))
    assert_grad_close(lambda t: unidl.ops.adaptive_avg_pool(t, (3, 4)), x)
    assert_grad_close(lambda t: unidl.ops.adaptive_max_pool(t, (3, 4)), x)
    assert_grad_close(lambda t: unidl.ops.adaptive_avg_pool(t, (14, 5)), x)  # upsampling rows, identity cols


# -- convolution LoRA and argument errors ---------------------------------------------------------------

def test_conv2d_lora_matches_keras():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 5, 5, 2)).astype("float32")
    layer = layers.Conv2D(3, 2, lora_rank=2, lora_alpha=3.0)
    layer(x)
    assert [(w.path.split("/")[-1], tuple(w.shape), w.trainable) for w in layer.weights] == [
        ("kernel", (2, 2, 2, 3), False), ("bias", (3,), True), ("lora_kernel_a", (2, 2, 2, 2), True),
        ("lora_kernel_b", (2, 3), True)]
    layer.set_weights([np.round(rng.standard_normal(w.shape) * 0.5, 2).astype("float32") for w in layer.weights])
    expected = [[1.31364, 0.26197, -0.46482], [0.34311, -0.40045, -0.70905], [-0.82379, 1.99194, -2.23706],
                [4.82884, 1.51902, 0.48659]]  # real Keras 3.15.1
    np.testing.assert_allclose(np.asarray(layer(x))[0, 0], expected, atol=2e-5)
    cfg = layer.get_config()
    assert (cfg["lora_rank"], cfg["lora_alpha"]) == (2, 3.0)
    assert len(layer.trainable_weights) == 3 and len(layer.non_trainable_weights) == 1


def test_conv_lora_saves_merged_kernel_and_loads_into_plain_layer(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 6, 3)).astype("float32")
    inp = keras.Input((6, 3))
    model = keras.Model(inp, layers.Conv1D(4, 3, name="c")(inp))
    model.get_layer("c").enable_lora(2)
    lora = model.get_layer("c")
    lora.lora_kernel_b.assign(rng.standard_normal(lora.lora_kernel_b.shape).astype("float32"))
    path = str(tmp_path / "lora.weights.h5")
    model.save_weights(path)
    inp2 = keras.Input((6, 3))
    plain = keras.Model(inp2, layers.Conv1D(4, 3, name="c")(inp2))
    plain.load_weights(path)
    np.testing.assert_allclose(np.asarray(plain(x)), np.asarray(model(x)), rtol=1e-5, atol=1e-5)
    # a plain file into the LoRA model: the kernel loads, the factors restart at zero
    plain.save_weights(path)
    model.load_weights(path)
    assert float(np.abs(np.asarray(lora.lora_kernel_b)).max()) == 0.0
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(plain(x)), rtol=1e-6)


def test_conv_groups_and_lora_errors():
    with pytest.raises(ValueError, match=r"The number of groups must be a positive integer. Received: groups=0."):
        layers.Conv2D(2, 2, groups=0)
    c = layers.Conv2D(2, 2, kernel_constraint="non_neg")
    c.build((1, 4, 4, 1))
    with pytest.raises(ValueError, match="Lora is incompatible with kernel constraints"):
        c.enable_lora(1)
    with pytest.raises(ValueError, match="Cannot enable lora on a layer that isn't yet built"):
        layers.Conv2D(2, 2).enable_lora(1)
