"""unidl.random gamma / poisson / negative binomial: reproducible, fixed counter advance, valid parameters."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
from unidl.errors import OpError
from unidl.random import Generator


@pytest.mark.parametrize("draw", [
    lambda g, p: unidl.random.gamma(p, 2.0, (3, 4), generator=g),
    lambda g, p: unidl.random.poisson(p, (3, 4), generator=g),
    lambda g, p: unidl.random.negative_binomial(p, 0.3, (3, 4), generator=g),
    lambda g, p: unidl.random.generalized_negative_binomial(p, 0.5, (3, 4), generator=g),
])
def test_same_seed_same_draws_and_data_independent_counter(draw):
    lam = unidl.tensor(np.array([[0.3], [4.0], [25.0]]))
    g1, g2, g3 = Generator(5), Generator(5), Generator(5)
    a, b = draw(g1, lam).numpy(), draw(g2, lam).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (3, 4) and a.dtype == np.float32 and np.all(np.isfinite(a)) and np.all(a >= 0)
    draw(g3, unidl.tensor(np.array([[7.0], [0.5], [300.0]])))     # other values, same shape
    assert g3.counter == g1.counter


def test_poisson_small_and_large_rates_have_poisson_moments():
    g = Generator(1)
    lam = unidl.tensor(np.array([[2.0], [40.0]]))
    x = unidl.random.poisson(lam, (2, 100000), dtype="float64", generator=g).numpy()
    np.testing.assert_allclose(x.mean(axis=1), [2.0, 40.0], rtol=0.02)
    np.testing.assert_allclose(x.var(axis=1), [2.0, 40.0], rtol=0.05)


def test_bad_parameters_are_refused():
    with pytest.raises(OpError, match="alpha"):
        unidl.random.gamma(0.0, 1.0, (2,))
    with pytest.raises(OpError, match="lam"):
        unidl.random.poisson(-1.0, (2,))
    with pytest.raises(OpError, match="p must be in"):
        unidl.random.negative_binomial(2.0, 1.5, (2,))
    with pytest.raises(OpError, match="dtype"):
        unidl.random.poisson(1.0, (2,), dtype="int32")
    with pytest.raises(OpError, match="broadcast"):
        unidl.random.gamma(unidl.tensor(np.ones((3,))), 1.0, (2,))
