"""Keras 3.15.1 behaviours of models, training and saving found through Keras's own tests
(models/, trainers/, saving/): symbolic scope, legacy .h5 full-model files, model API details.
Expected values come from real Keras 3.15.1 (torch backend) or are derived with NumPy."""
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.backend.symbolic_scope import SymbolicScope, in_symbolic_scope


def test_symbolic_scope_flags_the_symbolic_stage():
    def fn(y, y_pred):
        if in_symbolic_scope():
            return keras.ops.zeros_like(y)
        return keras.ops.add(y, y_pred)

    y = keras.ops.ones((2,))
    with SymbolicScope():
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(fn(y, y)), [0.0, 0.0])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(fn(y, y)), [2.0, 2.0])
    assert keras.SymbolicScope is SymbolicScope and keras.backend.in_symbolic_scope() is False


def test_shape_inference_runs_in_symbolic_scope():
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x):
            seen.append(in_symbolic_scope())
            return x * 2

    layer = Probe()
    out = layer(keras.Input((3,)))
    assert tuple(out.shape) == (None, 3) and seen and all(seen)
    seen.clear()
    layer(np.ones((1, 3), "float32"))
    assert seen == [False]


# -- legacy .h5 full-model files, unzipped and sharded saves, objects_to_skip ---------------------------

import os  # noqa: E402

import h5py  # noqa: E402

from unidl_keras.legacy.saving import legacy_h5_format  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "data", "T_legacy")
# written by real Keras 3.15.1 (torch): Sequential(Input(3), Dense(4, name=d1), Dense(2, softmax, name=d2)) with
# weights RandomState(7).randn(...).round(3); legacy_seq.h5 by save_model_to_hdf5, sharded_seq.weights.json by
# save_weights(max_shard_size=6e-8) (two shards)
X = np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]], "float32")
KERAS_PRED = np.array([[0.9949122, 0.00508782], [0.46282244, 0.53717756]], "float32")
D1_BIAS = [0.505, -0.261, -0.243, -1.453]


def _seq():
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d1"),
                             keras.layers.Dense(2, activation="softmax", name="d2")])


def test_load_model_from_hdf5_reads_real_keras_file():
    m = legacy_h5_format.load_model_from_hdf5(os.path.join(DATA, "legacy_seq.h5"))
    np.testing.assert_allclose(m.predict(X, verbose=0), KERAS_PRED, rtol=1e-5, atol=1e-6)
    with h5py.File(os.path.join(DATA, "legacy_seq.h5"), "r") as f:  # an open h5py.File works too
        m2 = legacy_h5_format.load_model_from_hdf5(f, compile=False)
    np.testing.assert_allclose(m2.layers[0].get_weights()[1], D1_BIAS, rtol=1e-6)


def test_save_model_to_hdf5_round_trip_and_layout(tmp_path):
    src = keras.models.load_model(os.path.join(DATA, "legacy_seq.h5"))
    path = str(tmp_path / "sub" / "m.h5")  # the folder is created, as Keras does
    legacy_h5_format.save_model_to_hdf5(src, path)
    with h5py.File(path, "r") as f:
        assert "model_config" in f.attrs and "model_weights" in f
        assert [n.decode() if isinstance(n, bytes) else n for n in f["model_weights"].attrs["layer_names"]] == ["d1", "d2"]
        assert legacy_h5_format.load_attributes_from_hdf5_group(f["model_weights"], "layer_names") == ["d1", "d2"]
    back = legacy_h5_format.load_model_from_hdf5(path)
    np.testing.assert_allclose(back.predict(X, verbose=0), KERAS_PRED, rtol=1e-5, atol=1e-6)
    dest = _seq()
    dest.load_weights(path)  # model.load_weights reads the full-model file's model_weights group
    np.testing.assert_allclose(dest.layers[0].get_weights()[1], D1_BIAS, rtol=1e-6)


