"""compile / fit / evaluate / predict / *_on_batch semantics, checked against hand computations."""
import numpy as np
import pytest

import unidl
import unidl_keras as keras


def _linear_model(units=1, inputs=3, name=None):
    m = keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(units, kernel_initializer="zeros")], name=name)
    return m


def _data(n=64, d=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, d).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)[:d] + 0.3).astype("float32")
    return x, y


def test_one_sgd_epoch_matches_hand_written_gradient_descent():
    x, y = _data(32)
    m = _linear_model()
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    m.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    w, b = np.zeros((3, 1), np.float32), np.zeros(1, np.float32)
    for i in range(4):
        xb, yb = x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]
        err = xb @ w + b - yb
        gw, gb = 2 * xb.T @ err / err.size, 2 * err.sum(0) / err.size
        w, b = w - 0.1 * gw, b - 0.1 * gb
    kw, kb = m.get_weights()
    np.testing.assert_allclose(kw, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(kb, b, rtol=1e-5, atol=1e-6)


def test_history_logs_are_epoch_means_with_keras_keys():
    x, y = _data(40)
    m = _linear_model()
    m.compile("sgd", "mse", metrics=["mae"])
    h = m.fit(x, y, batch_size=16, epochs=3, verbose=0, validation_data=(x[:8], y[:8]))
    assert sorted(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 3 for v in h.history.values())
    assert h.epoch == [0, 1, 2]
    assert m.history is h
    # validation numbers are those of evaluate on the same data after the epoch
    val = m.evaluate(x[:8], y[:8], verbose=0, return_dict=True)
    assert val["loss"] == pytest.approx(h.history["val_loss"][-1], rel=1e-5)


def test_validation_split_takes_the_last_samples():
    x, y = _data(20)
    seen = []

    class Spy(keras.layers.Layer):
        def call(self, v, training=None):
            if training is False:
                seen.append(v.numpy().copy())
            return v

    m = keras.Sequential([keras.Input((3,)), Spy(), keras.layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(x, y, batch_size=100, epochs=1, validation_split=0.25, verbose=0)
    np.testing.assert_array_equal(seen[-1], x[15:])


def test_evaluate_and_on_batch_return_formats():
    x, y = _data(16)
    m = _linear_model()
    m.compile("sgd", "mse", metrics=["mae", "mse"])
    res = m.evaluate(x, y, verbose=0)
    pred = x @ m.get_weights()[0] + m.get_weights()[1]
    assert res[0] == pytest.approx(float(((pred - y) ** 2).mean()), rel=1e-5)
    assert res[1] == pytest.approx(float(np.abs(pred - y).mean()), rel=1e-5)
    assert m.metrics_names[0] == "loss"
    d = m.test_on_batch(x, y, return_dict=True)
    assert set(d) == {"loss", "mae", "mse"}
    m2 = _linear_model()
    m2.compile("sgd", "mse")
    assert isinstance(m2.evaluate(x, y, verbose=0), float)
    before = m2.get_weights()[0].copy()
    loss = m2.train_on_batch(x, y)
    assert isinstance(loss, float) and not np.array_equal(before, m2.get_weights()[0])
    np.testing.assert_allclose(m2.predict_on_batch(x), m2.predict(x, batch_size=5, verbose=0), rtol=1e-6)


def test_sample_weight_and_class_weight_weight_the_loss():
    x, y = _data(4)
    m = _linear_model()
    m.compile("sgd", "mse")
    m.set_weights([np.ones((3, 1), np.float32), np.zeros(1, np.float32)])
    sw = np.array([1.0, 0.0, 2.0, 0.0], np.float32)
    got = m.evaluate(x, y, sample_weight=sw, verbose=0)
    per = ((x @ np.ones((3, 1)) - y) ** 2).mean(1)
    assert got == pytest.approx(float((per * sw).sum() / 4), rel=1e-5)

    c = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")])
    c.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    labels = np.array([0, 1, 1, 0])
    a = c.evaluate(x, labels, verbose=0)
    b = c.test_on_batch(x, labels, sample_weight=np.array([2.0, 1.0, 1.0, 2.0], np.float32))
    assert a > 0
    with pytest.raises(ValueError, match="class_weight"):
        c.fit(x, labels, class_weight={0: 1.0}, verbose=0)
    h = c.fit(x, labels, class_weight={0: 2.0, 1: 1.0}, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert h.history["loss"][0] == pytest.approx(b, rel=1e-5)


def test_generators_and_pydataset_are_accepted():
    x, y = _data(32)

    def gen():
        while True:
            for i in range(4):
                yield x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    class Data(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.ends = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

        def on_epoch_end(self):
            self.ends += 1

    m = _linear_model()
    m.compile(keras.optimizers.SGD(0.1), "mse")
    m.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0)
    w_gen = m.get_weights()
    m2 = _linear_model()
    m2.compile(keras.optimizers.SGD(0.1), "mse")
    data = Data()
    m2.fit(data, epochs=2, verbose=0, shuffle=False)
    assert data.ends == 2
    for a, b in zip(w_gen, m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert m2.predict(data, verbose=0).shape == (32, 1)


def test_multi_output_losses_weights_and_log_names():
    inp = keras.Input((3,), name="inp")
    a = keras.layers.Dense(1, name="a", kernel_initializer="zeros")(inp)
    b = keras.layers.Dense(1, name="b", kernel_initializer="zeros")(inp)
    m = keras.Model(inp, [a, b])
    m.compile("sgd", ["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], []])
    x, y = _data(8)
    logs = m.evaluate(x, [y, 2 * y], verbose=0, return_dict=True)
    assert set(logs) == {"loss", "a_loss", "b_loss", "a_mae"}
    assert logs["a_loss"] == pytest.approx(float((y ** 2).mean()), rel=1e-5)
    assert logs["b_loss"] == pytest.approx(float(np.abs(2 * y).mean()), rel=1e-5)
    assert logs["loss"] == pytest.approx(logs["a_loss"] + 0.5 * logs["b_loss"], rel=1e-5)


def test_accuracy_string_resolves_by_label_shape():
    x = np.eye(4, dtype=np.float32)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4, kernel_initializer="identity", use_bias=False)])
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert m.evaluate(x, np.array([0, 1, 2, 0]), verbose=0, return_dict=True)["accuracy"] == pytest.approx(0.75)
    m.compile("sgd", "categorical_crossentropy", metrics=["acc"])
    onehot = np.eye(4, dtype=np.float32)[[0, 1, 3, 3]]
    assert m.evaluate(x, onehot, verbose=0, return_dict=True)["acc"] == pytest.approx(0.75)


def test_bad_inputs_give_clear_errors():
    x, y = _data(8)
    m = _linear_model()
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        m.compile("not_an_optimizer", "mse")
    with pytest.raises(ValueError, match="loss"):
        m.compile("sgd", "not_a_loss")
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match="cardinality"):
        m.fit(x, y[:5], verbose=0)
    with pytest.raises(ValueError, match="incompatible"):
        m.fit(x[:, :2], y, verbose=0)
    c = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    c.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match="shape"):
        c.fit(x, np.zeros((8, 3), np.float32), verbose=0)


def test_callbacks_see_the_loop_and_can_stop_it():
    x, y = _data(32)
    events = []

    class Stopper(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            events.append((epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True

    m = _linear_model()
    m.compile("sgd", "mse")
    h = m.fit(x, y, epochs=10, verbose=0, callbacks=[Stopper()])
    assert [e[0] for e in events] == [0, 1] and events[0][1] == ["loss"]
    assert len(h.history["loss"]) == 2


def test_fit_is_deterministic_under_set_random_seed():
    x, y = _data(64)

    def run():
        keras.utils.set_random_seed(42)
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(1)])
        m.compile("adam", "mse")
        m.fit(x, y, epochs=2, batch_size=16, verbose=0)
        return m.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)
