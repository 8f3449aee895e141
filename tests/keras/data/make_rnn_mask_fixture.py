"""Write rnn_initial_state_mask.npz: real Keras 3 recurrent layers run with an ``initial_state`` and a
mask whose leading (in processing order) steps are masked, or whole rows masked.

Run with real Keras (``KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/keras/data/make_rnn_mask_fixture.py``).
Keys: ``x``, ``mask0``, ``mask1``; per case ``<case>/w<i>`` (the weights set), ``<case>/s<i>`` (the
initial states), ``<case>/m<j>_o<i>`` (the outputs: sequence or last output, then the final states).
tests/keras/layers/test_rnn_initial_state_mask.py rebuilds each case with unidl_keras.
"""
from __future__ import annotations

import os

import numpy as np

#: case -> (layer class, cell class for RNN or None, kwargs, number of states)
CASES = {
    "lstm": ("LSTM", None, {}, 2),
    "gru": ("GRU", None, {}, 1),
    "simple_rnn": ("SimpleRNN", None, {}, 1),
    "lstm_relu": ("LSTM", None, {"activation": "relu"}, 2),
    "gru_v1": ("GRU", None, {"reset_after": False}, 1),
    "gru_zero_output": ("GRU", None, {"zero_output_for_mask": True}, 1),
    "rnn_lstm_cell": ("RNN", "LSTMCell", {}, 2),
}
MASKS = (np.array([[0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 1, 1]], bool),
         np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], bool))


def make_layer(keras, case: str, go_backwards: bool, return_sequences: bool):
    cls, cell, kw, _ = CASES[case]
    if cell is not None:
        return getattr(keras.layers, cls)(getattr(keras.layers, cell)(2), return_sequences=return_sequences,
                                          return_state=True, go_backwards=go_backwards, **kw)
    return getattr(keras.layers, cls)(2, return_sequences=return_sequences, return_state=True,
                                      go_backwards=go_backwards, **kw)


def case_names():
    return [f"{c}_gb{int(gb)}_rs{int(rs)}" for c in CASES for gb in (False, True) for rs in (False, True)]


def main() -> None:
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 3)).astype("float32")
    out = {"x": x, "mask0": MASKS[0], "mask1": MASKS[1]}
    for name in case_names():
        case, gb, rs = name.rsplit("_", 2)
        layer = make_layer(keras, case, gb == "gb1", rs == "rs1")
        init = [rng.normal(size=(3, 2)).astype("float32") for _ in range(CASES[case][3])]
        layer(x, initial_state=init)
        ws = [rng.normal(size=w.shape).astype("float32") for w in layer.weights]
        layer.set_weights(ws)
        for i, w in enumerate(ws):
            out[f"{name}/w{i}"] = w
        for i, s in enumerate(init):
            out[f"{name}/s{i}"] = s
        for j, mask in enumerate(MASKS):
            for i, o in enumerate(layer(x, mask=mask, initial_state=init)):
                out[f"{name}/m{j}_o{i}"] = keras.ops.convert_to_numpy(o)
    np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rnn_initial_state_mask.npz"), **out)


if __name__ == "__main__":
    main()