def test_load_model_from_hdf5_refuses_links_in_open_file(tmp_path):
    target = str(tmp_path / "t.h5")
    legacy_h5_format.save_model_to_hdf5(_seq(), target)
    bad = str(tmp_path / "bad.h5")
    with h5py.File(target, "r") as f, h5py.File(bad, "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        g["model_weights"] = h5py.ExternalLink(target, "/model_weights")
    with h5py.File(bad, "r") as g:
        with pytest.raises(ValueError, match="ExternalLink"):
            legacy_h5_format.load_model_from_hdf5(g)
    with pytest.raises(ValueError, match="ExternalLink"):
        _seq().load_weights(bad)


def test_sharded_weights_read_real_keras_files_and_round_trip(tmp_path):
    m = _seq()
    m.load_weights(os.path.join(DATA, "sharded_seq.weights.json"))
    np.testing.assert_allclose(m.predict(X, verbose=0), KERAS_PRED, rtol=1e-5, atol=1e-6)
    out = tmp_path / "w.weights.json"
    m.save_weights(str(out), max_shard_size=6e-8)  # 64 B of d1 fill the first shard, d2 goes to a second
    assert sorted(os.listdir(tmp_path)) == ["w.weights.json", "w_00000.weights.h5", "w_00001.weights.h5"]
    m2 = _seq()
    m2.load_weights(str(out))
    np.testing.assert_allclose(m2.predict(X, verbose=0), KERAS_PRED, rtol=1e-5, atol=1e-6)


def test_sharded_weights_refuse_shard_names_outside_folder(tmp_path):
    (tmp_path / "evil.weights.json").write_text('{"metadata": {}, "weight_map": {"/layers/dense/vars": '
                                                '"../x.weights.h5"}}')
    with pytest.raises(ValueError, match="plain '.weights.h5' file name"):
        _seq().load_weights(str(tmp_path / "evil.weights.json"))


def test_unzipped_model_directory(tmp_path):
    src = keras.models.load_model(os.path.join(DATA, "legacy_seq.h5"))
    with pytest.raises(ValueError, match="should not end in `.keras`"):
        keras.saving.save_model(src, str(tmp_path / "m.keras"), zipped=False)
    d = tmp_path / "model_dir"
    keras.saving.save_model(src, str(d), zipped=False)
    assert sorted(os.listdir(d)) == ["config.json", "metadata.json", "model.weights.h5"]
    back = keras.saving.load_model(str(d))
    np.testing.assert_allclose(back.predict(X, verbose=0), KERAS_PRED, rtol=1e-5, atol=1e-6)


def test_objects_to_skip_and_load_weights_argument_errors(tmp_path):
    src = keras.models.load_model(os.path.join(DATA, "legacy_seq.h5"))
    path = str(tmp_path / "w.weights.h5")
    src.save_weights(path, objects_to_skip=[src.layers[0]])
    dest = _seq()
    before = dest.layers[0].get_weights()
    dest.load_weights(path, objects_to_skip=[dest.layers[0]])
    np.testing.assert_array_equal(dest.layers[0].get_weights()[0], before[0])  # d1 untouched
    np.testing.assert_allclose(dest.layers[1].get_weights()[1], [-0.045, -1.451], rtol=1e-6)
    keras_path = str(tmp_path / "m.keras")
    src.save(keras_path)
    with pytest.raises(ValueError, match="only supports loading '.weights.h5' files"):
        dest.load_weights(keras_path, objects_to_skip=[])
    with pytest.raises(ValueError, match="only supports loading legacy '.h5' or '.hdf5' files"):
        dest.load_weights(path, by_name=True)
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        dest.load_weights(keras_path, bad_kwarg=None)
    with pytest.raises(ValueError, match="File format not supported"):
        keras.saving.load_model(str(tmp_path / "model.pkl"))
    with pytest.raises(ValueError, match="File not found"):
        keras.saving.load_model(str(tmp_path / "missing.keras"))


# -- keras.applications.MobileNet, InputSpec on functional models ---------------------------------------

def test_mobilenet_architecture_matches_keras():
    # real Keras 3.15.1: include_top=False -> (None, None, None, 1024), 3,228,864 params, 86 layers;
    # 64x64 input with 10 classes -> 3,239,114 params, 91 layers, named mobilenet_1.00_64
    m = keras.applications.mobilenet.MobileNet(include_top=False, weights=None)
    assert m.name == "mobilenet_1.00_None" and m.output_shape == (None, None, None, 1024)
    assert m.count_params() == 3228864 and len(m.layers) == 86
    m2 = keras.applications.MobileNet(input_shape=(64, 64, 3), weights=None, classes=10)
    assert m2.name == "mobilenet_1.00_64" and m2.output_shape == (None, 10)
    assert m2.count_params() == 3239114 and len(m2.layers) == 91
    names = [layer.name for layer in m2.layers]
    assert names[1:8] == ["conv1", "conv1_bn", "conv1_relu", "conv_dw_1", "conv_dw_1_bn", "conv_dw_1_relu", "conv_pw_1"]
    assert names[-4:] == ["dropout", "conv_preds", "reshape_2", "predictions"]
    with pytest.raises(ValueError, match="not downloaded"):
        keras.applications.MobileNet(weights="imagenet")
    with pytest.raises(ValueError, match="at least 32x32"):
        keras.applications.MobileNet(input_shape=(16, 16, 3), include_top=False, weights=None)
    x = np.array([[[[0.0, 127.5, 255.0]]]], "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.applications.mobilenet.preprocess_input(x)),
                               [[[[-1.0, 0.0, 1.0]]]])


def test_manual_input_spec_on_functional_model():
    inputs = keras.Input(shape=(None, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.input_spec = keras.layers.InputSpec(shape=(None, 4, 3))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4, 3\), found shape=\(2, 3, 3\)"):
        model(np.zeros((2, 3, 3), "float32"))
    assert tuple(model(np.zeros((2, 4, 3), "float32")).shape) == (2, 4, 2)
    spec = keras.layers.InputSpec(ndim=2, axes={-1: 3})
    assert repr(spec) == "InputSpec(ndim=2, axes={-1: 3})"
    with pytest.raises(ValueError, match="Axis 2 is greater than the maximum allowed value: 1"):
        keras.layers.InputSpec(ndim=2, axes={2: 3})


def test_functional_input_standardization_as_keras():
    # rank adjustment by a trailing 1, in both directions (Keras's Functional._adjust_input_rank)
    inp = keras.Input((3,), name="foo")
    model = keras.Model(inp, keras.layers.Dense(2)(inp))
    assert tuple(model(np.ones((2, 3, 1), "float32")).shape) == (2, 2)
    with pytest.raises(ValueError, match="name 'foo' .* path ''"):
        model(np.ones((2, 3, 4), "float32"))
    inp1 = keras.Input((3, 1), name="bar")
    m1 = keras.Model(inp1, keras.layers.Flatten()(inp1))
    assert tuple(m1(np.ones((2, 3), "float32")).shape) == (2, 3)
    # input counts and named dict inputs
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    out = keras.layers.Dense(2)(keras.layers.Concatenate()([a, b]))
    with pytest.raises(ValueError, match=r"expects 2 .*input"):
        keras.Model([a, b], out)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"named input\(s\) with keys"):
        keras.Model({"a": a, "b": b}, out)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 3\)"):
        keras.Model([a, b], out)([np.zeros((2, 3)), np.zeros((2, 4))])
    # a dict with an extra entry warns about the structure and uses the model's keys
    m = keras.Model({"a": a}, a * 5)
    with pytest.warns(UserWarning, match="doesn't match the expected structure"):
        y = m({"a": np.ones((2, 4), "float32"), "b": np.ones((2, 1), "float32")})
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), np.full((2, 4), 5.0))


