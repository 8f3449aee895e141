"""Composites of erf, erfc and gelu from the primitive tier: W. J. Cody's rational approximations (1969), in the
operation order of the reference kernel (``unidl.xpkernels.elementwise``), so the results are bitwise equal.
The coefficients (:mod:`.erf_table`) are shared with the reference kernel."""
from __future__ import annotations

from .activation import GELU_TANH_C, SQRT_2_OVER_PI, SQRT_HALF
from .composite_basic import _c, composite
from .composite_extra import _asf

from .erf_table import ERF_A as _ERF_A, ERF_B as _ERF_B, ERF_C as _ERF_C, ERF_D as _ERF_D  # noqa: E402
from .erf_table import ERF_P as _ERF_P, ERF_Q as _ERF_Q, ERF_THRESH as _ERF_THRESH, INV_SQRT_PI as _INV_SQRT_PI  # noqa: E402


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


@composite("erf", via_float32=True, arrays=1)
def _erf(K, x):
    x, near, small, big = _erf_parts(K, x)
    big = K.subtract(1.0, big)
    out = K.where(near, small, K.where(K.less(x, 0), K.negative(big), big))
    return K.astype(out, x.dtype)


@composite("erfc", via_float32=True, arrays=1)
def _erfc(K, x):
    x, near, small, big = _erf_parts(K, x)
    out = K.where(near, K.subtract(1.0, small), K.where(K.less(x, 0), K.subtract(2.0, big), big))
    return K.astype(out, x.dtype)


@composite("gelu", via_float32=True, arrays=1)
def _gelu(K, x, approximate):
    x = _asf(K, x)
    if approximate:
        cube = K.multiply(K.multiply(K.multiply(_c(x, GELU_TANH_C), x), x), x)
        inner = K.multiply(_c(x, SQRT_2_OVER_PI), K.add(x, cube))
        return K.multiply(K.multiply(_c(x, 0.5), x), K.add(_c(x, 1), K.tanh(inner)))
    return K.multiply(K.multiply(_c(x, 0.5), x), _erfc(K, K.multiply(K.negative(x), _c(x, SQRT_HALF))))
