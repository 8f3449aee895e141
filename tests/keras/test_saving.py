"""keras.saving: .keras archives, .weights.h5 stores and legacy .h5 files, both ways with real Keras 3.

The reference files in tests/keras/data/ were written by real Keras 3.15.1 (torch backend) with
data/make_fixtures.py; expected.npz holds the inputs and the outputs real Keras computed. These tests
do not need real Keras.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.saving import h5_weights, keras_archive, saving_api
from unidl_keras.saving.safe_mode import SafeModeScope

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="module")
def expected():
    return dict(np.load(os.path.join(DATA, "expected.npz")))


def _x(n=6, d=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype("float32")


def seq_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)],
                            name="seq")


def fun_model():
    """The same graph as make_fixtures.fun_model (two inputs, two outputs, a shared Dense)."""
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    shared = keras.layers.Dense(3, activation="tanh", name="shared")
    h = keras.layers.Dense(3, name="proj")(a)
    o1 = keras.layers.Dense(2, name="o1")(shared(h))
    o2 = keras.layers.Dense(1, activation="sigmoid", name="o2")(shared(b))
    return keras.Model([a, b], [o1, o2], name="fun")


@keras.saving.register_keras_serializable(package="unidl_test")
class Sub(keras.Model):
    """The same attributes as make_fixtures.Sub: d1, a list `blocks`, a nested Sequential `inner`."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.d1 = keras.layers.Dense(3, activation="relu")
        self.blocks = [keras.layers.Dense(3), keras.layers.Dense(2)]
        self.inner = keras.Sequential([keras.layers.Dense(2)])

    def call(self, x):
        x = self.d1(x)
        for blk in self.blocks:
            x = blk(x)
        return self.inner(x)