def test_functional_none_for_required_and_optional_inputs():
    class AddIfGiven(keras.layers.Layer):
        def call(self, x, y=None):
            return x if y is None else x + y

        def compute_output_shape(self, x_shape, y_shape=None):
            return x_shape

    i1 = keras.Input((2,), name="input1")
    i2 = keras.Input((2,), name="input2", optional=True)
    model = keras.Model({"input1": i1, "input2": i2}, AddIfGiven()(i1, i2))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model({"input1": np.ones((2, 2)), "input2": None})),
                               np.ones((2, 2)))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model({"input1": np.ones((2, 2)),
                                                                 "input2": np.ones((2, 2))})), np.full((2, 2), 2.0))
    j2 = keras.Input((2,), name="input2")
    strict = keras.Model({"input1": i1, "input2": j2}, AddIfGiven()(i1, j2))
    with pytest.raises(ValueError, match="The input 'input2' is not optional, but None was passed"):
        strict({"input1": np.ones((2, 2)), "input2": None})


# -- compile(loss=...) structures, resolved at the first batch as Keras's CompileLoss -------------------

def _two_outputs(dict_out=False):
    x = keras.Input((3,), name="input_a")
    a = keras.layers.Dense(1, name="output_a")(x)
    b = keras.layers.Dense(1, activation="sigmoid", name="output_b")(x)
    return keras.Model(x, {"output_a": a, "output_b": b} if dict_out else [a, b])


def test_compile_loss_nested_lists_and_dicts_log_keras_keys():
    rs = np.random.RandomState(0)
    x, y1, y2 = rs.rand(8, 3), rs.rand(8, 1), rs.randint(0, 2, (8, 1))
    m = _two_outputs()
    m.compile("sgd", loss=["mean_squared_error", ["binary_crossentropy"]], loss_weights=[0.1, 2])
    hist = m.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0)
    assert sorted(hist.history) == ["loss", "output_a_loss", "output_b_loss"]
    d = _two_outputs(dict_out=True)
    d.compile("sgd", loss={"output_b": ["binary_crossentropy"]})
    hist = d.fit(x, {"output_a": y1, "output_b": y2}, batch_size=2, epochs=1, verbose=0)
    assert sorted(hist.history) == ["loss"]  # one loss entry: no per-output tracker, as Keras


def test_compile_loss_weighted_sum_matches_numpy():
    m = _two_outputs()
    m.compile("sgd", loss=["mean_squared_error", "mean_absolute_error"], loss_weights=[0.5, 2.0])
    x = np.array([[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]], "float32")
    ya, yb = np.array([[1.0], [0.0]], "float32"), np.array([[0.0], [1.0]], "float32")
    pa, pb = [keras.ops.convert_to_numpy(p) for p in m(x)]
    want = 0.5 * np.mean((pa - ya) ** 2) + 2.0 * np.mean(np.abs(pb - yb))
    got = m.evaluate(x, [ya, yb], verbose=0)
    np.testing.assert_allclose(got[0], want, rtol=1e-5)


