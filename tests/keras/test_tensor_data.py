"""``fit`` / ``evaluate`` / ``predict`` / ``model(x)`` on data given as unidl Tensors or Keras Variables
(batches are sliced or gathered from the tensor, not turned into object arrays). Expected values from
NumPy on the same weights."""
import numpy as np
import pytest

import unidl
import unidl_keras as keras

X = np.linspace(-1, 1, 30, dtype=np.float32).reshape(10, 3)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)


def _model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return m


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_predict_call_evaluate_on_tensors(kind):
    wrap = unidl.tensor if kind == "tensor" else (lambda a: keras.Variable(a, trainable=False))
    x, y = wrap(X), wrap(Y)
    m = _model()
    w, b = m.get_weights()
    want = X @ w + b
    np.testing.assert_allclose(m.predict(x, batch_size=4, verbose=0), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m(x).numpy(), want, rtol=1e-5, atol=1e-6)
    loss, mae = m.evaluate(x, y, batch_size=4, verbose=0)
    assert loss == pytest.approx(float(np.mean((want - Y) ** 2)), rel=1e-5)
    assert mae == pytest.approx(float(np.mean(np.abs(want - Y))), rel=1e-5)


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_fit_on_tensors_with_and_without_shuffling(kind):
    wrap = unidl.tensor if kind == "tensor" else (lambda a: keras.Variable(a, trainable=False))
    for shuffle in (False, True):
        m = _model()
        h = m.fit(wrap(X), wrap(Y), batch_size=4, epochs=2, shuffle=shuffle, verbose=0,
                  validation_split=0.2)
        assert np.isfinite(h.history["loss"]).all() and len(h.history["val_loss"]) == 2
    np.random.seed(0)
    a = _model()
    b = _model()
    b.set_weights(a.get_weights())
    np.random.seed(1)
    a.fit(X, Y, batch_size=4, epochs=1, shuffle=True, verbose=0)
    np.random.seed(1)
    b.fit(wrap(X), wrap(Y), batch_size=4, epochs=1, shuffle=True, verbose=0)
    for u, v in zip(a.get_weights(), b.get_weights()):  # same batches as from the NumPy arrays
        np.testing.assert_allclose(u, v, rtol=1e-6)
