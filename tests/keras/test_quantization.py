"""keras.quantizers and quantized / LoRA Dense, EinsumDense and Embedding.

Expected values come from real Keras 3.15.1 (torch backend, CPU) on the same inputs, written here as
literals; the integer-product op is checked against NumPy's int64 arithmetic.
"""
import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl_keras import quantizers as Q

X = np.array([[0.5, -1.25, 2.0, 0.125], [-0.75, 0.3, -0.2, 1.5]], dtype="float32")
W = np.array([[0.2, -0.5, 0.9], [1.1, 0.05, -0.3], [-0.7, 0.6, 0.25], [0.4, -0.8, 0.15]], dtype="float32")
B = np.array([0.1, -0.2, 0.3], dtype="float32")

# -- values from real Keras 3.15.1 -------------------------------------------------------------------------
AMQ_Q = np.array([[ 32, -79, 127,   8],
 [-63,  25, -17, 127]], dtype='int8')
AMQ_S = np.array([[63.5    ],
 [84.66666]], dtype='float32')
GRP_Q = np.array([[-5, -8,  7],
 [ 7,  7, -8],
 [-8,  7,  7],
 [ 7, -8,  7]], dtype='int8')
GRP_S = np.array([[0.06000001 , 0.036666676, 0.08000001 ],
 [0.073333345, 0.09333335 , 0.006666673]], dtype='float32')
GRP_Z = np.array([[-8,  6, -4],
 [ 2,  1, -8]], dtype='int8')
QDQ_E4M3 = np.array([[ 18. , -48. ,  72. ,   4.5],
 [-28. ,  11. ,  -7.5,  56. ]], dtype='float32')
QDQ_E5M2 = np.array([[ 20., -48.,  80.,   5.],
 [-28.,  12.,  -7.,  56.]], dtype='float32')
F8_SCALE = np.array(0.0078125, dtype='float32')
F8_HIST = np.array([2., 3., 4., 1.], dtype='float32')
FQ = np.array([[ 0.53333336, -0.9333334 ,  1.0666667 ,  0.13333334],
 [-0.8000001 ,  0.26666668, -0.13333334,  1.0666667 ]], dtype='float32')
DENSE_INT8_Y = np.array([[-2.521068  ,  0.5825905 ,  1.6386449 ],
 [ 1.0150756 , -1.134987  , -0.28414357]], dtype='float32')
DENSE_INT8_K = np.array([[  23,  -79,  127],
 [ 127,    8,  -42],
 [ -81,   95,   35],
 [  46, -127,   21]], dtype='int8')
DENSE_INT8_KS = np.array([115.45453, 158.74997, 141.1111 ], dtype='float32')
DENSE_INT8WO_Y = np.array([[-2.5287406 ,  0.58503956,  1.6367128 ],
 [ 1.0185435 , -1.1313388 , -0.29066932]], dtype='float32')
DENSE_INT8WO_K = np.array([[  23,  -79,  127],
 [ 127,    8,  -42],
 [ -81,   95,   35],
 [  46, -127,   21]], dtype='int8')
DENSE_INT8WO_KS = np.array([115.45453, 158.74997, 141.1111 ], dtype='float32')
DENSE_INT4_Y = np.array([[-2.3946433 ,  0.6142859 ,  1.6017859 ],
 [ 1.1450002 , -1.1714288 , -0.31071436]], dtype='float32')
DENSE_INT4_K = np.array([[ -63,    7],
 [   7,   14],
 [  92,    2],
 [-109,    1]], dtype='int8')
DENSE_INT4_KS = np.array([6.3636355, 8.749998 , 7.7777767], dtype='float32')
DENSE_INT4G_Y = np.array([[-2.3558338 ,  0.51250005,  1.3525004 ],
 [ 0.93166685, -1.1760002 , -0.32599998]], dtype='float32')
DENSE_INT4G_K = np.array([[-117,    7],
 [ 119,    8],
 [ 120,    7],
 [-121,    7]], dtype='int8')