def h5_tree(source, with_names=True):
    """{path: (shape, dtype) for datasets, ('group', name attr) for groups}."""
    out = {}
    with h5py.File(source, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = (tuple(obj.shape), obj.dtype.str)
            else:
                out[name] = ("group", obj.attrs.get("name") if with_names else None)
        f.visititems(visit)
    return out


def archive_weights(path):
    with zipfile.ZipFile(path) as z:
        return io.BytesIO(z.read("model.weights.h5"))


def assert_same_weights(m1, m2):
    w1, w2 = m1.get_weights(), m2.get_weights()
    assert len(w1) == len(w2)
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


# -- round trips --------------------------------------------------------------------------------------

def test_sequential_keras_roundtrip_with_compile_and_optimizer_state(tmp_path):
    m = seq_model()
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    m.train_on_batch(_x(), np.ones((6, 2), "float32"))
    path = tmp_path / "m.keras"
    m.save(path)
    m2 = keras.models.load_model(path)
    assert isinstance(m2, keras.Sequential) and m2.name == "seq"
    assert_same_weights(m, m2)
    np.testing.assert_array_equal(m.predict(_x(), verbose=0), m2.predict(_x(), verbose=0))
    assert m2.compiled
    v1, v2 = m.optimizer.variables, m2.optimizer.variables
    assert len(v1) == len(v2) == 10
    for a, b in zip(v1, v2):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    m3 = keras.models.load_model(path, compile=False)
    assert not m3.compiled


def test_functional_multi_io_shared_layer_roundtrips(tmp_path):
    m = fun_model()
    xs = [_x(), _x(d=3, seed=1)]
    want = m.predict(xs, verbose=0)
    for suffix in ("m.keras", "m.h5"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.save(tmp_path / suffix)
            m2 = keras.saving.load_model(tmp_path / suffix)
        assert [x.name for x in m2.layers] == [x.name for x in m.layers]
        assert_same_weights(m, m2)
        for a, b in zip(want, m2.predict(xs, verbose=0)):
            np.testing.assert_array_equal(a, b)
    m.save_weights(tmp_path / "m.weights.h5")
    m3 = fun_model()
    m3.load_weights(tmp_path / "m.weights.h5")
    assert_same_weights(m, m3)
    m4 = fun_model()
    m4.load_weights(tmp_path / "m.keras")
    assert_same_weights(m, m4)


def test_subclassed_model_roundtrip(tmp_path):
    m = Sub(name="sub")
    m(_x()[:1])
    m.save(tmp_path / "s.keras")
    m2 = keras.saving.load_model(tmp_path / "s.keras")
    assert type(m2) is Sub
    assert_same_weights(m, m2)
    np.testing.assert_array_equal(m(_x()).numpy(), m2(_x()).numpy())
    m.save_weights(tmp_path / "s.weights.h5")
    tree = h5_tree(tmp_path / "s.weights.h5")
    assert tree["d1/vars/0"] == ((4, 3), "<f4")
    assert {"blocks/dense/vars/0", "blocks/dense_1/vars/0", "inner/layers/dense/vars/0"} <= set(tree)


def test_to_json_and_clone():
    m = fun_model()
    m2 = keras.models.model_from_json(m.to_json())
    assert [x.name for x in m2.layers] == [x.name for x in m.layers]
    clone = keras.models.clone_model(seq_model())
    assert len(clone.weights) == 4


# -- real Keras files ---------------------------------------------------------------------------------

def test_load_real_keras_sequential_archive(expected):
    m = keras.saving.load_model(os.path.join(DATA, "seq.keras"))
    np.testing.assert_allclose(m.predict(expected["x4"], verbose=0), expected["seq"], rtol=1e-5, atol=1e-6)
    assert m.compiled
    assert int(m.optimizer.iterations.numpy()) == int(expected["seq_opt_iterations"])


def test_load_real_keras_functional_archive_and_weights(expected):
    xs = [expected["x4"], expected["x3"]]
    m = keras.saving.load_model(os.path.join(DATA, "fun.keras"))
    o1, o2 = m.predict(xs, verbose=0)
    np.testing.assert_allclose(o1, expected["fun_o1"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o2, expected["fun_o2"], rtol=1e-5, atol=1e-6)
    m2 = fun_model()
    m2.load_weights(os.path.join(DATA, "fun.weights.h5"))
    for a, b in zip(m2.predict(xs, verbose=0), (expected["fun_o1"], expected["fun_o2"])):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_load_real_keras_subclassed_weights(expected):
    m = Sub()
    m(expected["x4"][:1])
    m.load_weights(os.path.join(DATA, "sub.weights.h5"))
    np.testing.assert_allclose(m(expected["x4"]).numpy(), expected["sub"], rtol=1e-5, atol=1e-6)


def test_load_legacy_h5_written_by_keras3(expected):
    m = keras.saving.load_model(os.path.join(DATA, "seq_legacy.h5"))
    np.testing.assert_allclose(m.predict(expected["x4"], verbose=0), expected["seq"], rtol=1e-5, atol=1e-6)
    assert m.compiled


def test_load_keras2_style_files(expected):
    m = keras.saving.load_model(os.path.join(DATA, "keras2_seq.h5"))
    np.testing.assert_allclose(m.predict(expected["x4"], verbose=0), expected["keras2"], rtol=1e-5, atol=1e-6)
    assert m.compiled
    assert m.optimizer.get_config()["learning_rate"] == pytest.approx(0.002)  # Keras 2's `lr`
    m2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                           keras.layers.Dense(2, activation="softmax")])
    m2.load_weights(os.path.join(DATA, "keras2_weights.h5"))
    np.testing.assert_allclose(m2.predict(expected["x4"], verbose=0), expected["keras2"], rtol=1e-5, atol=1e-6)


def test_weights_file_without_name_attributes(tmp_path, expected):
    path = tmp_path / "old.weights.h5"
    shutil.copy(os.path.join(DATA, "fun.weights.h5"), path)
    with h5py.File(path, "a") as f:
        f.visititems(lambda n, o: o.attrs.__delitem__("name") if "name" in o.attrs else None)
    m = fun_model()
    m.load_weights(path)
    np.testing.assert_allclose(m.predict([expected["x4"], expected["x3"]], verbose=0)[0], expected["fun_o1"],
                               rtol=1e-5, atol=1e-6)


# -- layout identical to real Keras -------------------------------------------------------------------

def test_weights_h5_layout_matches_real_keras(tmp_path):
    fun_model().save_weights(tmp_path / "f.weights.h5")
    assert h5_tree(tmp_path / "f.weights.h5") == h5_tree(os.path.join(DATA, "fun.weights.h5"))


def test_keras_archive_layout_matches_real_keras(tmp_path):
    m = seq_model()
    m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    m.train_on_batch(_x(), np.ones((6, 2), "float32"))
    m.save(tmp_path / "s.keras")
    ref = os.path.join(DATA, "seq.keras")
    with zipfile.ZipFile(tmp_path / "s.keras") as z1, zipfile.ZipFile(ref) as z2:
        assert z1.namelist() == z2.namelist()
    ours = h5_tree(archive_weights(tmp_path / "s.keras"), with_names=False)
    theirs = h5_tree(archive_weights(ref), with_names=False)
    assert ours == theirs  # layers/dense*, optimizer/vars/0..9 (int32 iterations, float32 lr, slots), vars


def test_functional_config_matches_real_keras():
    with zipfile.ZipFile(os.path.join(DATA, "fun.keras")) as z:
        ref = json.loads(z.read("config.json"))
    ours = keras.saving.serialize_keras_object(fun_model())
    for key in ("module", "class_name", "registered_name"):
        assert ours[key] == ref[key]
    rc, oc = ref["config"], ours["config"]
    assert oc["input_layers"] == rc["input_layers"] and oc["output_layers"] == rc["output_layers"]

    def summary(cfg):
        return [(lc["module"], lc["class_name"], lc["name"], lc["inbound_nodes"], lc.get("build_config"))
                for lc in cfg["layers"]]

    assert summary(oc) == summary(rc)


# -- failure paths ------------------------------------------------------------------------------------

def test_save_weights_requires_weights_h5_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"The filename must end in `\.weights\.h5`"):
        seq_model().save_weights(tmp_path / "w.h5")
    assert not os.listdir(tmp_path)


