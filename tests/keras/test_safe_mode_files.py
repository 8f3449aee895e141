"""Safe mode: a file may name only what unidl_keras provides, what is registered, or what the caller passes in
custom_objects. A Lambda whose function names an arbitrary module is refused at load, naming the file and the
module; nothing from that module runs."""
from __future__ import annotations

import io
import json
import sys
import zipfile

import numpy as np
import pytest

import unidl_keras as keras


@keras.saving.register_keras_serializable(package="safe_mode_test")
def triple(t):
    return t * 3.0


def double(t):
    return t * 2.0


def _lambda_model(fn):
    return keras.Sequential([keras.Input((3,)), keras.layers.Lambda(fn), keras.layers.Dense(2)])


def _with_function(path, tmp_path, module, name, arguments=None):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    cfg = json.loads(members["config.json"])
    for layer in cfg["config"]["layers"]:
        if layer["class_name"] == "Lambda":
            layer["config"]["function"] = {"module": module, "class_name": "function", "config": name,
                                           "registered_name": "function"}
            if arguments is not None:
                layer["config"]["arguments"] = arguments
    members["config.json"] = json.dumps(cfg).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    out = tmp_path / "hostile.keras"
    out.write_bytes(buf.getvalue())
    return out


def test_a_lambda_naming_an_arbitrary_module_is_refused_in_safe_mode(tmp_path):
    m = _lambda_model(keras.activations.relu)
    m.save(str(tmp_path / "m.keras"))
    marker = tmp_path / "ran"
    path = _with_function(tmp_path / "m.keras", tmp_path, "os", "system", {"command": f"touch {marker}"})
    sys.modules.pop("this", None)
    with pytest.raises(ValueError, match=r"hostile\.keras.*function 'system' of module 'os'.*safe mode"):
        keras.saving.load_model(str(path))
    assert not marker.exists()
    path2 = _with_function(tmp_path / "m.keras", tmp_path, "this", "s")   # importing `this` prints: must not happen
    with pytest.raises(ValueError, match="module 'this'"):
        keras.saving.load_model(str(path2))
    assert "this" not in sys.modules


def test_unidl_keras_own_registered_and_custom_functions_still_load(tmp_path):
    m = _lambda_model(keras.activations.relu)
    path = tmp_path / "m.keras"
    m.save(str(path))
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    assert np.array_equal(keras.saving.load_model(str(path)).predict(x, verbose=0), m.predict(x, verbose=0))

    for fn, kw in ((triple, {}), (double, {"custom_objects": {"double": double}})):
        m2 = _lambda_model(fn)
        m2.save(str(tmp_path / "d.keras"))
        loaded = keras.saving.load_model(str(tmp_path / "d.keras"), **kw)
        assert np.allclose(loaded.predict(x, verbose=0), m2.predict(x, verbose=0))


def test_unsafe_mode_still_imports_named_modules(tmp_path):
    m = _lambda_model(keras.activations.relu)
    m.save(str(tmp_path / "m.keras"))
    path = _with_function(tmp_path / "m.keras", tmp_path, "numpy", "tanh")
    loaded = keras.saving.load_model(str(path), safe_mode=False)
    x = np.random.RandomState(0).randn(2, 3).astype("float32")
    assert loaded.predict(x, verbose=0).shape == (2, 2)
