"""A multilayer perceptron on MNIST digits, in the shape of the classic Keras ``mnist_mlp`` example.

Run unmodified with ``unidl run examples/keras_mnist_mlp.py`` (plain ``import keras``).
Offline note: the real MNIST file is used when it sits in the Keras cache (~/.keras/datasets/mnist.npz);
otherwise the script makes a small synthetic stand-in (one noisy 28x28 template per digit class), so
it runs anywhere in a few seconds. Only a slice of the data and a few epochs are used, for speed.
"""
import numpy as np

import keras
from keras import layers

keras.utils.set_random_seed(1)  # the same weights and batch order on every run

batch_size = 64
num_classes = 10
epochs = 2
train_size, test_size = 1024, 256


def synthetic_digits(n, seed):
    """(images uint8 (n, 28, 28), labels uint8 (n,)): a fixed blocky pattern per class plus noise."""
    coarse = np.random.default_rng(0).random((num_classes, 7, 7)) > 0.6
    templates = np.kron(coarse, np.ones((4, 4), bool))  # blocky 28x28 strokes
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, n).astype("uint8")
    noise = rng.random((n, 28, 28)) > 0.65  # 35% of pixels flipped
    x = (np.where(templates[y] ^ noise, 255, 0)).astype("uint8")
    return x, y


try:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
except Exception as err:  # offline: no cached MNIST
    print(f"MNIST not available ({type(err).__name__}); using synthetic digits")
    (x_train, y_train), (x_test, y_test) = synthetic_digits(train_size, 1), synthetic_digits(test_size, 2)

x_train, y_train = x_train[:train_size], y_train[:train_size]
x_test, y_test = x_test[:test_size], y_test[:test_size]

# flatten the 28x28 images to 784-vectors in [0, 1]
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# one-hot class vectors
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(512, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(512, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(num_classes, activation="softmax"),
])
model.summary()

model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=2,
                    validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