def test_save_and_load_bad_suffix(tmp_path):
    with pytest.raises(ValueError, match="Invalid filepath extension for saving"):
        seq_model().save(tmp_path / "m.txt")
    (tmp_path / "m.txt").write_text("x")
    with pytest.raises(ValueError, match="File format not supported"):
        keras.saving.load_model(tmp_path / "m.txt")
    with pytest.raises(ValueError, match="File not found"):
        keras.saving.load_model(tmp_path / "missing.keras")


def test_overwrite_false_keeps_existing_file(tmp_path):
    path = tmp_path / "m.weights.h5"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        seq_model().save_weights(path, overwrite=False)
    assert path.read_bytes() == b"old"


def test_failing_save_leaves_no_file_and_keeps_old(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(h5_weights, "write_weights", boom)
    with pytest.raises(RuntimeError):
        seq_model().save(tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []
    (tmp_path / "m.keras").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        seq_model().save(tmp_path / "m.keras")
    assert os.listdir(tmp_path) == ["m.keras"] and (tmp_path / "m.keras").read_bytes() == b"old"

    def atomic_boom(path, data):
        raise OSError("no space left")

    monkeypatch.undo()
    monkeypatch.setattr(saving_api, "write_bytes_atomic", atomic_boom)
    with pytest.raises(OSError):
        seq_model().save_weights(tmp_path / "n.weights.h5")
    assert not (tmp_path / "n.weights.h5").exists()


def test_corrupt_and_truncated_archives(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"bad\.keras is not a valid \.keras archive"):
        keras.saving.load_model(bad)
    data = open(os.path.join(DATA, "seq.keras"), "rb").read()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.keras"):
        keras.saving.load_model(cut)
    flipped = bytearray(data)
    i = data.index(b"HDF") + 4000
    flipped[i:i + 64] = bytes(b ^ 0xFF for b in flipped[i:i + 64])  # CRC no longer matches
    broken = tmp_path / "crc.keras"
    broken.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=r"crc\.keras"):
        keras.saving.load_model(broken)


def test_zip_bomb_refused(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", b"\x00" * (8 << 20))
    with pytest.raises(ValueError, match="zip bomb"):
        keras.saving.load_model(path)


def test_truncated_h5_names_the_file(tmp_path):
    data = open(os.path.join(DATA, "fun.weights.h5"), "rb").read()
    path = tmp_path / "t.weights.h5"
    path.write_bytes(data[:1000])
    with pytest.raises(ValueError, match=r"t\.weights\.h5.*(truncated|corrupt)"):
        fun_model().load_weights(path)


def test_shape_mismatch_names_layer_and_shapes(tmp_path):
    m = seq_model()
    m.save_weights(tmp_path / "m.weights.h5")
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(5)])
    with pytest.raises(ValueError, match=r"layers/dense_1/vars.*\(3, 5\).*\(3, 2\)"):
        other.load_weights(tmp_path / "m.weights.h5")
    before = other.get_weights()
    with pytest.warns(UserWarning, match="Skipping"):
        other.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    after = other.get_weights()
    np.testing.assert_array_equal(after[0], m.get_weights()[0])  # matching layer loaded
    np.testing.assert_array_equal(after[2], before[2])  # mismatched layer skipped


def test_layer_count_mismatch(tmp_path):
    m = seq_model()
    m.save_weights(tmp_path / "m.weights.h5")
    bigger = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="layers/dense_2/vars"):
        bigger.load_weights(tmp_path / "m.weights.h5")
    smaller = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="does not have"):
        smaller.load_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match="Layer count mismatch"):
        smaller.load_weights(os.path.join(DATA, "keras2_weights.h5"))


