"""keras.ops elementwise extras (arctan2, hypot, fmax/fmin/fmod, bitwise ops, gcd/lcm, cbrt, sinc, i0,
isclose/allclose, view, ...): values, dtypes and symbolic shapes. Expected values were computed with real
Keras 3.15.1 (torch backend) and are written here as literals; shapes follow Keras's broadcast rule
(None matches any size)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras import ops
from unidl_keras.backend.keras_tensor import KerasTensor

X = np.array([[1.5, -2.0, 0.25], [3.0, -0.5, 4.0]], dtype="float32")
Y = np.array([2.0, -1.25, 0.75], dtype="float32")

BINARY_F32 = {
    "arctan2": [[0.6435011029243469, -2.1293954849243164, 0.32175055146217346],
                [0.9827937483787537, -2.7610862255096436, 1.3854483366012573]],
    "hypot": [[2.5, 2.3584952354431152, 0.7905694246292114], [3.605551242828369, 1.346291184425354, 4.069705009460449]],
    "fmax": [[2.0, -1.25, 0.75], [3.0, -0.5, 4.0]],
    "fmin": [[1.5, -2.0, 0.25], [2.0, -1.25, 0.75]],
    "fmod": [[1.5, -0.75, 0.25], [1.0, -0.5, 0.25]],
    "heaviside": [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]],
    "logaddexp": [[2.474076986312866, -0.8631290197372437, 1.2240769863128662],
                  [3.3132617473602295, -0.11312898993492126, 4.038041591644287]],
    "logaddexp2": [[2.7715532779693604, -0.5768021941184998, 1.5215532779693604],
                   [3.5849623680114746, 0.17319779098033905, 4.144192695617676]],
}


@pytest.mark.parametrize("name", sorted(BINARY_F32))
def test_binary_float_ops_values(name):
    out = getattr(ops, name)(X, Y)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    assert tuple(out.shape) == (2, 3)
    np.testing.assert_allclose(ops.convert_to_numpy(out), BINARY_F32[name], rtol=1e-6, atol=1e-7)
    # the same through keras.ops.numpy and its op class
    cls = getattr(keras.ops.numpy, "".join(p.capitalize() for p in name.split("_")))
    np.testing.assert_allclose(ops.convert_to_numpy(cls()(X, Y)), BINARY_F32[name], rtol=1e-6, atol=1e-7)


def test_nextafter_moves_one_ulp_towards_the_target():
    out = ops.convert_to_numpy(ops.nextafter(np.array([1.0, 2.0], "float32"), np.array([2.0, 0.0], "float32")))
    np.testing.assert_array_equal(out, [np.nextafter(np.float32(1), np.float32(2)),
                                        np.nextafter(np.float32(2), np.float32(0))])
    assert out[0] > 1.0 and out[1] < 2.0


def test_fmax_fmin_ignore_nan():
    a = np.array([[1.0, np.nan], [3.0, 4.0]])
    b = np.array([[5.0, 6.0], [np.nan, 8.0]])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.fmax(a, b)), [[5.0, 6.0], [3.0, 8.0]])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.fmin(a, b)), [[1.0, 6.0], [3.0, 4.0]])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.fmax(1.0, a)), [[1.0, 1.0], [3.0, 4.0]])


def test_integer_and_bit_ops():
    i = np.array([12, -7, 255, 0], dtype="int32")
    j = np.array([18, 3, 16, 0], dtype="int32")
    want = {"bitwise_and": [0, 1, 16, 0], "bitwise_or": [30, -5, 255, 0], "bitwise_xor": [30, -6, 239, 0],
            "gcd": [6, 1, 1, 0], "lcm": [36, 21, 4080, 0]}
    for name, w in want.items():
        out = getattr(ops, name)(i, j)
        assert keras.backend.standardize_dtype(out.dtype) == "int32", name
        np.testing.assert_array_equal(ops.convert_to_numpy(out), w)
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.bitwise_invert(i)), [-13, 6, -256, -1])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.bitwise_not(i)), [-13, 6, -256, -1])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.bitwise_left_shift(i, 2)), [48, -28, 1020, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.left_shift(i, 2)), [48, -28, 1020, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.right_shift(i, 1)), [6, -4, 127, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.bitwise_right_shift(i, 1)), [6, -4, 127, 0])
    # a Python int shift keeps a small int dtype
    assert keras.backend.standardize_dtype(ops.left_shift(np.array([1], "int8"), 1).dtype) == "int8"


def test_ldexp():
    out = ops.ldexp(np.array([0.75, -3.0], "float32"), np.array([3, -2], "int32"))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(out), [6.0, -0.75])
    with pytest.raises(TypeError, match="ldexp exponent must be an integer type"):
        ops.ldexp(np.ones(2, "float32"), np.ones(2, "float32"))


V = np.array([-8.0, 0.0, 1.0, 2.5, np.inf, -np.inf, np.nan], dtype="float32")
UNARY_F32 = {
    "angle": [3.1415927410125732, 0.0, 0.0, 0.0, 0.0, 3.1415927410125732, np.nan],
    "cbrt": [-2.0, 0.0, 1.0, 1.3572088479995728, np.inf, -np.inf, np.nan],
    "deg2rad": [-0.13962633907794952, 0.0, 0.01745329238474369, 0.04363323003053665, np.inf, -np.inf, np.nan],
    "rad2deg": [-458.3662414550781, 0.0, 57.295780181884766, 143.2394561767578, np.inf, -np.inf, np.nan],
    "fabs": [8.0, 0.0, 1.0, 2.5, np.inf, np.inf, np.nan],
    "sinc": [2.7827534054836178e-08, 1.0, -2.7827534054836178e-08, 0.1273239552974701, np.nan, np.nan, np.nan],
    "i0": [427.564208984375, 1.0, 1.2660659551620483, 3.289839506149292, np.nan, np.nan, np.nan],
}


@pytest.mark.parametrize("name", sorted(UNARY_F32))
def test_unary_float_ops_values(name):
    out = getattr(ops, name)(V)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    # i0 at +-inf: real Keras (torch) gives NaN, NumPy inf; compare the finite inputs there
    keep = slice(0, 4) if name == "i0" else slice(None)
    np.testing.assert_allclose(ops.convert_to_numpy(out)[keep], np.array(UNARY_F32[name])[keep], rtol=1e-6,
                               atol=1e-6)


def test_unary_bool_ops():
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isneginf(V)), [0, 0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isposinf(V)), [0, 0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.signbit(np.array([-8.0, -0.0, 0.0, 2.0]))),
                                  [True, True, False, False])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isreal(V)), [True] * 7)
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isreal(np.array([1 + 1j, 2 + 0j, 3j]))),
                                  [False, True, False])
    for name in ("isneginf", "isposinf", "signbit", "isreal"):
        assert keras.backend.standardize_dtype(getattr(ops, name)(V).dtype) == "bool"


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int16", "int32"])
def test_int_inputs_give_floatx(dtype):
    x = ops.ones((1,), dtype=dtype)
    for name in ("angle", "cbrt", "deg2rad", "rad2deg", "fabs", "sinc", "i0"):
        assert keras.backend.standardize_dtype(getattr(ops, name)(x).dtype) == "float32", name
    for name in ("signbit", "isposinf", "isneginf"):
        assert keras.backend.standardize_dtype(getattr(ops, name)(x).dtype) == "bool", name
    vals = np.array([-2, 0, 3], dtype="int32")
    np.testing.assert_allclose(ops.convert_to_numpy(ops.cbrt(vals)), [-1.2599210739135742, 0.0, 1.4422495365142822],
                               rtol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.signbit(vals)), [True, False, False])


@pytest.mark.parametrize("a,b,want", [
    ("int8", "uint8", ["float32", "float32", "int16", "float32", "float32", "float32", "int16", "bool"]),
    ("int16", "float16", ["float16"] * 7 + ["bool"]),
    ("bool", "int8", ["float32", "float32", "int8", "float32", "float32", "float32", "int8", "bool"]),
    ("uint8", "uint8", ["float32", "float32", "uint8", "float32", "float32", "float32", "uint8", "bool"]),
    ("int32", "float32", ["float32"] * 7 + ["bool"]),
])
def test_binary_result_dtypes(a, b, want):
    xa, xb = ops.ones((1,), dtype=a), ops.ones((1,), dtype=b)
    names = ["arctan2", "hypot", "fmod", "heaviside", "nextafter", "logaddexp2", "fmax", "isclose"]
    got = [keras.backend.standardize_dtype(getattr(ops, n)(xa, xb).dtype) for n in names]
    assert got == want


def test_isclose_and_allclose():
    a = np.array([1.0, np.inf, np.nan, 1e10], "float32")
    b = np.array([1.000001, np.inf, np.nan, 1.00001e10], "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isclose(a, b)), [True, True, False, False])
    np.testing.assert_array_equal(
        ops.convert_to_numpy(ops.isclose(np.array([1.0, np.inf, np.nan]), np.array([1.000001, -np.inf, np.nan]),
                                         equal_nan=True)), [True, False, True])
    # NumPy arrays and Python scalars on either side, broadcasting
    x = np.array([[1, 2, 3], [3, 2, 1]])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isclose(x, 2)), [[False, True, False], [False, True, False]])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.isclose(2, x)), [[False, True, False], [False, True, False]])
    assert bool(ops.convert_to_numpy(ops.allclose(np.array([1.0, 2.0]), np.array([1.0, 2.1]), rtol=0.1)))
    assert not bool(ops.convert_to_numpy(ops.allclose(np.array([1], "int32"), np.array([2], "int32"), rtol=0.1)))
    assert not bool(ops.convert_to_numpy(ops.allclose(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))))
    assert bool(ops.convert_to_numpy(ops.allclose(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), equal_nan=True)))


def test_view():
    out = ops.view(np.array([[1, -2]], "int32"), "int16")
    assert keras.backend.standardize_dtype(out.dtype) == "int16"
    np.testing.assert_array_equal(ops.convert_to_numpy(out), [[1, 0, -2, -1]])
    half = ops.view(np.array(1, "int16"), "float16")
    assert keras.backend.standardize_dtype(half.dtype) == "float16"
    assert float(ops.convert_to_numpy(half)) == np.array(1, "int16").view("float16")
    with pytest.raises(Exception, match="0-d"):
        ops.view(np.array(1, "int16"), "int8")
    with pytest.raises(Exception, match="divisible"):
        ops.view(np.array([1, 2, 3], "int16"), "int32")


def test_symbolic_shapes_broadcast_with_unknown_dims():
    a, b = KerasTensor((None, 3)), KerasTensor((2, None))
    assert ops.divide(a, b).shape == (2, 3)
    assert ops.add(a, b).shape == (2, 3)
    assert ops.arctan2(a, b).shape == (2, 3)
    assert ops.isclose(a, b).shape == (2, 3)
    assert ops.allclose(a, b).shape == ()
    assert ops.hypot(KerasTensor((None, 3)), KerasTensor((1, 3))).shape == (None, 3)
    assert ops.where(KerasTensor((2, None, 1)), KerasTensor((None, 1)), KerasTensor((None, 3))).shape == (2, None, 3)
    assert ops.gcd(KerasTensor((None, 3), "int8"), KerasTensor((2, None), "uint8")).dtype == "int16"
    assert ops.view(KerasTensor((None, 4), "int16"), "int32").shape == (None, 2)
    with pytest.raises(ValueError, match="broadcast"):
        ops.divide(KerasTensor((2, 3)), KerasTensor((2, 3, 4)))


def test_symbolic_graph_runs_eagerly():
    a = keras.Input((3,))
    b = keras.Input((3,))
    model = keras.Model([a, b], ops.hypot(a, b) + ops.fmax(a, b))
    x = np.array([[3.0, -1.0, 0.5]], "float32")
    y = np.array([[4.0, 2.0, -0.5]], "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(model([x, y])), [[9.0, 4.236068, 1.2071068]], rtol=1e-6)


def test_symbolic_contraction_and_gather_shapes():
    # shapes as real Keras 3.15.1 gives them: unknown dims match known ones
    assert ops.matmul(KerasTensor((None, 3, 4)), KerasTensor((3, None, 4, 5))).shape == (3, None, 3, 5)
    assert ops.matmul(KerasTensor((None, 4)), KerasTensor((4,))).shape == (None,)
    assert ops.matmul(KerasTensor((2, 3), sparse=True), KerasTensor((3, 2), sparse=True)).sparse
    assert not ops.matmul(KerasTensor((2, 3), sparse=True), KerasTensor((3, 2))).sparse
    with pytest.raises(ValueError, match="inner dimensions"):
        ops.matmul(KerasTensor((None, 3)), KerasTensor((4, 2)))
    assert ops.tensordot(KerasTensor((None, 3, 4)), KerasTensor((3, 4)), axes=1).shape == (None, 3, 4)
    assert ops.tensordot(KerasTensor((None, 3, 4)), KerasTensor((3, 4)), axes=[[0, 1], [1, 0]]).shape == (4,)
    assert ops.inner(KerasTensor((None,)), KerasTensor((3,))).shape == ()
    x, i = KerasTensor((None, 3)), KerasTensor((1, 3), "int32")
    assert ops.take_along_axis(x, i, axis=0).shape == (1, 3)
    assert ops.take_along_axis(x, i, axis=1).shape == (None, 3)
    assert ops.take_along_axis(KerasTensor((None, 3, 3)), KerasTensor((1, 3, None), "int32"), axis=1).shape == \
        (None, 3, 3)
    # a functional model with a constant operand runs
    a = keras.Input((3,))
    model = keras.Model(a, ops.matmul(a, np.ones((3, 2), "float32")))
    np.testing.assert_array_equal(ops.convert_to_numpy(model(np.ones((4, 3), "float32"))), np.full((4, 2), 3.0))


def test_int8_matmul_accumulates_in_int32():
    x = np.full((2, 16), 100, dtype="int8")
    y = np.full((16, 3), 100, dtype="int8")
    out = ops.matmul(x, y)
    assert keras.backend.standardize_dtype(out.dtype) == "int32"
    np.testing.assert_array_equal(ops.convert_to_numpy(out), np.full((2, 3), 160000))
    assert keras.backend.standardize_dtype(ops.matmul(np.ones((2, 2), "int8"), np.ones((2, 2), "bool")).dtype) == "int8"


def test_square_of_bools_and_rounding_ints_to_tens():
    sq = ops.square(np.array([True, False]))
    assert keras.backend.standardize_dtype(sq.dtype) == "int32"
    np.testing.assert_array_equal(ops.convert_to_numpy(sq), [1, 0])
    r = ops.round(np.array([123, 125, 135, -251], "int32"), -1)
    assert keras.backend.standardize_dtype(r.dtype) == "int32"
    np.testing.assert_array_equal(ops.convert_to_numpy(r), [120, 120, 140, -250])
    r16 = ops.round(np.array([1250, 1349], "int16"), -2)
    assert keras.backend.standardize_dtype(r16.dtype) == "int16"
    np.testing.assert_array_equal(ops.convert_to_numpy(r16), [1200, 1300])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.round(np.array([7, 8], "int32"), 1)), [7, 8])


def test_keras_tensor_comparison_arithmetic_and_logical_operators():
    # (shape, dtype) of each expression as real Keras 3.15.1 gives them
    x = KerasTensor((None, 3))
    y = KerasTensor((None, 3), "bool")
    cases = {"x < 1": (x < 1), "x <= 1": (x <= 1), "x > 1": (x > 1), "x >= 1": (x >= 1), "y & y": (y & y),
             "y | True": (y | True), "y ^ y": (y ^ y), "~y": (~y)}
    for expr, r in cases.items():
        assert (r.shape, r.dtype) == ((None, 3), "bool"), expr
    for expr, r in {"x // 2": x // 2, "2 // x": 2 // x, "x % 2": x % 2, "2 % x": 2 % x, "2 ** x": 2 ** x}.items():
        assert (r.shape, r.dtype) == ((None, 3), "float32"), expr
    # a functional model built with them runs eagerly
    a = keras.Input((3,))
    model = keras.Model(a, ops.where((a > 0) & ~(a > 2), a % 2, -a))
    np.testing.assert_array_equal(ops.convert_to_numpy(model(np.array([[1.0, 3.0, -4.0]], "float32"))),
                                  [[1.0, -3.0, 4.0]])