DENSE_INT4G_KS = np.array([[0.06000001 , 0.036666676, 0.08000001 ],
 [0.073333345, 0.09333335 , 0.006666673]], dtype='float32')
DENSE_FLOAT8_Y = np.array([[-2.5288086 ,  0.6347656 ,  1.6484375 ],
 [ 1.0483398 , -1.1550293 , -0.26953125]], dtype='float32')
EW = [[[0.17279209196567535, 0.41080906987190247], [0.1652185320854187, -0.6515786051750183], [0.4526779353618622, 0.22318728268146515]], [[-0.26847660541534424, 0.2905590534210205], [0.18228620290756226, 0.14706625044345856], [0.014211121015250683, 0.27335649728775024]], [[-0.3682270348072052, -0.08145497739315033], [-0.24105966091156006, 0.29942309856414795], [0.01986105367541313, -0.1462283730506897]], [[-0.39095422625541687, -0.12859612703323364], [0.004071090370416641, -0.13780145347118378], [0.6470319032669067, 0.5033621788024902]]]
EB = [[-0.2711162567138672, -0.18890132009983063], [-0.017477208748459816, -0.04221904277801514], [0.021364299580454826, 0.021732192486524582]]
EX = [[[2.1178388595581055, -1.11202073097229, -0.37760502099990845, 2.042771577835083], [0.6467030048370361, 0.6630633473396301, -0.5140063762664795, -1.6480752229690552]], [[0.1674647480249405, 0.10901408642530441, -1.2273520231246948, -0.6832266449928284], [-0.07204367965459824, -0.9447516202926636, -0.09826996922492981, 0.09548302739858627]]]
ED_INT8_Y = np.array([[[[-0.26048997,  0.1236376 ],
   [ 0.22884376, -1.9843489 ],
   [ 2.273127  ,  1.2665584 ]],

  [[ 0.4995616 ,  0.5255445 ],
   [ 0.32914   , -0.2926888 ],
   [-0.7512474 , -0.40671304]]],


 [[[ 0.4503821 ,  0.09757383],
   [ 0.3222844 , -0.40362608],
   [-0.37149405, -0.07812595]],

  [[-0.03300163, -0.49919415],
   [-0.17823352, -0.17648719],
   [ 0.03379541, -0.19028945]]]], dtype='float32')
ED_INT8_KS = np.array([[[[324.84613, 309.14597],
   [526.84033, 194.91121],
   [196.28085, 252.30336]]]], dtype='float32')
ED_INT4_Y = np.array([[[[ 0.35927355 , -0.1464496  ],
   [ 0.09225251 , -1.9807442  ],
   [ 2.2311335  ,  1.1828233  ]],

  [[-0.28338355 ,  0.07052146 ],
   [ 0.1308764  , -0.25912863 ],
   [-0.72870284 , -0.7022383  ]]],


 [[[-0.2269979  , -0.06558764 ],
   [ 0.2881035  , -0.3899801  ],
   [-0.3337079  , -0.15999587 ]],

  [[-0.033635527, -0.3110397  ],
   [-0.010742638, -0.18965328 ],
   [ 0.049659714,  0.033107225]]]], dtype='float32')
ED_INT4_K = np.array([[ 119, -121,  119],
 [ 120,  119,  120],
 [-120,  120, -120],
 [-120, -121,  119]], dtype='int8')
MW = [[0.03558623790740967, -0.5062916874885559, 0.5937480926513672, 0.8911669254302979], [0.3208483159542084, -0.8182302117347717, 0.7316522598266602, -0.5014400482177734], [0.8791606426239014, -1.0717873573303223, 0.9144672155380249, -0.020063454285264015], [-1.2487488985061646, -0.3138994574546814, 0.054102279245853424, 0.27279132604599], [-0.9821881055831909, -1.1073729991912842, 0.19958452880382538, -0.4667496085166931]]
EMB_INT8_Y = np.array([[[ 0.035085313, -0.5052285  ,  0.5964503  ,  0.891167   ],
  [-0.98530054 , -1.1073731  ,  0.20054789 , -0.47085157 ]],

 [[ 0.87768424 , -1.0717875  ,  0.9114413  , -0.016878543],
  [ 0.87768424 , -1.0717875  ,  0.9114413  , -0.016878543]]], dtype='float32')
