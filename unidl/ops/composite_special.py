"""Composites of erf, erfc and gelu from the primitive tier: W. J. Cody's rational approximations (1969), in the
operation order of the reference kernel (``unidl_cpu.kernels.elementwise``), so the results are bitwise equal.
The coefficients are the published ones; the reference kernel holds the same table."""
from __future__ import annotations

from .activation import GELU_TANH_C, SQRT_2_OVER_PI, SQRT_HALF
from .composite_basic import _c, composite
from .composite_extra import _asf

_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
          2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
          2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
          1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
          3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
          1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
          6.05183413124413191e-2, 2.33520497626869185e-3)
_ERF_THRESH = 0.46875
_INV_SQRT_PI = 5.6418958354775628695e-1


def _erf_small(K, x):
    """erf(x) for |x| <= 0.46875: x * P(x^2) / Q(x^2)."""
    a, b = _ERF_A, _ERF_B
    z = K.multiply(x, x)
    num, den = K.multiply(a[4], z), z
    for i in range(3):
        num = K.multiply(K.add(num, a[i]), z)
        den = K.multiply(K.add(den, b[i]), z)
    return K.divide(K.multiply(x, K.add(num, a[3])), K.add(den, b[3]))


def _erfc_big(K, y):
    """erfc(y) for 0.46875 < y <= 28."""
    c, d, p, q = _ERF_C, _ERF_D, _ERF_P, _ERF_Q
    num, den = K.multiply(c[8], y), y
    for i in range(7):
        num = K.multiply(K.add(num, c[i]), y)
        den = K.multiply(K.add(den, d[i]), y)
    mid = K.divide(K.add(num, c[7]), K.add(den, d[7]))
    y4 = K.maximum(y, 4.0)
    z = K.divide(1.0, K.multiply(y4, y4))
    num, den = K.multiply(p[5], z), z
    for i in range(4):
        num = K.multiply(K.add(num, p[i]), z)
        den = K.multiply(K.add(den, q[i]), z)
    far = K.divide(K.subtract(_INV_SQRT_PI, K.divide(K.multiply(z, K.add(num, p[4])), K.add(den, q[4]))), y4)
    r = K.where(K.less_equal(y, 4.0), mid, far)
    s = K.divide(K.floor(K.multiply(y, 16.0)), 16.0)  # y >= 0: trunc is floor
    e1 = K.exp(K.multiply(K.negative(s), s))
    e2 = K.exp(K.multiply(K.negative(K.subtract(y, s)), K.add(y, s)))
    return K.multiply(K.multiply(e1, e2), r)


def _erf_parts(K, x):
    x = _asf(K, x)
    y = K.minimum(K.abs(x), 28.0)
    near = K.less_equal(y, _ERF_THRESH)
    small = _erf_small(K, K.where(near, x, 0.0))
    big = _erfc_big(K, K.maximum(y, _ERF_THRESH))
    return x, near, small, big


@composite("erf")
def _erf(K, x):
    x, near, small, big = _erf_parts(K, x)
    big = K.subtract(1.0, big)
    out = K.where(near, small, K.where(K.less(x, 0), K.negative(big), big))
    return K.astype(out, x.dtype)


@composite("erfc")
def _erfc(K, x):
    x, near, small, big = _erf_parts(K, x)
    out = K.where(near, K.subtract(1.0, small), K.where(K.less(x, 0), K.subtract(2.0, big), big))
    return K.astype(out, x.dtype)


@composite("gelu")
def _gelu(K, x, approximate):
    x = _asf(K, x)
    if approximate:
        cube = K.multiply(K.multiply(K.multiply(_c(x, GELU_TANH_C), x), x), x)
        inner = K.multiply(_c(x, SQRT_2_OVER_PI), K.add(x, cube))
        return K.multiply(K.multiply(_c(x, 0.5), x), K.add(_c(x, 1), K.tanh(inner)))
    return K.multiply(K.multiply(_c(x, 0.5), x), _erfc(K, K.multiply(K.negative(x), _c(x, SQRT_HALF))))