def test_dataset_names_sorted_numerically():
    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        g = f.create_group("vars")
        for i in range(12):
            g.create_dataset(str(i), data=np.full((1,), i))
        assert h5_weights.sorted_dataset_names(g) == [str(i) for i in range(12)]


# -- safe mode, registration ----------------------------------------------------------------------------

def _lambda_config():
    return {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "lam", "function": {"class_name": "__lambda__", "config": {"code": "AAAA"}}}}


def test_safe_mode_refuses_code(tmp_path):
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.deserialize_keras_object(_lambda_config())
    with pytest.raises(ValueError, match="arbitrary code"):
        keras.saving.deserialize_keras_object({"class_name": "__lambda__", "config": {"code": "AAAA"}})
    cfg = keras.saving.serialize_keras_object(seq_model())
    cfg["config"]["layers"].append(_lambda_config())
    path = tmp_path / "lam.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.saving.load_model(path)
    with SafeModeScope(True):
        with pytest.raises(ValueError, match="safe_mode=False"):
            keras.saving.load_model(path, safe_mode=True)


def test_registration_and_custom_objects():
    assert keras.saving.get_registered_name(Sub) == "unidl_test>Sub"
    assert keras.saving.get_registered_object("unidl_test>Sub") is Sub

    class Local(keras.layers.Dense):
        pass

    cfg = keras.saving.serialize_keras_object(Local(2))
    assert cfg["registered_name"] == "Local"
    with pytest.raises(ValueError, match="Could not locate class 'Local'"):
        keras.saving.deserialize_keras_object(cfg)
    assert type(keras.saving.deserialize_keras_object(cfg, custom_objects={"Local": Local})) is Local
    with keras.saving.custom_object_scope({"Local": Local}):
        assert type(keras.saving.deserialize_keras_object(cfg)) is Local


def test_serialize_values():
    s = keras.saving.serialize_keras_object
    assert s(keras.layers.Dense(2))["module"] == "keras.layers"
    assert s(seq_model())["module"] == "keras"
    arr = keras.saving.deserialize_keras_object(s(np.arange(3, dtype="int32")))
    np.testing.assert_array_equal(arr, np.arange(3))
    assert keras.saving.deserialize_keras_object({"class_name": "__tuple__", "config": {"value": [1, 2]}}) == (1, 2)


def test_archive_reader_rejects_npz_and_unsafe_paths(tmp_path):
    p = tmp_path / "npz.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.npz", b"")
    with pytest.raises(keras_archive.ArchiveError, match="unpickling"):
        keras_archive.read_archive(str(p))
    p2 = tmp_path / "trav.keras"
    with zipfile.ZipFile(p2, "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("../evil", b"x")
    with pytest.raises(keras_archive.ArchiveError, match="unsafe path"):
        keras_archive.read_archive(str(p2))


def test_keras2_functional_config_with_node_lists():
    from unidl_keras.saving.legacy_h5 import upgrade_config

    dense = {"name": "dense", "units": 2, "activation": "linear",
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}}}
    cfg = {"class_name": "Model", "config": {
        "name": "model",
        "layers": [
            {"name": "input_1", "class_name": "InputLayer", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "ragged": False,
                        "name": "input_1"}},
            {"name": "dense", "class_name": "Dense", "config": dense, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
            {"name": "dense_1", "class_name": "Dense", "config": {"name": "dense_1", "units": 1},
             "inbound_nodes": [[["dense", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]}}
    m = keras.saving.deserialize_keras_object(upgrade_config(cfg))
    assert [x.name for x in m.layers] == ["input_1", "dense", "dense_1"]
    assert tuple(m(_x(2)).shape) == (2, 1)


def test_dict_inputs_and_outputs_roundtrip(tmp_path):
    i = {"p": keras.Input((3,), name="p"), "q": keras.Input((2,), name="q")}
    m = keras.Model(i, {"o": keras.layers.Dense(2)(i["p"])})
    cfg = keras.saving.serialize_keras_object(m)["config"]
    assert cfg["input_layers"] == {"p": ["p", 0, 0], "q": ["q", 0, 0]}
    m.save(tmp_path / "d.keras")
    m2 = keras.saving.load_model(tmp_path / "d.keras")
    x = {"p": _x(2, 3), "q": _x(2, 2)}
    np.testing.assert_array_equal(m(x)["o"].numpy(), m2(x)["o"].numpy())
