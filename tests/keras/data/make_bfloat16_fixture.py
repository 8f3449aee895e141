"""Make tests/keras/data/bf16_dense.weights.h5 for tests/keras/test_bfloat16.py with real Keras 3 (torch):

    KERAS_BACKEND=torch /path/to/keras-venv/bin/python tests/keras/data/make_bfloat16_fixture.py

Sequential(Input(4), Dense(3, dtype="bfloat16")) with a constant kernel 0.3 and bias -1.7 (bfloat16:
0.30078125 and -1.703125); Keras stores bfloat16 variables as raw 16-bit words marked attrs["dtype"].
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype="bfloat16",
                                                            kernel_initializer=keras.initializers.Constant(0.3),
                                                            bias_initializer=keras.initializers.Constant(-1.7))])
m.save_weights(os.path.join(HERE, "bf16_dense.weights.h5"))