def test_compile_loss_key_errors_come_at_the_first_batch():
    rs = np.random.RandomState(0)
    x, y1, y2 = rs.rand(8, 3), rs.rand(8, 1), rs.randint(0, 2, (8, 1))
    m = _two_outputs()
    m.compile("sgd", loss={"output_a": "mean_squared_error", "output_c": "binary_crossentropy"})
    with pytest.raises(ValueError, match="Expected keys"):
        m.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0)
    d = _two_outputs(dict_out=True)
    d.compile("sgd", loss={"output_a": "mean_squared_error", "output_c": "binary_crossentropy"})
    with pytest.raises(KeyError, match="can't be found in either the model's output"):
        d.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        m.compile("sgd", loss="not_a_loss")


def test_compile_metrics_mixed_lists_and_deferred_key_errors():
    rs = np.random.RandomState(0)
    x, y1, y2 = rs.rand(8, 3), rs.rand(8, 1), rs.randint(0, 2, (8, 1))
    m = _two_outputs()
    m.compile("sgd", loss=["mean_squared_error", "binary_crossentropy"],
              metrics=["mean_squared_error", ["mean_squared_error", "accuracy"]])
    hist = m.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0)
    assert sorted(hist.history) == ["loss", "output_a_loss", "output_a_mean_squared_error", "output_b_accuracy",
                                    "output_b_loss", "output_b_mean_squared_error"]
    m.compile("sgd", loss=["mean_squared_error", "binary_crossentropy"],
              metrics={"output_c": ["mean_squared_error", "accuracy"]})  # accepted here, refused at the first batch
    with pytest.raises(ValueError, match="(?s)Invalid `metrics`.*output_c"):
        m.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0)


def test_one_output_list_is_unpacked_and_structured_outputs_predict():
    import collections

    x = keras.Input((3,), name="input_a")
    a = keras.layers.Dense(1, name="output_a")(x)
    single = keras.Model(x, [a])
    assert tuple(single(np.ones((2, 3), "float32")).shape) == (2, 1)  # Keras returns the tensor, not [tensor]
    assert single.predict(np.ones((2, 3), "float32"), verbose=0).shape == (2, 1)
    Y = collections.namedtuple("Y", ["y1", "y2"])
    b = keras.layers.Dense(1, name="output_b")(x)
    nt = keras.Model(x, Y(a, b))
    out = nt.predict(np.ones((4, 3), "float32"), batch_size=2, verbose=0)
    assert isinstance(out, Y) and out.y1.shape == (4, 1) and out.y2.shape == (4, 1)


def test_loss_over_a_structure_of_outputs():
    x = keras.Input((3,), name="input_a")
    a = keras.layers.Dense(1, name="y1")(x)
    b = keras.layers.Dense(1, name="y2")(x)
    model = keras.Model(x, (a, b))
    seen = []

    def struct_loss(y_true, y_pred):
        seen.append((type(y_true).__name__, type(y_pred).__name__))
        return keras.ops.mean(keras.ops.abs(y_true[0] - y_pred[0])) + keras.ops.mean(keras.ops.abs(y_true[1] - y_pred[1]))

    model.compile("sgd", loss=[struct_loss, [keras.losses.mean_absolute_error, keras.losses.mean_absolute_error]])
    rs = np.random.RandomState(1)
    xs, y1, y2 = rs.rand(8, 3), rs.rand(8, 1), rs.rand(8, 1)
    hist = model.fit(xs, [y1, y2], batch_size=4, epochs=1, verbose=0)
    assert sorted(hist.history) == ["loss", "y1_loss", "y1_y2_loss", "y2_loss"]  # Keras's names for these entries
    assert seen[0] == ("tuple", "tuple")


# -- Sequential as Keras 3.15.1 ---------------------------------------------------------------------------

def test_sequential_errors_and_reserved_layers():
    m = keras.Sequential()
    assert not hasattr(m, "inputs") and not hasattr(m, "input_shape") and not hasattr(m, "outputs")
    with pytest.raises(AttributeError, match=r"Use `add\(\)` and `pop\(\)`"):
        m.layers = [keras.layers.Dense(4)]
    with pytest.raises(ValueError, match="no layers"):
        m(np.ones((3, 2), "float32"))
    m.add(keras.Input(shape=(2,), batch_size=3))
    m.add(keras.layers.Dense(2))
    with pytest.raises(ValueError, match="already been configured"):
        m.build((3, 4))
    m.build((3, 2))

    class TwoArgs(keras.layers.Layer):
        def call(self, inputs, training):
            return inputs

    bad = keras.Sequential(name="seq")
    bad.add(TwoArgs())
    with pytest.raises(ValueError, match="can only have a single.*positional"):
        bad.build((None, 2))
    with pytest.raises(AttributeError, match="`Model.layers` attribute is reserved"):
        keras.Model().layers = []


