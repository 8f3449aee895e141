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
