"""``set_random_seed``: one seed for every random source a Keras program touches."""
from __future__ import annotations

import random

import numpy as np

import unidl


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and unidl's default generator (which
    initializers, dropout, ``keras.random`` with ``seed=None`` and unseeded SeedGenerators use)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    unidl.random.seed(seed)