def test_sequential_shapes_nested_inputs_and_model_first_layer():
    assert keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(8)]).compute_output_shape((1, 2)) == (1, 8)

    class Keep(keras.layers.Layer):
        def call(self, inputs):
            return inputs

    seq = keras.Sequential([Keep()])
    out = seq({"a": np.ones((3, 2), "float32"), "b": np.zeros((3, 2), "float32")})
    assert isinstance(out, dict) and sorted(out) == ["a", "b"]
    inner = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 3, padding="same")])
    outer = keras.Sequential([inner, keras.layers.Flatten(), keras.layers.Dense(1)])
    assert outer.built and all(layer.built for layer in outer.layers)
    assert tuple(outer(np.ones((1, 4, 4, 3), "float32")).shape) == (1, 1)


def test_state_tree_get_and_set():
    x = keras.Input((3,), name="input_a")
    m = keras.Model(x, keras.layers.Dense(1, name="output_a")(x))
    m.compile(loss="mse", optimizer="adam")
    tree_ = m.get_state_tree(value_format="numpy_array")
    assert sorted(tree_) == ["metrics_variables", "non_trainable_variables", "optimizer_variables",
                             "trainable_variables"]
    assert tree_["non_trainable_variables"] == {}
    np.testing.assert_array_equal(tree_["trainable_variables"]["output_a"]["kernel"], m.layers[1].get_weights()[0])
    assert float(tree_["metrics_variables"]["loss"]["count"]) == 0.0
    m.set_state_tree({"trainable_variables": {"output_a": {"bias": [0.5], "kernel": [[0.6], [0.7], [1.8]]}},
                      "optimizer_variables": {m.optimizer.name: {"learning_rate": 1e-5}}})  # adam, adam_1, ...
    np.testing.assert_allclose(m.layers[1].get_weights()[0], [[0.6], [0.7], [1.8]], rtol=1e-6)
    np.testing.assert_allclose(m.layers[1].get_weights()[1], [0.5])
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(m.optimizer.learning_rate)), 1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="Unknown variable name: bogus"):
        m.set_state_tree({"bogus": {}})

    class Dup(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = keras.layers.Dense(2, name="layer1")
            self.d2 = keras.layers.Dense(2, name="layer1")

        def call(self, x):
            return self.d2(self.d1(x))

    dup = Dup()
    dup(np.ones((1, 4), "float32"))
    with pytest.raises(ValueError, match="The following variable path is found twice in the model"):
        dup.get_state_tree()


def test_functional_subclass_revives_with_its_config_and_export_message(tmp_path):
    class CustomModel(keras.Model):
        def __init__(self, *args, param=1, **kwargs):
            super().__init__(*args, **kwargs)
            self.param = param

        def get_config(self):
            return {**super().get_config(), "param": self.param}

    inputs = keras.Input((3,))
    model = CustomModel(inputs=inputs, outputs=keras.layers.Dense(5)(inputs), param=3)
    revived = CustomModel.from_config(model.get_config())
    assert revived.param == 3 and isinstance(revived, CustomModel)
    with pytest.raises(NotImplementedError, match="`export_saved_model` only currently supports the tensorflow"):
        model.export(str(tmp_path / "exported"), format="tf_saved_model")
    with pytest.raises(ValueError, match="Unrecognized format="):
        model.export(str(tmp_path / "exported"), format="bad_format")


def test_functional_slices_disconnected_outputs_and_missing_nodes():
    inputs = keras.Input(shape=(None, 2), name="input")
    x1 = keras.layers.Dense(3, name="dense1")(inputs)
    x2 = keras.layers.Dense(4, name="dense2")(x1)
    outputs = keras.layers.Dense(5, name="dense3")(x2)
    full = keras.Model(inputs, outputs, name="full_model")
    part = keras.Model(x1, x2, name="partial")
    assert len(part.layers) == 2 and isinstance(part.layers[0], keras.layers.InputLayer)
    assert part.layers[1].name == "dense2" and part.layers[1] is full.get_layer("dense2")
    a = np.ones((1, 2, 3), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(part(a)),
                               a @ full.get_layer("dense2").get_weights()[0] + full.get_layer("dense2").get_weights()[1],
                               rtol=1e-5)
    i1, i2 = keras.Input((2,), name="input1"), keras.Input((2,), name="input2")
    with pytest.raises(ValueError, match="Output with path `output2` is not connected"):
        keras.Model(i1, {"output1": i1 * 2, "output2": i2 * 3})
    config = {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "input_1", "config": {"batch_input_shape": [None, 10], "dtype": "float32",
                                                                   "name": "input_1"}, "inbound_nodes": []},
        {"class_name": "Dense", "name": "node_a", "config": {"units": 10, "name": "node_a"},
         "inbound_nodes": [[["node_b", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["node_a", 0, 0]]}
    with pytest.raises(ValueError, match="Missing node: node_b"):
        keras.models.Functional.from_config(config)
    a_in, b_in = keras.Input((3,), name="ia"), keras.Input((3,), name="ib")
    m = keras.Model([a_in, b_in], keras.layers.Dense(4, name="d2")(keras.layers.Dense(5, name="d1")(a_in + b_in)))
    assert len(m.layers) == 4 and len(m._operations) == 5


def test_functional_config_keeps_nested_io_structures():
    inp = keras.Input(shape=(3,), batch_size=2, name="input")
    x = keras.layers.Dense(5)(inp)
    outputs = (keras.layers.Dense(4)(x), keras.layers.Dense(5)(x))
    restored = keras.models.Functional.from_config(keras.Model(inp, outputs).get_config())
    assert isinstance(restored(np.ones((2, 3), "float32")), tuple)
    nested_in = keras.Input(shape=(3,), batch_size=2, name="input_a")
    m = keras.Model([[nested_in]], keras.layers.Dense(4)(nested_in))
    assert m.get_config()["input_layers"] == [[["input_a", 0, 0]]]
    assert keras.models.model_from_json(m.to_json()).to_json() == m.to_json()
    i1, i2, i3 = keras.Input((1,)), keras.Input((2,)), keras.Input((3,))
    deep = keras.Model({"1": i1, "others": {"2": i2, "3": i3}},
                       {"1": keras.layers.Dense(1)(i1), "others": {"2": keras.layers.Dense(2)(i2),
                                                                    "3": keras.layers.Dense(3)(i3)}})
    out = deep({"1": np.ones((2, 1)), "others": {"2": np.ones((2, 2)), "3": np.ones((2, 3))}})
    assert tuple(out["others"]["3"].shape) == (2, 3)


def test_functional_models_with_ops_serialize_as_keras_operations():
    # ops_model.keras by real Keras 3.15.1: a, b = Input(3); w = sum(reshape(multiply(a + b, 2.0), (-1, 3, 1)), axis=1);
    # Dense(2, kernel ones, name d)(w); Keras's config names the ops keras.src.ops.numpy.Add/Multiply/Reshape/Sum
    m = keras.saving.load_model(os.path.join(DATA, "ops_model.keras"))
    xa = np.ones((3, 3), "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(m([xa, xa * 2])), np.full((3, 2), 18.0))
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    w = keras.ops.sum(keras.ops.reshape(keras.ops.multiply(a + b, 2.0), (-1, 3, 1)), axis=1)
    model = keras.Model([a, b], w)
    layers_cfg = model.get_config()["layers"]
    assert [(c["module"], c["class_name"]) for c in layers_cfg[2:]] == [
        ("keras.src.ops.numpy", "Add"), ("keras.src.ops.numpy", "Multiply"), ("keras.src.ops.numpy", "Reshape"),
        ("keras.src.ops.numpy", "Sum")]
    back = keras.models.model_from_json(model.to_json())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(back([xa, xa * 2])), np.full((3, 1), 18.0))
    assert back.to_json() == model.to_json()


def test_fit_evaluate_predict_on_generators_with_optional_inputs():
    class AddIfGiven(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x, o=None):
            return self.dense(x if o is None else x + o)

    x_in, o_in = keras.Input((2,), name="x"), keras.Input((2,), name="o", optional=True)
    model = keras.Model({"x": x_in, "o": o_in}, AddIfGiven()(x_in, o_in))
    model.compile(loss="mse", optimizer="adam")
    for o in (None, np.ones((2, 2), "float32")):
        def data(with_y=True):
            for _ in range(4):
                yield ({"x": np.ones((2, 2), "float32"), "o": o},) + ((np.ones((2, 2), "float32"),) if with_y else ())

        hist = model.fit(data(), verbose=0)
        assert len(hist.history["loss"]) == 1
        assert np.isfinite(model.evaluate(data(), verbose=0))
        assert model.predict(data(with_y=False), verbose=0).shape == (8, 2)


# -- fit on PyDatasets (finite, infinite, class weights), exhausted generators, keras.device -----------------

class _Batches(keras.utils.PyDataset):
    def __init__(self, infinite=False, **kwargs):
        super().__init__(**kwargs)
        self.infinite = infinite
        self.seen = []

    @property
    def num_batches(self):
        return None if self.infinite else 4

    def __getitem__(self, idx):
        self.seen.append(idx)
        x = np.full((2, 3), float(idx), "float32")
        y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
        return x, y


def test_fit_on_num_batches_pydatasets_infinite_and_class_weight():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    m.compile("sgd", "categorical_crossentropy")
    finite = _Batches()
    m.fit(finite, epochs=2, shuffle=False, verbose=0)
    assert finite.seen == [0, 1, 2, 3, 0, 1, 2, 3]
    infinite = _Batches(infinite=True)
    m.fit(infinite, epochs=2, steps_per_epoch=3, verbose=0)
    assert len(infinite.seen) == 6
    # class weights apply per batch, from its one-hot targets: with a zero learning rate the epoch loss is the
    # batch loss weighted (1, 3) by the two rows' classes, as explicit sample weights give it
    w = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    w.compile(keras.optimizers.SGD(learning_rate=0.0), "categorical_crossentropy")
    x, y = _Batches()[1]
    want = w.evaluate(x, y, sample_weight=np.array([1.0, 3.0], "float32"), verbose=0)
    unweighted = w.evaluate(x, y, verbose=0)
    hist = w.fit(_Single(), epochs=1, class_weight={0: 1.0, 1: 3.0}, shuffle=False, verbose=0)
    np.testing.assert_allclose(hist.history["loss"][0], want, rtol=1e-5)
    assert abs(want - unweighted) > 1e-4


class _Single(_Batches):
    @property
    def num_batches(self):
        return 1

    def __getitem__(self, idx):
        return super().__getitem__(1)


def test_exhausted_generator_warns_like_keras():
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")

    def gen():
        for _ in range(3):
            yield np.ones((2, 2), "float32"), np.ones((2, 1), "float32")

    with pytest.warns(UserWarning, match="Your input ran out of data"):
        hist = m.fit(gen(), epochs=3, verbose=0)
    assert len(hist.history["loss"]) == 3


def test_keras_device_scope():
    import unidl

    before = unidl.devices.default_device()
    with keras.device("CPU:0") as dev:
        assert str(keras.ops.ones((2,)).device) == "cpu" and str(dev) == "cpu"
    assert unidl.devices.default_device() is before
    assert keras.backend.device is keras.device


class _Steps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.per_epoch = []

    def on_epoch_begin(self, epoch, logs=None):
        self.per_epoch.append(0)

    def on_train_batch_begin(self, batch, logs=None):
        self.per_epoch[-1] += 1


def test_steps_per_epoch_below_one_pass_continues_the_pass_and_max_epochs_caps():
    x, y = np.ones((80, 4), "float32"), np.ones((80, 1), "float32")
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    obs = _Steps()
    m.fit(x, y, batch_size=8, epochs=4, steps_per_epoch=9, callbacks=[obs], verbose=0)
    assert obs.per_epoch == [9, 1, 9, 1]  # Keras 3.15.1: 20 steps over 10 batches of data, 9 per epoch
    obs = _Steps()
    m.fit(x, y, batch_size=8, epochs=4, steps_per_epoch=5, callbacks=[obs], verbose=0)
    assert obs.per_epoch == [5, 5, 5, 5]
    try:
        keras.config.set_max_epochs(2)
        keras.config.set_max_steps_per_epoch(3)
        obs = _Steps()
        with pytest.warns(UserWarning, match="Limiting epochs to 2"):
            m.fit(x, y, batch_size=8, epochs=4, callbacks=[obs], verbose=0)
        assert obs.per_epoch == [3, 3]
        assert keras.config.max_epochs() == 2 and keras.config.max_steps_per_epoch() == 3
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)


def _trainer_layer():
    from unidl_keras.trainers.trainer import Trainer

    class Head(Trainer, keras.layers.Layer):  # a Layer with the training methods mixed in, as Keras's tests do
        def __init__(self):
            keras.layers.Layer.__init__(self)
            Trainer.__init__(self)
            self.d1 = keras.layers.Dense(3, use_bias=False, kernel_initializer="ones")
            self.d2 = keras.layers.Dense(3, use_bias=False, kernel_initializer="ones")

        def call(self, x):
            return {"y_one": self.d1(x["x_one"]), "y_two": self.d2(x["x_two"])}

    return Head()


def test_trainer_mixin_compile_attributes_dict_metrics_and_symbolic_build():
    m = _trainer_layer()
    assert m.metrics == [] and m.run_eagerly is False
    m.compile(optimizer="sgd", loss={"y_one": "mse", "y_two": "mse"},
              metrics={"y_one": keras.metrics.MeanSquaredError(), "y_two": keras.metrics.MeanSquaredError()},
              loss_weights={"y_one": 0.1, "y_two": 0.2})
    assert m.run_eagerly is False and m.jit_compile is False
    x = {"x_one": np.ones((4, 4), "float32"), "x_two": np.ones((4, 4), "float32")}
    y = {"y_one": np.zeros((4, 3), "float32"), "y_two": np.zeros((4, 3), "float32")}
    m(x)
    m._symbolic_build(data_batch=(x, y))
    assert m._compile_metrics.built and m._compile_loss.built and len(m._compile_loss.metrics) == 2
    assert all(float(keras.ops.convert_to_numpy(v)) == 0.0 for v in m._compile_loss.variables)
    hist = m.fit(x, y, batch_size=4, epochs=1, verbose=0)
    # every prediction is 4 (ones @ ones): mse 16 per output, weighted 0.1 * 16 + 0.2 * 16
    np.testing.assert_allclose(hist.history["loss"][0], 4.8, rtol=1e-5)
    assert sorted(hist.history) == ["loss", "y_one_loss", "y_one_mean_squared_error", "y_two_loss",
                                    "y_two_mean_squared_error"]


def test_mixed_float16_compiles_with_loss_scale_optimizer():
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    layer_model = keras.layers.Dense(1, dtype="mixed_float16")
    from unidl_keras.trainers.trainer import Trainer

    class Mixed(Trainer, keras.layers.Dense):
        def __init__(self):
            keras.layers.Dense.__init__(self, 1, dtype="mixed_float16")
            Trainer.__init__(self)

    mixed = Mixed()
    mixed.compile(optimizer="rmsprop", loss="mse")
    assert isinstance(mixed.optimizer, keras.optimizers.LossScaleOptimizer)
    plain = Mixed()
    plain.compile(optimizer="rmsprop", loss="mse", auto_scale_loss=False)
    assert isinstance(plain.optimizer, keras.optimizers.RMSprop)
    m.compile(optimizer="rmsprop", loss="mse")
    assert isinstance(m.optimizer, keras.optimizers.RMSprop) and layer_model.dtype_policy.name == "mixed_float16"


def test_custom_compute_loss_splitting_one_output_keeps_its_own_structure():
    class Split(keras.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return super().compute_loss(x, y, [y_pred[:, :1], y_pred[:, 1:]], sample_weight, training)

    inp = keras.Input((3,))
    m = Split(inp, keras.layers.Dense(2)(inp))
    m.compile(optimizer="sgd", loss=["mean_squared_error", "binary_crossentropy"])
    rs = np.random.RandomState(0)
    hist = m.fit(rs.rand(8, 3), (rs.rand(8, 1), rs.randint(0, 2, (8, 1))), batch_size=2, epochs=1, verbose=0)
    assert sorted(hist.history) == ["binary_crossentropy_loss", "loss", "mean_squared_error_loss"]


def test_tree_assert_same_structure_messages_as_keras():
    # optree's messages, as real Keras 3.15.1 raises them
    with pytest.raises(ValueError, match=r"Node type mismatch; expected <class 'tuple'>, but got <class 'numpy.ndarray'>"):
        keras.tree.assert_same_structure((1, 2), np.ones(2))
    with pytest.raises(ValueError, match=r"Node type mismatch; expected <class 'list'>, but got <class 'tuple'>"):
        keras.tree.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError, match="Node arity mismatch; expected 2, but got 3"):
        keras.tree.assert_same_structure([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"Node keys mismatch; missing key\(s\): \{'a'\}; extra key\(s\): \{'b'\}"):
        keras.tree.assert_same_structure({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="Structures don't have the same nested structure"):
        keras.tree.assert_same_structure(1, [1])
    keras.tree.assert_same_structure({"a": [1, (2,)]}, {"a": [3, (4,)]})


def test_layer_subclass_without_get_config_gets_keras_auto_config():
    class CustomDense(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    class NoName(keras.layers.Layer):
        def __init__(self, units, scale=2.0):
            super().__init__()
            self.units = units

    cfg = CustomDense(10, name="cd").get_config()
    assert cfg["name"] == "cd" and cfg["units"] == 10  # real Keras 3.15.1: name, units, trainable, dtype
    assert list(NoName(3, scale=1.5).get_config())[:3] == ["units", "scale", "trainable"]  # no name: __init__
    inputs = keras.Input((4,))
    model = keras.Model(inputs, CustomDense(10)(inputs))
    revived = keras.Model.from_config(model.get_config(), custom_objects={"CustomDense": CustomDense})
    assert isinstance(revived.layers[1], CustomDense) and revived.layers[1].dense.units == 10


def test_functional_inputs_keep_their_own_dtypes():
    fi, ii = keras.Input((2,), dtype="float16"), keras.Input((2,), dtype="int32")
    model = keras.Model((fi, ii), (fi + 2, ii + 2))
    f, i = model((np.ones((2, 2)), np.ones((2, 2))))
    assert keras.backend.standardize_dtype(f.dtype) == "float16"
    assert keras.backend.standardize_dtype(i.dtype) == "int32"


def test_functional_training_flag_meets_recorded_training_kwargs():
    # real Keras 3.15.1: a node recorded with training=True drops out unless the model is called with
    # training=False (predict, evaluate); a node recorded with training=False stays in inference
    inputs = keras.Input((20,))
    model = keras.Model(inputs, keras.layers.Dropout(0.5, seed=1337)(inputs, training=True))
    ones = np.ones((2, 20), "float32")
    assert float(keras.ops.convert_to_numpy(model(ones, training=False)).sum()) == 40.0
    assert model.predict(np.ones((4, 20), "float32"), batch_size=2, verbose=0).sum() == 80.0
    dropped = keras.ops.convert_to_numpy(model(ones))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and (dropped == 0).any()
    i2 = keras.Input((20,))
    frozen = keras.Model(i2, keras.layers.Dropout(0.5, seed=1)(i2, training=False))
    assert float(keras.ops.convert_to_numpy(frozen(ones, training=True)).sum()) == 40.0
