"""Keras's Ftrl (``unidl.nn.optim.ftrl(form="keras")`` under ``keras.optimizers.Ftrl``) against real Keras 3
(fixture: data/ftrl_keras.npz, made by data/make_ftrl_fixture.py), and the rule's argument checks."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl.errors import OpError
from unidl.nn import optim

_DATA = os.path.join(os.path.dirname(__file__), "data")
_spec = importlib.util.spec_from_file_location("_make_ftrl_fixture", os.path.join(_DATA, "make_ftrl_fixture.py"))
_mk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mk)
_FIX = np.load(os.path.join(_DATA, "ftrl_keras.npz"))


@pytest.mark.parametrize("name", sorted(_mk.SETTINGS))
def test_ftrl_matches_real_keras(name):
    v = keras.Variable(_FIX["w0"].copy(), name="w")
    opt = keras.optimizers.Ftrl(**_mk.SETTINGS[name])
    for t in range(_mk.STEPS):
        opt.apply_gradients([(_FIX[f"g{t}"], v)])
    np.testing.assert_allclose(v.numpy(), _FIX[f"{name}/w"], rtol=2e-6, atol=1e-7)
    slots = {s.name.rsplit("_", 1)[-1]: s.numpy() for s in opt.variables[2:]}
    np.testing.assert_allclose(slots["accumulator"], _FIX[f"{name}/accumulator"], rtol=1e-6)
    np.testing.assert_allclose(slots["linear"], _FIX[f"{name}/linear"], rtol=2e-6, atol=1e-7)


def test_core_keras_form_in_place_and_numpy_reference():
    rng = np.random.default_rng(0)
    w, g = rng.normal(size=(5,)), rng.normal(size=(5,))
    n0, z0 = np.full(5, 0.1), rng.normal(size=(5,)) * 0.01
    p, z, n = unidl.tensor(w.copy()), unidl.tensor(z0.copy()), unidl.tensor(n0.copy())
    out = optim.ftrl(p, unidl.tensor(g), z, n, lr=0.1, lamda1=0.05, beta=0.3, form="keras", l2=0.2, l2_shrinkage=0.1)
    assert out is p
    # Keras 3's formulas, written out (float64)
    l2r = 0.2 + 0.3 / (2 * 0.1)
    nn = n0 + g * g
    zz = z0 + (g + 2 * 0.1 * w - (np.sqrt(nn) - np.sqrt(n0)) / 0.1 * w)
    ww = (np.clip(zz, -0.05, 0.05) - zz) / (np.sqrt(nn) / 0.1 + 2 * l2r)
    np.testing.assert_allclose(p.numpy(), ww, rtol=1e-12)
    np.testing.assert_allclose(z.numpy(), zz, rtol=1e-12)
    np.testing.assert_allclose(n.numpy(), nn, rtol=1e-12)


def test_core_keras_form_rejects_mxnet_only_arguments():
    p, g, z, n = (unidl.tensor(np.ones(3)) for _ in range(4))
    with pytest.raises(OpError, match="MXNet-only"):
        optim.ftrl(p, g, z, n, form="keras", clip_gradient=1.0)
    with pytest.raises(OpError, match="form must be"):
        optim.ftrl(p, g, z, n, form="torch")
    with pytest.raises(OpError, match="state 'n'"):
        optim.ftrl(p, g, z, unidl.tensor(np.ones(4)), form="keras")