EMB_INT8_S = np.array([142.50977, 155.21301, 118.49364, 101.70178, 114.68582], dtype='float32')
EMB_INT4_Y = np.array([[[ 0.0361252 , -0.5057528 ,  0.29741892,  0.29741892],
  [-0.125185  , -0.125185  ,  0.17768914, -0.48864514]],

 [[ 0.9104425 , -1.0405056 ,  0.9345308 ,  0.        ],
  [ 0.9104425 , -1.0405056 ,  0.9345308 ,  0.        ]]], dtype='float32')
EMB_INT4_Z = np.array([[ 6, -8],
 [ 3, -2],
 [ 0, -8],
 [ 7, -8],
 [ 7,  3]], dtype='int8')
DENSE_INT8_NAMES = ['bias', 'kernel', 'kernel_scale']
DENSE_INT8WO_NAMES = ['bias', 'kernel', 'kernel_scale']
DENSE_INT4_NAMES = ['bias', 'kernel', 'kernel_scale']
DENSE_INT4G_NAMES = ['bias', 'kernel', 'kernel_scale', 'kernel_zero', 'g_idx']
DENSE_FLOAT8_NAMES = ['kernel', 'bias', 'inputs_scale', 'inputs_amax_history', 'kernel_scale', 'kernel_amax_history', 'outputs_grad_scale', 'outputs_grad_amax_history']


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


# -- core op ----------------------------------------------------------------------------------------------

def test_int_matmul_and_einsum_are_exact_int32_sums():
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (3, 5000)).astype("int8")
    b = rng.integers(-128, 128, (5000, 4)).astype("int8")
    want = a.astype(np.int64) @ b.astype(np.int64)
    got = unidl.ops.int_matmul(unidl.tensor(a), unidl.tensor(b))
    assert got.dtype.name == "int32" and np.array_equal(got.numpy(), want)
    got = unidl.ops.int_einsum("ab,bc->ac", unidl.tensor(a), unidl.tensor(b))
    assert np.array_equal(got.numpy(), want)
    with pytest.raises(unidl.OpError, match="integer operands"):
        unidl.ops.int_matmul(unidl.tensor(a.astype("float32")), unidl.tensor(b))


@pytest.mark.parametrize("fmt", ["float8_e4m3fn", "float8_e5m2"])
def test_float8_round_matches_the_cast(fmt):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    fmax = float(ml_dtypes.finfo(fmt).max)
    rng = np.random.default_rng(1)
    x = np.clip(np.concatenate([rng.standard_normal(4000) * s for s in (1e-3, 1.0, 300.0)]), -fmax, fmax)
    x = x.astype("float32")
    want = x.astype(getattr(ml_dtypes, fmt)).astype("float32")
    assert np.array_equal(unidl.ops.float8_round(unidl.tensor(x), fmt).numpy(), want)


# -- quantizer functions ------------------------------------------------------------------------------------

def test_pack_unpack_int4_as_keras_docs():
    a = np.array([[-3, 7], [2, -8], [1, 0]], dtype=np.int8)
    packed, shape, n = Q.pack_int4(a, axis=0)
    assert np.array_equal(_np(packed), [[45, -121], [1, 0]]) and shape == (2, 2) and n == 3
    assert np.array_equal(_np(Q.unpack_int4(packed, n, axis=0)), a)
    a = np.array([[-3, 7, 2], [-8, 1, 0]], dtype=np.int8)
    packed, _, n = Q.pack_int4(a, axis=1)
    assert np.array_equal(_np(packed), [[125, 2], [24, 0]])
    assert np.array_equal(_np(Q.unpack_int4(packed, n, axis=1)), a)
    with pytest.raises(TypeError, match="Expected int8 tensor for packing"):
        Q.pack_int4(a.astype("int32"))


