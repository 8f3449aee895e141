"""A small convnet on MNIST digits, in the shape of the Keras "Simple MNIST convnet" example.

Run unmodified with ``unidl run examples/keras_mnist_convnet.py`` (plain ``import keras``).
Offline note: the real MNIST file is used when it sits in the Keras cache (~/.keras/datasets/mnist.npz);
otherwise the script makes a small synthetic stand-in (one noisy 28x28 template per digit class). A
slice of the data, one epoch and fewer filters than the original keep it to a few seconds on a CPU.
"""
import numpy as np

import keras
from keras import layers

num_classes = 10
input_shape = (28, 28, 1)
train_size, test_size = 1024, 256


def synthetic_digits(n, seed):
    """(images uint8 (n, 28, 28), labels uint8 (n,)): a fixed blocky pattern per class plus noise."""
    coarse = np.random.default_rng(0).random((num_classes, 7, 7)) > 0.6
    templates = np.kron(coarse, np.ones((4, 4), bool))  # blocky 28x28 strokes
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, n).astype("uint8")
    noise = rng.random((n, 28, 28)) > 0.7
    return np.where(templates[y] ^ noise, 255, 0).astype("uint8"), y


try:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
except Exception as err:  # offline: no cached MNIST
    print(f"MNIST not available ({type(err).__name__}); using synthetic digits")
    (x_train, y_train), (x_test, y_test) = synthetic_digits(train_size, 1), synthetic_digits(test_size, 2)
x_train, y_train = x_train[:train_size], y_train[:train_size]
x_test, y_test = x_test[:test_size], y_test[:test_size]

# scale to [0, 1] and add the channel axis: (N, 28, 28, 1)
x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
print("x_train shape:", x_train.shape)

y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()

batch_size = 64
epochs = 4
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=2)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
