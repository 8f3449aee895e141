"""bfloat16 as a compute dtype in the Keras face, and Keras's dtype promotion rules.

Expected dtypes and values come from real Keras 3.15.1 (torch backend, bfloat16 tensors read back as
float32), except where a comment says the value is Keras-on-JAX's (uint sums) or derived with NumPy.
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ml_dtypes")

import unidl_keras as keras  # noqa: E402
from unidl_keras import ops  # noqa: E402
from unidl_keras.ops import numpy as knp  # noqa: E402

BF = "bfloat16"


def _dt(t):
    return keras.backend.standardize_dtype(t.dtype)


def _f32(t):
    return ops.convert_to_numpy(ops.cast(t, "float32"))


def _grid():
    return ops.convert_to_tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), dtype=BF)


# keras.backend.result_type on Keras's lattice; `int`/`float` are the weak Python types (real Keras 3.15.1)
RESULT_TYPES = [
    (("bfloat16", "float16"), "float32"), (("int32", "bfloat16"), "bfloat16"), (("uint8", "bfloat16"), "bfloat16"),
    (("bfloat16", float), "bfloat16"), (("bfloat16", int), "bfloat16"), (("int8", int), "int8"),
    (("int8", float), "float32"), (("uint8", "int8"), "int16"), (("uint16", "int16"), "int32"),
    (("int64", "float16"), "float16"), (("float64",), "float32"), (("int64",), "int32"),
    (("uint64", "int8"), "float32"), (("bool", int), "int32"), (("float16", "float32"), "float32"),
    (("bfloat16", "bfloat16"), "bfloat16"), (("bool", "bool"), "bool"), (("int32", "uint32"), "int32"),
    ((float, int), "float32"), ((int,), "int32"), ((float,), "float32"), (("uint32", "int8"), "int32"),
]


@pytest.mark.parametrize("args,expected", RESULT_TYPES)
def test_backend_result_type_matches_keras(args, expected):
    assert keras.backend.result_type(*args) == expected


def test_backend_result_type_of_nothing_is_floatx_and_float8_is_refused():
    assert keras.backend.result_type() == "float32"
    with pytest.raises(ValueError, match="no implicit conversions from float8"):
        keras.backend.result_type("float8_e4m3fn", "float32")


def test_standardize_dtype_names():
    assert keras.backend.standardize_dtype("bfloat16") == "bfloat16"
    assert keras.backend.standardize_dtype(int) == "int32"
    assert keras.backend.standardize_dtype(float) == "float32"
    assert keras.backend.standardize_dtype(np.dtype("float64")) == "float64"
    assert keras.backend.standardize_dtype(str) == "string"

    class TorchLike:  # torch.float16 prints as "torch.float16" and has no .name
        def __str__(self):
            return "torch.float16"

    assert keras.backend.standardize_dtype(TorchLike()) == "float16"
    assert keras.backend.standardize_dtype(type("bfloat16", (), {})) == "bfloat16"  # as jax.numpy.bfloat16
    with pytest.raises(ValueError, match="Invalid dtype: nonsense"):
        keras.backend.standardize_dtype("nonsense")


def test_bfloat16_tensors_keep_their_dtype_through_ops():
    x = _grid()
    assert _dt(x) == BF
    assert _dt(ops.sqrt(ops.abs(x))) == BF
    for fn in (ops.exp, ops.tanh, ops.abs, ops.negative, ops.sigmoid, ops.relu, ops.gelu, ops.elu,
               ops.softmax, ops.log_softmax, ops.erf, ops.mean, ops.sum, ops.max, ops.var, ops.std):
        assert _dt(fn(x)) == BF, fn.__name__
    assert _dt(ops.matmul(x, ops.transpose(x))) == BF
    assert _dt(ops.einsum("ij,kj->ik", x, x)) == BF
    assert _dt(ops.clip(x, -1, 1)) == BF
    assert _dt(ops.erfinv(ops.multiply(x, 0.25))) == BF


def test_bfloat16_promotion_in_ops():
    x = _grid()
    assert _dt(ops.add(x, ops.ones((3, 4), "float16"))) == "float32"
    assert _dt(ops.add(ops.ones((3, 4), "int32"), x)) == BF
    assert _dt(ops.add(x, 0.5)) == BF
    assert _dt(ops.add(x, 1)) == BF
    assert _dt(ops.divide(ops.ones((2,), "int16"), ops.full((2,), 3, BF))) == BF
    assert _dt(ops.divide(ops.ones((2,), "bool"), ops.full((2,), 3, BF))) == BF
    assert _dt(ops.average(ops.ones((2,), "int16"), weights=ops.ones((2,), BF))) == BF
    assert _dt(ops.add(ops.ones((2,), "float16"), ops.ones((2,), BF))) == "float32"


def test_bfloat16_values_match_keras():
    x = _grid()
    np.testing.assert_array_equal(_f32(ops.matmul(x, ops.transpose(x))),
                                  [[9.125, 0.66015625, -7.8125], [0.66015625, 0.6640625, 0.66015625],
                                   [-7.8125, 0.66015625, 9.125]])
    np.testing.assert_array_equal(_f32(ops.einsum("ij,kj->ik", x, x)), _f32(ops.matmul(x, ops.transpose(x))))
    np.testing.assert_array_equal(_f32(ops.erf(x)),
                                  [[-0.99609375, -0.98046875, -0.9296875, -0.80078125],
                                   [-0.5625, -0.203125, 0.203125, 0.5625],
                                   [0.80078125, 0.9296875, 0.98046875, 0.99609375]])
    np.testing.assert_array_equal(_f32(ops.exp(x)),
                                  [[0.1357421875, 0.1953125, 0.279296875, 0.40234375],
                                   [0.578125, 0.83203125, 1.1953125, 1.7265625],
                                   [2.484375, 3.578125, 5.125, 7.375]])
    np.testing.assert_array_equal(_f32(ops.add(ops.ones((3, 4), "int32"), x)),
                                  [[-1.0, -0.6328125, -0.2734375, 0.08984375], [0.453125, 0.8203125, 1.1796875, 1.546875],
                                   [1.90625, 2.28125, 2.625, 3.0]])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.add(x, ops.ones((3, 4), "float16"))),
                                  np.array([[-1.0, -0.6328125, -0.2734375, 0.08984375],
                                            [0.453125, 0.818359375, 1.181640625, 1.546875],
                                            [1.91015625, 2.2734375, 2.6328125, 3.0]], np.float32))
    np.testing.assert_array_equal(_f32(ops.clip(x, -1, 1)),
                                  [[-1.0, -1.0, -1.0, -0.91015625], [-0.546875, -0.181640625, 0.181640625, 0.546875],
                                   [0.91015625, 1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(_f32(ops.divide(ops.ones((2,), "int16"), ops.full((2,), 3, BF))),
                                  [0.333984375, 0.333984375])
    # within one bfloat16 step (2**-8 relative) of Keras's values: the float32 results round the same way
    # except where torch's kernels order the arithmetic differently
    np.testing.assert_allclose(_f32(ops.softmax(x)),
                               [[0.1337890625, 0.1923828125, 0.275390625, 0.396484375],
                                [0.1337890625, 0.1923828125, 0.275390625, 0.3984375],
                                [0.1337890625, 0.1923828125, 0.275390625, 0.3984375]], rtol=2 ** -8)
    np.testing.assert_allclose(_f32(ops.gelu(x)),
                               [[-0.04541015625, -0.083984375, -0.12890625, -0.1650390625],
                                [-0.16015625, -0.07763671875, 0.10400390625, 0.38671875],
                                [0.74609375, 1.140625, 1.546875, 1.953125]], rtol=2 ** -8, atol=2 ** -12)
    np.testing.assert_allclose(_f32(ops.var(x, axis=1)), [0.1650390625, 0.166015625, 0.1650390625], rtol=2 ** -7)


def test_bfloat16_reductions_accumulate_in_float32():
    # 1000 x bfloat16(0.1) = 1000 x 0.10009765625: 100.0977 in float32, 100.0 in bfloat16 (real Keras: 100.0);
    # a bfloat16 accumulator would stall far below (256 + 0.1 rounds to 256)
    x = ops.convert_to_tensor(np.full((1000,), 0.1, np.float32), dtype=BF)
    assert _f32(ops.sum(x)) == 100.0
    assert _f32(ops.mean(x)) == 0.10009765625
    y = ops.convert_to_tensor(np.ones((4096,), np.float32), dtype=BF)
    assert _f32(ops.sum(y)) == 4096.0


def test_python_scalars_are_weak():
    for dtype, int_result, float_result in [("int8", "int8", "float32"), ("uint8", "uint8", "float32"),
                                            ("int16", "int16", "float32"), ("float16", "float16", "float16"),
                                            ("bfloat16", "bfloat16", "bfloat16"), ("bool", "int32", "float32")]:
        x = ops.ones((1,), dtype)
        assert _dt(ops.add(x, 1)) == int_result, dtype
        assert _dt(ops.add(x, 1.0)) == float_result, dtype
        assert _dt(knp.Add().symbolic_call(x, 1.0)) == float_result, dtype


def test_numpy_scalars_and_0d_arrays_promote_as_keras():
    # real Keras 3.15.1 (torch): np.float64 is a Python float; other NumPy scalars and 0-d arrays count by kind
    assert _dt(ops.add(ops.ones((2,), "int8"), np.float64(2))) == "float32"
    assert _dt(ops.add(ops.ones((2,), "int8"), np.array(2.0))) == "float64"
    assert _dt(ops.add(ops.ones((2,), "int8"), np.int64(3))) == "int8"
    assert _dt(ops.add(ops.ones((2,), "float32"), np.array(2.0))) == "float32"
    assert _dt(ops.multiply(ops.ones((2,), BF), np.float32(2))) == BF
    assert _dt(ops.array(np.array(3, "int8"))) == "int8"
    assert _dt(ops.array(np.array(0.0, "float16"))) == "float16"
    assert _dt(ops.add(np.array([1.0, 2.0]), ops.ones((2,), "float32"))) == "float64"


def test_reduction_dtypes():
    assert _dt(ops.count_nonzero(ops.ones((3,), "float32"))) == "int32"
    assert _dt(ops.cumsum(ops.ones((3,), "int8"))) == "int8"
    assert _dt(ops.cumprod(ops.ones((3,), "uint8"))) == "uint8"
    assert _dt(ops.cumsum(ops.ones((3,), "bool"))) == "int32"
    assert _dt(ops.sum(ops.ones((3,), "int16"))) == "int32"
    # Keras on JAX (the torch backend has no uint32 and gives int32)
    assert _dt(ops.sum(ops.ones((2,), "uint8"))) == "uint32"
    assert _dt(ops.trace(ops.ones((1, 1, 1), "uint16"))) == "uint32"
    assert _dt(ops.vdot(ops.ones((1,), "int16"), ops.ones((1,), "bool"))) == "int16"
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.cumsum(ops.ones((3,), "int8"))), [1, 2, 3])


def test_any_op_class():
    x = ops.ones((2,), BF)
    assert knp.Any.__name__ == "Any"
    assert _dt(knp.Any().symbolic_call(x)) == "bool"
    assert bool(ops.convert_to_numpy(knp.any(x)))


def test_bfloat16_dense_trains_as_keras():
    # real Keras 3.15.1 (torch): the same model, data and optimizers give these losses and weights
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype=BF, kernel_initializer="ones")])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y = np.ones((8, 4), np.float32), np.zeros((8, 3), np.float32)
    assert m.predict(x, verbose=0).dtype.name == BF
    assert m.fit(x, y, epochs=1, batch_size=8, verbose=0).history["loss"] == [16.0]
    assert _dt(m.layers[0].kernel) == BF
    np.testing.assert_array_equal(_f32(m.layers[0].kernel)[0], [0.734375] * 3)
    for opt, losses in [("adam", [7.138916015625, 7.138916015625]), ("rmsprop", [7.138916015625, 7.0556640625]),
                        ("adamw", [6.890625, 6.890625]), ("adagrad", [6.890625, 6.890625])]:
        m.compile(optimizer=opt, loss="mse")
        assert m.fit(x, y, epochs=2, batch_size=8, verbose=0).history["loss"] == losses, opt
        assert _dt(m.layers[0].kernel) == BF


def test_bfloat16_variable_pickles():
    import pickle

    v = keras.Variable(np.array([0.5, -1.0], np.float32), dtype=BF)
    w = pickle.loads(pickle.dumps(v))
    assert _dt(w) == BF and w.trainable
    np.testing.assert_array_equal(_f32(w), [0.5, -1.0])


def test_bfloat16_weights_files_as_keras(tmp_path):
    import os

    import h5py

    # a file real Keras 3.15.1 wrote (tests/keras/data/make_bfloat16_fixture.py)
    src = os.path.join(os.path.dirname(__file__), "data", "bf16_dense.weights.h5")
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype=BF)])
    m.load_weights(src)
    assert _dt(m.layers[0].kernel) == BF
    np.testing.assert_array_equal(_f32(m.layers[0].kernel), np.full((4, 3), 0.30078125, np.float32))
    np.testing.assert_array_equal(_f32(m.layers[0].bias), [-1.703125] * 3)
    # written back as Keras writes it (16-bit words marked bfloat16), and read again unchanged
    out = str(tmp_path / "bf.weights.h5")
    m.save_weights(out)
    with h5py.File(out, "r") as f:
        ds = f["layers/dense/vars/0"]
        assert ds.dtype.itemsize == 2 and ds.attrs["dtype"] == "bfloat16"
    m2 = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype=BF)])
    m2.load_weights(out)
    np.testing.assert_array_equal(_f32(m2.layers[0].kernel), _f32(m.layers[0].kernel))


def test_bfloat16_random_initializers_and_dropout():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, dtype=BF), keras.layers.Dropout(0.5, dtype=BF)])
    k = _f32(m.layers[0].kernel)
    assert _dt(m.layers[0].kernel) == BF
    limit = np.sqrt(6 / (4 + 8))  # glorot_uniform
    assert np.all(np.abs(k) <= limit) and np.unique(k).size > 8
    y = m(np.ones((16, 4), np.float32), training=True)
    assert _dt(y) == BF
    assert 0 < np.mean(_f32(y) == 0) < 1
    x = keras.random.normal((1000,), dtype=BF, seed=1)
    assert _dt(x) == BF and abs(float(np.mean(_f32(x)))) < 0.15 and 0.85 < float(np.std(_f32(x))) < 1.15


def test_bfloat16_in_math_core_nn_image_ops():
    # real Keras 3.15.1 (torch)
    x = ops.convert_to_tensor(np.array([300.0, -300.0, 1.5]), dtype=BF)
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.saturate_cast(x, "int8")), [127, -128, 1])
    p = ops.convert_to_tensor(np.array([[0.1, np.nan, 0.3]]), dtype=BF)
    assert not bool(ops.convert_to_numpy(ops.in_top_k(np.array([1]), p, 1))[0])  # a NaN target is never in the top k
    img = ops.convert_to_tensor(np.linspace(0, 1, 48).reshape(4, 4, 3), dtype=BF)
    r = ops.image.resize(img, (2, 2))
    assert _dt(r) == BF  # not rounded to integers as an integer image would be
    np.testing.assert_allclose(_f32(r)[0, 0], [0.1592, 0.1807, 0.2021], rtol=2 ** -6)


def test_bfloat16_conv_pool_lstm_forward_as_keras():
    # real Keras 3.15.1 (torch) gives exactly these bfloat16 values for the same models and inputs
    layers, init = keras.layers, keras.initializers.Constant
    x = np.linspace(-1, 1, 2 * 6 * 6 * 3).reshape(2, 6, 6, 3).astype("float32")
    m = keras.Sequential([keras.Input((6, 6, 3)),
                          layers.Conv2D(2, 3, dtype=BF, kernel_initializer=init(0.1), bias_initializer=init(0.05)),
                          layers.MaxPooling2D(dtype=BF), layers.AveragePooling2D(2, dtype=BF), layers.Flatten(dtype=BF),
                          layers.Dense(3, dtype=BF, kernel_initializer=init(-0.3))])
    y = m.predict(x, verbose=0)
    assert y.dtype.name == BF
    np.testing.assert_array_equal(y.astype(np.float32), [[0.62890625] * 3, [-1.0078125] * 3])
    s = np.linspace(-1, 1, 2 * 4 * 3).reshape(2, 4, 3).astype("float32")
    r = keras.Sequential([keras.Input((4, 3)),
                          layers.LSTM(2, dtype=BF, kernel_initializer=init(0.2), recurrent_initializer=init(-0.1))])
    np.testing.assert_array_equal(r.predict(s, verbose=0).astype(np.float32),
                                  [[-0.10791015625, -0.10791015625], [0.322265625, 0.322265625]])
    # and they train (gradients reach every bfloat16 weight)
    for model, inp in ((m, x), (r, s)):
        before = [_f32(w).copy() for w in model.trainable_weights]
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        model.fit(inp, np.ones((2, model.outputs[0].shape[-1]), np.float32), epochs=1, verbose=0)
        assert all(not np.array_equal(b, _f32(w)) for b, w in zip(before, model.trainable_weights))


def test_floatx_bfloat16():
    keras.config.set_floatx("bfloat16")
    try:
        assert _dt(ops.ones((2,))) == BF
        assert _dt(ops.convert_to_tensor([1.0])) == BF
        # real Keras 3.15.1: result_type resolves a weak float at floatx's width (float16), while the op
        # (torch backend) makes the Python float a floatx tensor
        assert keras.backend.result_type("int8", float) == "float16"
        assert _dt(ops.add(ops.ones((2,), "int8"), 1.5)) == BF
        assert _dt(keras.layers.Dense(2)(np.ones((1, 3), np.float32))) == BF
    finally:
        keras.config.set_floatx("float32")
    with pytest.raises(ValueError, match="Unknown `floatx` value: float8"):
        keras.config.set_floatx("float8")


def test_layers_autocast_bfloat16_inputs_and_default_initializers():
    # real Keras 3.15.1 (torch): a float32 layer casts bfloat16 inputs to float32, a bfloat16 layer casts
    # float32 inputs to bfloat16, a functional model casts its inputs to the Input's float dtype, and
    # add_weight on a bfloat16 layer defaults to glorot_uniform (non-zero), not to zeros
    x = ops.ones((2, 3), BF)
    assert _dt(keras.layers.Dense(2)(x)) == "float32"
    assert _dt(keras.layers.LayerNormalization()(x)) == "float32"
    assert _dt(keras.layers.Dense(2, dtype=BF)(ops.ones((2, 3)))) == BF
    i = keras.Input((3,), dtype=BF)
    m = keras.Model(i, keras.layers.Dense(2, dtype=BF)(i))
    assert _dt(m(np.ones((1, 3), np.float32))) == BF
    w = keras.layers.Layer(dtype=BF).add_weight((2, 2))
    assert _dt(w) == BF and np.abs(_f32(w)).max() > 0
