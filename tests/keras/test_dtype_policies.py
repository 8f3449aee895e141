"""keras.dtype_policies on the Keras face; expected values from real Keras 3.15.1 (torch backend)."""
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras import dtype_policies as dp


@pytest.fixture(autouse=True)
def _restore_global_policy():
    from unidl_keras.dtype_policies import dtype_policy as m

    saved = m._GLOBAL["policy"]
    yield
    m._GLOBAL["policy"] = saved


@pytest.mark.parametrize("name,compute,variable", [
    ("float32", "float32", "float32"), ("float16", "float16", "float16"), ("bfloat16", "bfloat16", "bfloat16"),
    ("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
    ("float64", "float64", "float64"), ("int32", "int32", "int32")])
def test_policy_dtypes(name, compute, variable):
    p = dp.DTypePolicy(name)
    assert p.name == name
    assert p.compute_dtype == compute and p.variable_dtype == variable
    assert p.quantization_mode is None
    assert p.get_config() == {"name": name}
    assert repr(p) == f'<DTypePolicy "{name}">'
    assert dp.DTypePolicy.from_config(p.get_config()) == p


def test_default_and_equality():
    assert dp.DTypePolicy().name == "float32"
    assert dp.DTypePolicy("float16") == dp.DTypePolicy("float16")
    assert dp.DTypePolicy("float16") != dp.DTypePolicy("mixed_float16")
    assert not (dp.DTypePolicy("float16") == "float16")
    assert dp.FloatDTypePolicy is not dp.DTypePolicy and issubclass(dp.FloatDTypePolicy, dp.DTypePolicy)
    assert dp.FloatDTypePolicy("float16") == dp.DTypePolicy("float16")
    assert repr(dp.FloatDTypePolicy("mixed_float16")) == '<DTypePolicy "mixed_float16">'


def test_bad_names():
    msg = ("Cannot convert 'mixed_float32' to a mixed precision DTypePolicy. Valid policies include "
           "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as 'float32'.")
    with pytest.raises(ValueError) as e:
        dp.DTypePolicy("mixed_float32")
    assert str(e.value) == msg
    with pytest.raises(ValueError, match="Cannot convert 'foo'"):
        dp.DTypePolicy("foo")
    with pytest.raises(TypeError, match="'name' must be a string"):
        dp.DTypePolicy(1)
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        dp.get(1)


def test_serialize_deserialize_get():
    assert dp.serialize(dp.DTypePolicy("mixed_float16")) == {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}, "registered_name": None}
    assert dp.serialize(dp.FloatDTypePolicy("float16"))["class_name"] == "FloatDTypePolicy"
    assert dp.deserialize(dp.serialize(dp.DTypePolicy("mixed_float16"))) == dp.DTypePolicy("mixed_float16")
    assert dp.deserialize({"class_name": "DTypePolicy", "config": {"name": "float16"}}).name == "float16"
    assert dp.get("mixed_bfloat16") == dp.DTypePolicy("mixed_bfloat16")
    p = dp.DTypePolicy("float16")
    assert dp.get(p) is p
    assert dp.get({"class_name": "DTypePolicy", "config": {"name": "float16"}}).name == "float16"
    assert dp.get(None).name == "float32"


def test_convert_input():
    p = dp.DTypePolicy("mixed_float16")
    assert np.dtype(p.convert_input(np.ones(2, "float32"), True, "float16").dtype) == np.float16
    assert np.dtype(p.convert_input(np.ones(2, "int32"), True, "float16").dtype) == np.int32
    assert np.dtype(p.convert_input(np.ones(2, "float32"), False, "float16").dtype) == np.float32
    assert isinstance(p.convert_input([1.0, 2.0], True, "float16"), list)
    assert p.convert_input(3.0, True, "float16") == 3.0


def test_global_policy():
    assert keras.config.dtype_policy() == dp.DTypePolicy("float32")
    keras.config.set_dtype_policy("mixed_float16")
    assert keras.config.dtype_policy() == dp.DTypePolicy("mixed_float16")
    layer = keras.layers.Dense(2)
    assert layer.dtype_policy == dp.DTypePolicy("mixed_float16")
    assert layer.dtype == "float32"
    keras.config.set_dtype_policy(dp.DTypePolicy("float16"))
    assert keras.layers.Dense(2).dtype == "float16"
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        keras.config.set_dtype_policy(1)
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        keras.config.set_dtype_policy(None)
    assert keras.mixed_precision.global_policy() == dp.DTypePolicy("float16")


def test_layer_policies():
    layer = keras.layers.Dense(2)
    assert layer.dtype_policy == dp.DTypePolicy("float32")
    layer = keras.layers.Dense(2, dtype=dp.DTypePolicy("float16"))
    assert layer.dtype == "float16" and layer.compute_dtype == "float16"
    assert layer.get_config()["dtype"] == dp.serialize(dp.DTypePolicy("float16"))
    out = layer(np.ones((1, 3), "float32"))
    assert np.dtype(out.dtype) == np.float16 and np.dtype(layer.kernel.dtype) == np.float16
    layer = keras.layers.Dense(2, dtype="mixed_float16")
    assert layer.dtype_policy == dp.DTypePolicy("mixed_float16")
    assert layer.dtype == "float32" and layer.variable_dtype == "float32"
    assert layer.get_config()["dtype"]["config"] == {"name": "mixed_float16"}
    assert keras.layers.Dense.from_config(layer.get_config()).dtype_policy == dp.DTypePolicy("mixed_float16")
    layer = keras.layers.Dense(2)
    layer.dtype_policy = "float16"
    assert layer.dtype_policy == dp.DTypePolicy("float16") and layer.dtype == "float16"
    with pytest.raises(AttributeError):
        layer.dtype = "float16"


def test_quantized_policies():
    # values from real Keras 3.15.1
    p = dp.QuantizedDTypePolicy("int8", "float32")
    assert (p.name, p.quantization_mode, p.compute_dtype) == ("int8_from_float32", "int8", "float32")
    assert p.get_config() == {"mode": "int8", "source_name": "float32"}
    assert repr(p) == '<QuantizedDTypePolicy "int8_from_float32">'
    q = dp.get("float8_from_mixed_bfloat16")
    assert type(q).__name__ == "QuantizedFloat8DTypePolicy" and q.amax_history_length == 1024
    assert (q.compute_dtype, q.variable_dtype) == ("bfloat16", "float32")
    assert repr(q) == '<QuantizedFloat8DTypePolicy "float8_from_mixed_bfloat16">'
    m = dp.DTypePolicyMap()
    m["enc/.*"] = "int8_from_float32"
    assert (m["enc/dense"].name, m["dec"].name, m.name, len(m)) == ("int8_from_float32", "float32", "map_float32", 1)
    with pytest.raises(ValueError, match=r"Invalid block_size in mode\. Supported values are -1 \(per-channel\)"):
        dp.get("int4/0_from_float32")