def test_abs_max_quantize_and_grouped():
    q, s = Q.abs_max_quantize(X, axis=-1)
    np.testing.assert_array_equal(_np(q), AMQ_Q)
    np.testing.assert_allclose(_np(s), AMQ_S, rtol=1e-6)
    q, s, z = Q.abs_max_quantize_grouped_with_zero_point(W, block_size=2)
    np.testing.assert_array_equal(_np(q), GRP_Q)
    np.testing.assert_allclose(_np(s), GRP_S, rtol=1e-6)
    np.testing.assert_array_equal(_np(z), GRP_Z)


def test_float8_functions():
    np.testing.assert_array_equal(_np(Q.quantize_and_dequantize(X * 37.0, np.float32(0.5), "float8_e4m3fn",
                                                                "float32")), QDQ_E4M3)
    np.testing.assert_array_equal(_np(Q.quantize_and_dequantize(X * 37.0, np.float32(0.5), "float8_e5m2",
                                                                "float32")), QDQ_E5M2)
    np.testing.assert_allclose(_np(Q.compute_float8_scale(np.float32(3.5), np.float32(2.0), np.float32(448.0))),
                               F8_SCALE)
    # amax 0: the scale is kept
    np.testing.assert_allclose(_np(Q.compute_float8_scale(np.float32(0.0), np.float32(2.0), 448.0)), 2.0)
    np.testing.assert_array_equal(_np(Q.compute_float8_amax_history(X, np.array([1.0, 2.0, 3.0, 4.0], "float32"))),
                                  F8_HIST)


def test_fake_quant_values_and_gradients():
    np.testing.assert_allclose(_np(Q.fake_quant_with_min_max_vars(X, -1.0, 1.0, num_bits=4)), FQ, rtol=1e-6)
    x = unidl.tensor(X)
    lo, hi = unidl.tensor(np.float32(-1.0)), unidl.tensor(np.float32(1.0))
    for t in (x, lo, hi):
        t.attach_grad()
    with unidl.autograd.record():
        y = Q.fake_quant_with_min_max_vars(x, lo, hi, num_bits=4)
    y.backward()
    # real Keras 3.15.1 (torch): d sum(y) / d (x, min, max)
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0]])
    assert float(lo.grad.numpy()) == 1.0 and float(hi.grad.numpy()) == 2.0


def test_configs_and_serialization():
    cfg = Q.Int8QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(axis=0), activation_quantizer=None)
    back = Q.deserialize(Q.serialize(cfg))
    assert isinstance(back, Q.Int8QuantizationConfig) and back.activation_quantizer is None
    assert back.weight_quantizer.axis == (0,)
    c4 = Q.Int4QuantizationConfig.from_config(Q.Int4QuantizationConfig(block_size=64).get_config())
    assert c4.block_size == 64 and c4.mode == "int4"
    with pytest.raises(ValueError, match="does not support custom quantizers"):
        Q.Int4QuantizationConfig(weight_quantizer=Q.AbsMaxQuantizer(value_range=(-8, 7)), block_size=32)
    with pytest.raises(ValueError, match="requires value_range to be within"):
        Q.AbsMaxQuantizer(value_range=(-200, 127))
    assert isinstance(Q.get("AbsMaxQuantizer"), Q.AbsMaxQuantizer)
    with pytest.raises(ValueError, match="Could not interpret quantizer identifier"):
        Q.get(3)
    p = keras.dtype_policies.get("int4/64_from_mixed_bfloat16")
    assert type(p).__name__ == "Int4DTypePolicy" and p.block_size == 64
    assert p.get_config() == {"mode": "int4/64", "source_name": "mixed_bfloat16"}
    assert (p.compute_dtype, p.variable_dtype, p.quantization_mode) == ("bfloat16", "float32", "int4")


# -- layers ---------------------------------------------------------------------------------------------------

