"""Small models trained with fit on synthetic data reach a set accuracy (the seed scripts' shapes)."""
import numpy as np

import unidl_keras as keras


def _teacher(n, shape, classes, seed):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, *shape).astype("float32")
    w = rng.randn(int(np.prod(shape)), classes).astype("float32")
    y = np.argmax(x.reshape(n, -1) @ w, axis=1)
    return x, y


def test_mlp_784_32_10_learns_a_linear_teacher():
    keras.utils.set_random_seed(0)
    x, y = _teacher(600, (784,), 10, 1)
    m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x[:500], y[:500], epochs=8, batch_size=32, verbose=0)
    assert h.history["accuracy"][-1] > 0.95
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_mnist_style_cnn_learns_bright_quadrant():
    keras.utils.set_random_seed(1)
    rng = np.random.RandomState(2)
    n = 256
    y = rng.randint(0, 4, n)
    x = rng.rand(n, 12, 12, 1).astype("float32") * 0.5
    for i, c in enumerate(y):
        r, s = divmod(c, 2)
        x[i, r * 6:(r + 1) * 6, s * 6:(s + 1) * 6, 0] += 1.0
    m = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                          keras.layers.MaxPooling2D(2), keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, keras.utils.to_categorical(y, 4).argmax(1), epochs=6, batch_size=32, verbose=0)
    assert m.evaluate(x, y, verbose=0)[1] > 0.95


def test_stacked_lstm_learns_the_sign_of_a_sum():
    keras.utils.set_random_seed(3)
    rng = np.random.RandomState(4)
    x = rng.randn(256, 10, 2).astype("float32")
    y = (x[:, :, 0].sum(1) > 0).astype("int64")
    m = keras.Sequential([keras.Input((10, 2)), keras.layers.LSTM(16, return_sequences=True),
                          keras.layers.LSTM(16, return_sequences=True), keras.layers.LSTM(16),
                          keras.layers.Dense(2, activation="softmax")])
    m.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert m.evaluate(x, y, verbose=0)[1] > 0.9


def test_keras_mnist_convnet_example_builds_with_the_documented_sizes_and_trains():
    # the "Simple MNIST convnet" example from the Keras documentation: 34,826 parameters
    keras.utils.set_random_seed(5)
    L = keras.layers
    m = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, kernel_size=(3, 3), activation="relu"),
                          L.MaxPooling2D(pool_size=(2, 2)), L.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                          L.MaxPooling2D(pool_size=(2, 2)), L.Flatten(), L.Dropout(0.5),
                          L.Dense(10, activation="softmax")])
    assert [layer.output_shape for layer in m.layers] == [(None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64),
                                                          (None, 5, 5, 64), (None, 1600), (None, 1600), (None, 10)]
    assert m.count_params() == 34826
    rng = np.random.RandomState(6)
    x = rng.rand(32, 28, 28, 1).astype("float32")
    y = keras.utils.to_categorical(rng.randint(0, 10, 32), 10)
    m.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=16, epochs=4, validation_split=0.25, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert sorted(h.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
