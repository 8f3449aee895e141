"""Recurrent layers with an initial state and a mask whose leading steps are masked: outputs at those
steps are zeros and the state is carried, as real Keras 3 (fixture: data/rnn_initial_state_mask.npz,
made by data/make_rnn_mask_fixture.py)."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl.nn import functional as F

_DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
_spec = importlib.util.spec_from_file_location("_make_rnn_mask_fixture", os.path.join(_DATA, "make_rnn_mask_fixture.py"))
_mk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mk)
_FIX = np.load(os.path.join(_DATA, "rnn_initial_state_mask.npz"))


@pytest.mark.parametrize("name", _mk.case_names())
def test_matches_real_keras(name):
    case, gb, rs = name.rsplit("_", 2)
    layer = _mk.make_layer(keras, case, gb == "gb1", rs == "rs1")
    x = _FIX["x"]
    init = [_FIX[f"{name}/s{i}"] for i in range(_mk.CASES[case][3])]
    layer(x, initial_state=init)
    layer.set_weights([_FIX[f"{name}/w{i}"] for i in range(len(layer.weights))])
    for j in range(2):
        outs = layer(x, mask=_FIX[f"mask{j}"], initial_state=init)
        for i, o in enumerate(outs):
            np.testing.assert_allclose(o.numpy(), _FIX[f"{name}/m{j}_o{i}"], rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} mask{j} output {i}")


def test_functional_leading_masked_steps_are_zero_and_state_carried():
    """F.simple_rnn by hand: h0 given, step 0 masked -> out[0] = 0, state after step 0 = h0."""
    rng = np.random.default_rng(3)
    x, h0 = rng.normal(size=(1, 3, 2)), rng.normal(size=(1, 2))
    w, u, b = rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=(2,))
    mask = np.array([[False, True, True]])
    out, hT = F.simple_rnn(unidl.tensor(x), unidl.tensor(h0), unidl.tensor(w), unidl.tensor(u), unidl.tensor(b),
                           mask=mask)
    h1 = np.tanh(x[:, 1] @ w + h0 @ u + b)
    h2 = np.tanh(x[:, 2] @ w + h1 @ u + b)
    np.testing.assert_allclose(out.numpy(), np.stack([np.zeros_like(h1), h1, h2], 1), rtol=1e-6)
    np.testing.assert_allclose(hT.numpy(), h2, rtol=1e-6)