def _dense(mode, cfg=None):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.set_weights([W, B])
    layer.quantize(mode, config=cfg)
    return layer


@pytest.mark.parametrize("tag,mode,cfg", [
    ("INT8", "int8", None),
    ("INT8WO", "int8", Q.Int8QuantizationConfig(activation_quantizer=None)),
    ("INT4", "int4", Q.Int4QuantizationConfig(block_size=None)),
    ("INT4G", "int4", Q.Int4QuantizationConfig(block_size=2)),
])
def test_dense_int_quantization_matches_keras(tag, mode, cfg):
    layer = _dense(mode, cfg)
    g = globals()
    assert [v.name for v in layer.weights] == g[f"DENSE_{tag}_NAMES"]
    np.testing.assert_array_equal(_np(layer._kernel), g[f"DENSE_{tag}_K"])
    np.testing.assert_allclose(_np(layer.kernel_scale), g[f"DENSE_{tag}_KS"], rtol=1e-6)
    np.testing.assert_allclose(_np(layer(X)), g[f"DENSE_{tag}_Y"], rtol=1e-5, atol=1e-6)
    assert layer.dtype_policy.quantization_mode == mode


def test_dense_float8_matches_keras_and_trains_its_scales():
    layer = _dense("float8")
    assert [v.name for v in layer.weights] == DENSE_FLOAT8_NAMES
    np.testing.assert_allclose(_np(layer(X)), DENSE_FLOAT8_Y, rtol=1e-6)
    model = keras.Sequential([layer])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.zeros((2, 3), "float32"), batch_size=2, epochs=1, verbose=0)
    # one step: the histories got max|x| / max|kernel| at position 0 (the rest rolled), as Keras's update
    assert float(_np(layer.inputs_amax_history)[0]) == pytest.approx(2.0)
    assert float(_np(layer.kernel_amax_history)[0]) == pytest.approx(1.1)
    assert float(_np(layer.outputs_grad_amax_history)[0]) > 0.0
    assert float(_np(layer.inputs_scale)) == 1.0  # the scale uses the old (zero) history: kept


def test_dense_quantized_int8_gradient_is_straight_through():
    layer = _dense("int8")
    x = unidl.tensor(X)
    x.attach_grad()
    with unidl.autograd.record():
        y = layer(x)
    y.backward()
    k = DENSE_INT8_K.astype("float32") / DENSE_INT8_KS
    np.testing.assert_allclose(x.grad.numpy(), np.ones((2, 3), "float32") @ k.T, rtol=1e-5)


def test_einsum_dense_quantization_matches_keras():
    rng = np.random.default_rng(1)
    ew = (rng.standard_normal((4, 3, 2)) * 0.5).astype("float32")
    eb = (rng.standard_normal((3, 2)) * 0.1).astype("float32")
    ex = rng.standard_normal((2, 2, 4)).astype("float32")
    layer = keras.layers.EinsumDense("abc,cde->abde", (2, 3, 2), bias_axes="de")
    layer.build((None, 2, 4))
    layer.set_weights([ew, eb])
    layer.quantize("int8")
    np.testing.assert_allclose(_np(layer.kernel_scale), ED_INT8_KS, rtol=1e-6)
    np.testing.assert_allclose(_np(layer(ex)), ED_INT8_Y, rtol=1e-5, atol=1e-6)
    layer = keras.layers.EinsumDense("abc,cde->abde", (2, 3, 2), bias_axes="de")
    layer.build((None, 2, 4))
    layer.set_weights([ew, eb])
    layer.quantize("int4", config=Q.Int4QuantizationConfig(block_size=2))
    np.testing.assert_array_equal(_np(layer._kernel), ED_INT4_K)
    np.testing.assert_allclose(_np(layer(ex)), ED_INT4_Y, rtol=1e-5, atol=1e-6)


