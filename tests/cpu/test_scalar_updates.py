"""Optimizer updates on 0-d (scalar) parameters, e.g. a Keras ``add_weight(shape=())`` temperature."""
import numpy as np
import pytest

import unidl_keras as keras

KERAS_OPTIMIZERS = ["sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl"]


@pytest.mark.parametrize("name", KERAS_OPTIMIZERS)
def test_keras_optimizer_updates_a_scalar_like_a_one_element_vector(name):
    scalar = keras.Variable(np.float32(1.5))
    vector = keras.Variable(np.array([1.5], np.float32))
    opt_s, opt_v = keras.optimizers.get(name), keras.optimizers.get(name)
    for g in (0.3, -0.2, 0.7):
        opt_s.apply([keras.ops.convert_to_tensor(np.float32(g))], [scalar])
        opt_v.apply([keras.ops.convert_to_tensor(np.array([g], np.float32))], [vector])
    assert np.asarray(scalar.numpy()).shape == ()
    assert np.asarray(scalar.numpy()).tobytes() == np.asarray(vector.numpy()).reshape(()).tobytes()
    assert float(np.asarray(scalar.numpy())) != 1.5


def test_mxnet_form_sgd_with_clipping_updates_a_scalar_in_place():
    import unidl
    from unidl.nn import optim

    p = unidl.tensor(np.float32(2.0))
    optim.sgd(p, unidl.tensor(np.float32(1.0)), lr=0.1, form="mxnet", weight_decay=0.01, clip_gradient=0.05)
    # MXNet's sgd_update: (1 - lr*wd) * w - lr * clip(g), in float32
    want = np.float32(1) - np.float32(0.1) * np.float32(0.01)
    want = want * np.float32(2.0) - np.float32(0.1) * np.float32(0.05)
    assert p.numpy().shape == ()
    np.testing.assert_allclose(p.numpy(), want, rtol=1e-6)
