"""BatchNormalization(renorm=True): outputs, moving statistics and gradients as real Keras 3.15.1 gives
them (torch backend; the literals below were printed by Keras on the same inputs)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras


def _x():
    return (np.random.RandomState(0).randn(6, 5, 3) * 2 + 1).astype("float32")


@pytest.mark.parametrize("clip, y2", [
    (None, [7.716972827911377, 3.0813660621643066, 5.953803062438965]),
    ({"rmax": 1.2, "rmin": 0.9, "dmax": 0.3}, [3.277055025100708, 1.1321468353271484, 3.0146918296813965]),
])
def test_renorm_outputs_and_statistics_match_keras(clip, y2):
    x = _x()
    C = keras.initializers.Constant
    bn = keras.layers.BatchNormalization(renorm=True, renorm_clipping=clip, momentum=0.8, renorm_momentum=0.7,
                                         gamma_initializer=C(1.5), beta_initializer=C(0.2),
                                         moving_variance_initializer=C(2.0))
    ys = [keras.ops.convert_to_numpy(bn(x * (i + 1), training=True)) for i in range(3)]
    np.testing.assert_allclose(ys[2][0, 0], y2, rtol=2e-6, atol=2e-6)
    infer = keras.ops.convert_to_numpy(bn(x, training=False))
    np.testing.assert_allclose(infer[0, 0], [1.7669183015823364, 0.44985392689704895, 1.5593550205230713], rtol=2e-6)
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance", "moving_stddev",
                                            "renorm_mean", "renorm_stddev"]
    expected = {
        "moving_mean": [1.3197733163833618, 1.339240550994873, 0.5260962247848511],
        "moving_variance": [9.431966781616211, 7.661159992218018, 7.197175025939941],
        "moving_stddev": [3.0713136196136475, 2.7680606842041016, 2.682941436767578],
        "renorm_mean": [1.84743070602417, 1.8746811151504517, 0.7364344000816345],
        "renorm_stddev": [3.7707505226135254, 3.3462533950805664, 3.227102279663086],
    }
    for name, want in expected.items():
        np.testing.assert_allclose(getattr(bn, name).numpy(), want, rtol=2e-6, err_msg=name)


def test_renorm_gradients_treat_r_and_d_as_constants():
    rng = np.random.RandomState(0)
    x = (rng.randn(6, 5, 3) * 2 + 1).astype("float32")
    w = rng.randn(6, 5, 3).astype("float32")
    bn = keras.layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.2, "rmin": 0.9, "dmax": 0.3},
                                         gamma_initializer=keras.initializers.Constant(1.5))
    bn(x, training=True)
    xt = unidl.tensor(x * 2, requires_grad=True)
    with unidl.autograd.record():
        loss = unidl.ops.sum(unidl.ops.multiply(bn(xt, training=True), unidl.tensor(w)))
    gx, gg, gb = unidl.autograd.grad(loss, [xt, bn.gamma, bn.beta])
    np.testing.assert_allclose(gx.numpy()[0, 0], [-0.2544615566730499, 0.44648781418800354, 0.2950190603733063],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gg.numpy(), [-0.30367612838745117, 5.16444206237793, -9.729164123535156], rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), [11.448724746704102, 6.959516525268555, -2.2065980434417725], rtol=1e-5)


def test_renorm_clipping_is_validated_as_keras():
    with pytest.raises(ValueError, match="invalid keys for `renorm_clipping`"):
        keras.layers.BatchNormalization(renorm=True, renorm_clipping={"rmx": 1.0})
    with pytest.raises(ValueError, match="rmax should be greater than rmin"):
        keras.layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 0.5, "rmin": 1.0})
    with pytest.raises(ValueError, match="dmax should be non-negative"):
        keras.layers.BatchNormalization(renorm=True, renorm_clipping={"dmax": -1})


def test_renorm_layer_round_trips_through_a_keras_file(tmp_path):
    x = _x()
    m = keras.Sequential([keras.Input((5, 3)), keras.layers.BatchNormalization(renorm=True, renorm_momentum=0.5)])
    m.layers[0](x, training=True)
    m.save(tmp_path / "m.keras")
    m2 = keras.saving.load_model(tmp_path / "m.keras")
    assert m2.layers[0].renorm and m2.layers[0].renorm_momentum == 0.5
    np.testing.assert_array_equal(m2.layers[0].renorm_stddev.numpy(), m.layers[0].renorm_stddev.numpy())
    np.testing.assert_array_equal(m2.predict(x, verbose=0), m.predict(x, verbose=0))