def test_embedding_quantization_matches_keras():
    rng = np.random.default_rng(1)
    rng.standard_normal((4, 3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((2, 2, 4))
    mw = rng.standard_normal((5, 4)).astype("float32")
    ids = np.array([[0, 4], [2, 2]])
    layer = keras.layers.Embedding(5, 4)
    layer.build()
    layer.set_weights([mw])
    layer.quantize("int8")
    np.testing.assert_allclose(_np(layer.embeddings_scale), EMB_INT8_S, rtol=1e-6)
    np.testing.assert_allclose(_np(layer(ids)), EMB_INT8_Y, rtol=1e-6)
    layer = keras.layers.Embedding(5, 4)
    layer.build()
    layer.set_weights([mw])
    layer.quantize("int4", config=Q.Int4QuantizationConfig(block_size=2))
    np.testing.assert_array_equal(_np(layer.embeddings_zero), EMB_INT4_Z)
    np.testing.assert_allclose(_np(layer(ids)), EMB_INT4_Y, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_quantized_model_save_load_round_trip(tmp_path, mode):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.layers[0].set_weights([W, B])
    model.quantize(mode)
    path = str(tmp_path / "q.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.layers[0].quantization_mode == mode
    np.testing.assert_array_equal(_np(loaded.predict(X, verbose=0)), _np(model.predict(X, verbose=0)))
    wpath = str(tmp_path / "q.weights.h5")
    model.save_weights(wpath)
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    other.quantize(mode)
    other.load_weights(wpath)
    np.testing.assert_array_equal(_np(other.predict(X, verbose=0)), _np(model.predict(X, verbose=0)))


def test_lora_dense_trains_only_the_factors_and_merges_on_save(tmp_path):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.set_weights([W, B])
    layer.enable_lora(2)
    assert [v.name for v in layer.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert [v.name for v in layer.non_trainable_weights] == ["kernel"]
    with pytest.raises(ValueError, match="lora is already enabled"):
        layer.enable_lora(2)
    np.testing.assert_allclose(_np(layer(X)), X @ W + B, rtol=1e-6)  # B factor starts at zero
    layer.lora_kernel_b.assign(np.ones((2, 3), "float32"))
    a = _np(layer.lora_kernel_a)
    np.testing.assert_allclose(_np(layer.kernel), W + a @ np.ones((2, 3), "float32"), rtol=1e-6)
    store = {}
    layer.save_own_variables(store)
    assert sorted(store) == ["0", "1"]
    np.testing.assert_allclose(np.asarray(_np(store["0"])), W + a @ np.ones((2, 3), "float32"), rtol=1e-6)


def test_quantize_errors():
    layer = keras.layers.Dense(2)
    with pytest.raises(ValueError, match="Cannot quantize a layer that isn't yet built"):
        layer.quantize("int8")
    layer.build((None, 2))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        layer.quantize("int7")
    layer.quantize("int8")
    with pytest.raises(ValueError, match="is already quantized with dtype_policy='int8_from_float32'"):
        layer.quantize("int4")

    class Sub(keras.layers.Dense):
        pass

    sub = Sub(2)
    sub.build((None, 2))
    with pytest.raises(NotImplementedError, match="does not have a `quantize` method"):
        sub.quantize("int8")
    emb = keras.layers.Embedding(3, 2)
    emb.build()
    with pytest.raises(NotImplementedError, match=r"Expected one of \('int8', 'int4'\)"):
        emb.quantize("float8")


def test_quantize_by_dtype_policy():
    layer = keras.layers.Dense(2, dtype="int8_from_float32")
    layer.build((None, 2))
    assert [v.name for v in layer.weights] == ["bias", "kernel", "kernel_scale"]
    assert layer.get_config()["dtype"]["config"] == {"mode": "int8", "source_name": "float32"}
    layer = keras.layers.Dense(2)
    layer.build((None, 2))
    layer.dtype_policy = "int4_from_float32"
    # real Keras: the default Int4QuantizationConfig (block_size=128) adds kernel_zero and g_idx
    assert layer.quantization_mode == "int4" and len(layer.weights) == 5
