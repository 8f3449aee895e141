"""Write ftrl_keras.npz: real Keras 3 ``Ftrl`` run for 5 steps on float32 variables, several settings.

Run with real Keras (``KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/keras/data/make_ftrl_fixture.py``).
Keys: ``w0``, ``g<t>`` (the gradients), per setting ``<name>/w`` (the variable after the steps) and
``<name>/accumulator``, ``<name>/linear``. tests/keras/test_ftrl_keras.py replays them on unidl_keras.
"""
from __future__ import annotations

import os

import numpy as np

#: name -> Ftrl keyword arguments
SETTINGS = {
    "default": {},
    "l1_l2": {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.1},
    "shrinkage_beta": {"learning_rate": 0.05, "l2_shrinkage_regularization_strength": 0.05, "beta": 0.5,
                       "l1_regularization_strength": 0.001},
    "power_init": {"learning_rate": 0.2, "learning_rate_power": -0.3, "initial_accumulator_value": 0.5},
    "weight_decay": {"learning_rate": 0.1, "weight_decay": 0.04, "l2_regularization_strength": 0.01},
    "zero_power": {"learning_rate": 0.01, "learning_rate_power": 0.0},
}
STEPS = 5


def main() -> None:
    import keras

    rng = np.random.default_rng(7)
    w0 = rng.normal(size=(3, 4)).astype("float32")
    grads = [rng.normal(size=(3, 4)).astype("float32") for _ in range(STEPS)]
    out = {"w0": w0, **{f"g{t}": g for t, g in enumerate(grads)}}
    for name, kw in SETTINGS.items():
        v = keras.Variable(w0.copy(), name="w")
        opt = keras.optimizers.Ftrl(**kw)
        for g in grads:
            opt.apply_gradients([(keras.ops.convert_to_tensor(g), v)])
        out[f"{name}/w"] = keras.ops.convert_to_numpy(v)
        slots = {s.name.rsplit("_", 1)[-1]: keras.ops.convert_to_numpy(s) for s in opt.variables[2:]}
        out[f"{name}/accumulator"], out[f"{name}/linear"] = slots["accumulator"], slots["linear"]
    np.savez_compressed(os.path.join(os.path.dirname(os.path.abspath(__file__)), "ftrl_keras.npz"), **out)


if __name__ == "__main__":
    main()
