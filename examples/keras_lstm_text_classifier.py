"""An LSTM sentiment classifier, in the shape of the classic Keras ``imdb_lstm`` example.

Run unmodified with ``unidl run examples/keras_lstm_text_classifier.py`` (plain ``import keras``).
Offline note: the real IMDB reviews are used when ``imdb.npz`` sits in the Keras cache
(~/.keras/datasets); otherwise the script makes a small synthetic stand-in: random word-index
"reviews" whose label says whether "positive" words (indices 10-19) outnumber "negative" ones (20-29).
Smaller vocabulary, sequences, layers and data than the original keep it to a few seconds on a CPU.
"""
import numpy as np

import keras
from keras import layers

max_features = 2000  # vocabulary size
maxlen = 40  # cut reviews after this many words
batch_size = 32
train_size, test_size = 512, 128


def synthetic_reviews(n, seed):
    """(list of n int sequences of varying length, labels (n,) in {0, 1})."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        length = int(rng.integers(10, 60))
        words = rng.integers(30, max_features, length)
        cue = rng.integers(10, 20, 4) if label else rng.integers(20, 30, 4)
        words[rng.choice(length, 4, replace=False)] = cue
        xs.append(words.tolist())
        ys.append(label)
    return xs, np.array(ys)


print("Loading data...")
try:
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=max_features)
except Exception as err:  # offline: no cached IMDB
    print(f"IMDB not available ({type(err).__name__}); using synthetic reviews")
    (x_train, y_train), (x_test, y_test) = synthetic_reviews(train_size, 1), synthetic_reviews(test_size, 2)
x_train, y_train = x_train[:train_size], y_train[:train_size]
x_test, y_test = x_test[:test_size], y_test[:test_size]
print(len(x_train), "train sequences")
print(len(x_test), "test sequences")

print("Pad sequences (samples x time)")
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen)
print("x_train shape:", x_train.shape)
print("x_test shape:", x_test.shape)

print("Build model...")
model = keras.Sequential()
model.add(keras.Input(shape=(maxlen,), dtype="int32"))
model.add(layers.Embedding(max_features, 32))
model.add(layers.LSTM(32, dropout=0.2))
model.add(layers.Dense(1, activation="sigmoid"))

model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

print("Train...")
model.fit(x_train, y_train, batch_size=batch_size, epochs=3, validation_data=(x_test, y_test), verbose=2)
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print("Test score:", score)
print("Test accuracy:", acc)
