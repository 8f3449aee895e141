"""Gamma, Poisson and negative-binomial draws, composed of a generator's uniform/normal draws and core ops.

Every sampler uses a fixed number of draws per value (rejection samplers take ``ROUNDS`` candidates per value
and the first accepted one), so a generator's counter advances by an amount fixed by the arguments alone and
two devices with the same seed give the same samples (to the rounding of the transcendental functions).
Parameters are Python numbers or float Tensors that broadcast to ``shape``. Results have ``dtype`` (float32
unless given; float16/32/64). Functions here take the generator first; :mod:`unidl.random` exposes them
with the default generator.

* gamma: Marsaglia & Tsang (2000) on ``alpha + 1`` boosted by ``U ** (1/alpha)`` when ``alpha < 1``;
  ``GAMMA_ROUNDS`` candidates (all rejected, probability < 4e-7: the last candidate is kept, which is the
  Wilson-Hilferty approximation of the same draw).
* poisson: for ``lam < 10`` inversion by sequential search over ``POISSON_TERMS`` terms (one uniform);
  for ``lam >= 10`` Hoermann's transformed rejection with squeeze (PTRS, 1993) with ``PTRS_ROUNDS`` candidates
  (all rejected, probability < 1e-7: the last candidate is kept).
* negative_binomial(k, p) = Poisson(Gamma(k, (1 - p) / p)): failures before the k-th success, success
  probability p; generalized_negative_binomial(mu, alpha) = Poisson(Gamma(1/alpha, alpha * mu)) (mean mu,
  variance mu + alpha * mu**2; alpha 0 is Poisson(mu)).
"""
from __future__ import annotations

import math
from typing import Any, Tuple, Union

import numpy as np

from . import ops
from .creation import full
from .devices import default_device, device as _device
from .errors import OpError
from .ops import random as _rops
from .tensor import Tensor

__all__ = ["gamma", "poisson", "negative_binomial", "generalized_negative_binomial", "unique_zipfian",
           "GAMMA_ROUNDS", "PTRS_ROUNDS", "POISSON_TERMS"]

GAMMA_ROUNDS = 5
PTRS_ROUNDS = 8
POISSON_TERMS = 60      # lam < 10: P(X >= 60) < 1e-24
_SMALL_LAM = 10.0
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
Param = Union[float, Tensor]


def _dev(device: Any) -> Any:
    return default_device() if device is None else _device(device)


def _out_dtype(op: str, dtype: Any, shape: tuple) -> np.dtype:
    dt = np.dtype(np.float32) if dtype is None else np.dtype(dtype)
    if dt not in _FLOATS:
        raise OpError(op, f"dtype must be float16, float32 or float64, got {dt}", shapes=(shape,))
    return dt


def _param(op: str, name: str, v: Any, shape: tuple, cdt: np.dtype, device: Any, low: float,
           low_ok: bool) -> Tuple[Param, bool]:
    """``v`` as a Python float (checked against ``low``) or a ``cdt`` Tensor broadcasting to ``shape``;
    returns ``(value, is_tensor)``. Tensor values are not checked (invalid ones give NaN, as in the frameworks)."""
    if isinstance(v, Tensor):
        if v.dtype.kind != "f":
            raise OpError(op, f"{name} must be a float tensor, got {v.dtype}", shapes=(v.shape,))
        try:
            ok = np.broadcast_shapes(v.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise OpError(op, f"{name} of shape {v.shape} does not broadcast to the output shape {shape}",
                          shapes=(v.shape, shape))
        t = v if v.dtype == cdt else ops.astype(v.detach(), cdt)
        if device is not None and t.device is not device:
            t = t.to(device)
        return t, True
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise OpError(op, f"{name} must be a real number or a float Tensor, got {v!r}", shapes=(shape,)) from None
    if not math.isfinite(f) or f < low or (f == low and not low_ok):
        raise OpError(op, f"{name} must be {'>=' if low_ok else '>'} {low} and finite, got {f}", shapes=(shape,))
    return f, False


def _const(x: Param, cdt: np.dtype, device: Any) -> Tensor:
    return x if isinstance(x, Tensor) else full((), x, dtype=cdt, device=device)


def _first_accepted(cand: Tensor, ok: Tensor) -> Tensor:
    """Per value (axis 0 = rounds), the first accepted candidate, else the last one."""
    first = ops.argmax(ops.astype(ok, np.int8), axis=0, keepdims=True)
    chosen = ops.squeeze(ops.take_along_axis(cand, first, axis=0), 0)
    any_ok = ops.greater(ops.sum(ops.astype(ok, np.int32), axis=0), 0)
    return ops.where(any_ok, chosen, cand[-1])


def _std_gamma(gen: Any, alpha: Tensor, shape: tuple, cdt: np.dtype, device: Any) -> Tensor:
    """Gamma(alpha, 1) of ``shape`` (alpha a ``cdt`` Tensor broadcasting to shape), in ``cdt``."""
    r = GAMMA_ROUNDS
    boost = ops.less(alpha, 1.0)
    a1 = ops.where(boost, ops.add(alpha, 1.0), alpha)
    d = ops.subtract(a1, 1.0 / 3.0)
    c = ops.divide(1.0, ops.sqrt(ops.multiply(d, 9.0)))
    z = gen.normal(0.0, 1.0, (r,) + shape, dtype=cdt, device=device)
    u = gen.uniform(0.0, 1.0, (r,) + shape, dtype=cdt, device=device)
    u0 = gen.uniform(0.0, 1.0, shape, dtype=cdt, device=device)
    v = ops.power(ops.add(ops.multiply(z, c), 1.0), 3.0)
    tiny = float(np.finfo(cdt).tiny)
    vpos = ops.maximum(v, tiny)
    # log(u) < z^2/2 + d - d*v + d*log(v), for v > 0 (u = 0 always accepts: log 0 = -inf)
    rhs = ops.add(ops.add(ops.multiply(ops.square(z), 0.5), d),
                  ops.multiply(d, ops.subtract(ops.log(vpos), vpos)))
    lhs = ops.log(ops.maximum(u, tiny))
    ok = ops.logical_and(ops.greater(v, 0.0), ops.less(lhs, ops.add(rhs, 0.0)))
    x = ops.multiply(d, _first_accepted(vpos, ok))
    safe_alpha = ops.where(boost, alpha, 1.0)
    return ops.where(boost, ops.multiply(x, ops.power(u0, ops.divide(1.0, safe_alpha))), x)


def gamma(gen: Any, alpha: Any = 1.0, scale: Any = 1.0, shape: Any = (), dtype: Any = None,
          device: Any = None) -> Tensor:
    """Gamma draws with shape ``alpha`` (> 0) and scale ``scale`` (> 0): mean ``alpha * scale``. Shape: ``shape``."""
    shape = _rops.normalize_shape("gamma", shape)
    dt = _out_dtype("gamma", dtype, shape)
    cdt = np.dtype(np.float64) if dt == np.float64 else np.dtype(np.float32)
    dev = _dev(device)
    a, _ = _param("gamma", "alpha", alpha, shape, cdt, dev, 0.0, False)
    s, _ = _param("gamma", "scale", scale, shape, cdt, dev, 0.0, False)
    x = _std_gamma(gen, _const(a, cdt, dev), shape, cdt, dev)
    x = ops.multiply(x, s)
    return x if x.dtype == dt else ops.astype(x, dt)


# log(k!) for small k, exact to float64; Stirling's series beyond
_LOG_FACT = np.array([math.lgamma(k + 1.0) for k in range(16)], dtype=np.float64)


def _log_factorial(k: Tensor) -> Tensor:
    """log(k!) of a float64 tensor of non-negative whole numbers (table below 16, Stirling's series above)."""
    table = ops.take(_table(k.device), ops.astype(ops.clip(k, 0.0, 15.0), np.int64))
    n = ops.add(ops.maximum(k, 15.0), 1.0)   # log(k!) = log Gamma(n), n = k + 1 >= 16
    inv = ops.divide(1.0, n)
    inv2 = ops.square(inv)
    series = ops.multiply(inv, ops.subtract(1.0 / 12.0, ops.multiply(inv2, ops.subtract(
        1.0 / 360.0, ops.multiply(inv2, 1.0 / 1260.0)))))
    stirling = ops.add(ops.subtract(ops.multiply(ops.subtract(n, 0.5), ops.log(n)), n),
                       ops.add(series, 0.5 * math.log(2 * math.pi)))
    return ops.where(ops.less(k, 16.0), table, stirling)


_TABLES: dict = {}


def _table(device: Any) -> Tensor:
    t = _TABLES.get(device)
    if t is None:
        t = _TABLES[device] = Tensor._from_any(_LOG_FACT, device)
    return t


def _poisson_small(gen: Any, lam: Tensor, shape: tuple, device: Any) -> Tensor:
    """Inversion for lam < 10 (float64): the number of CDF terms below one uniform."""
    u = gen.uniform(0.0, 1.0, shape, dtype=np.float64, device=device)
    p = ops.exp(ops.negative(lam))
    cdf = p
    count = ops.astype(ops.greater(u, cdf), np.float64)
    for i in range(1, POISSON_TERMS):
        p = ops.multiply(p, ops.divide(lam, float(i)))
        cdf = ops.add(cdf, p)
        count = ops.add(count, ops.astype(ops.greater(u, cdf), np.float64))
    return count


def _ptrs_candidates(lam: Tensor, uu: Tensor, v: Tensor) -> Tuple[Tensor, Tensor]:
    """One PTRS round (float64, all 1-d of one length): the candidate k and whether it is accepted."""
    slam = ops.sqrt(lam)
    b = ops.add(ops.multiply(slam, 2.53), 0.931)
    a = ops.add(ops.multiply(b, 0.02483), -0.059)
    invalpha = ops.add(ops.divide(1.1328, ops.subtract(b, 3.4)), 1.1239)
    vr = ops.subtract(0.9277, ops.divide(3.6224, ops.subtract(b, 2.0)))
    us = ops.subtract(0.5, ops.abs(uu))
    us_safe = ops.maximum(us, 1e-12)
    k = ops.floor(ops.add(ops.multiply(ops.add(ops.divide(ops.multiply(a, 2.0), us_safe), b), uu),
                          ops.add(lam, 0.43)))
    quick = ops.logical_and(ops.greater_equal(us, 0.07), ops.less_equal(v, vr))
    reject = ops.logical_or(ops.less(k, 0.0), ops.logical_and(ops.less(us, 0.013), ops.greater(v, us)))
    kk = ops.maximum(k, 0.0)
    lhs = ops.subtract(ops.add(ops.log(ops.maximum(v, 1e-300)), ops.log(invalpha)),
                       ops.log(ops.add(ops.divide(a, ops.square(us_safe)), b)))
    rhs = ops.subtract(ops.subtract(ops.multiply(kk, ops.log(lam)), lam), _log_factorial(kk))
    accept = ops.logical_or(quick, ops.logical_and(ops.logical_not(reject), ops.less_equal(lhs, rhs)))
    return kk, accept


def _poisson_ptrs(gen: Any, lam: Tensor, shape: tuple, device: Any) -> Tensor:
    """Hoermann's PTRS for lam >= 10 (float64 arithmetic on float32 uniforms). All ``PTRS_ROUNDS`` candidates
    are drawn up front; each later round is evaluated only for the values still rejected."""
    r, n = PTRS_ROUNDS, _size(shape)
    uu = ops.subtract(ops.astype(gen.uniform(0.0, 1.0, (r, n), dtype=np.float32, device=device), np.float64), 0.5)
    v = ops.astype(gen.uniform(0.0, 1.0, (r, n), dtype=np.float32, device=device), np.float64)
    lam = ops.reshape(ops.broadcast_to(lam, shape), (n,))
    out, ok = _ptrs_candidates(lam, uu[0], v[0])
    pending = ops.nonzero(ops.logical_not(ok))[0]
    for j in range(1, r):
        if pending.shape[0] == 0:
            break
        k, ok = _ptrs_candidates(ops.take(lam, pending), ops.take(uu[j], pending), ops.take(v[j], pending))
        if j == r - 1:   # all rounds rejected (probability < 1e-7): keep the last candidate
            ok = ops.greater_equal(k, 0.0)
        hit = ops.nonzero(ok)[0]
        ops.setitem(out, ops.take(pending, hit), ops.take(k, hit))
        pending = ops.take(pending, ops.nonzero(ops.logical_not(ok))[0])
    return ops.reshape(out, shape)


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _poisson(gen: Any, lam: Param, is_tensor: bool, shape: tuple, device: Any) -> Tensor:
    """Poisson draws (float64) of a float64 rate (a Python float or a Tensor broadcasting to shape)."""
    if not is_tensor:
        if lam == 0.0:
            return full(shape, 0.0, dtype=np.float64, device=device)
        branch = _poisson_small if lam < _SMALL_LAM else _poisson_ptrs
        return branch(gen, full((), lam, dtype=np.float64, device=device), shape, device)
    small = ops.less(lam, _SMALL_LAM)
    x_small = _poisson_small(gen, ops.where(small, lam, 0.0), shape, device)
    x_large = _poisson_ptrs(gen, ops.where(small, _SMALL_LAM, lam), shape, device)
    return ops.where(small, x_small, x_large)


def poisson(gen: Any, lam: Any = 1.0, shape: Any = (), dtype: Any = None, device: Any = None) -> Tensor:
    """Poisson draws with rate ``lam`` (>= 0), as floats of ``dtype``. Shape: ``shape``."""
    shape = _rops.normalize_shape("poisson", shape)
    dt = _out_dtype("poisson", dtype, shape)
    dev = _dev(device)
    lam_v, is_t = _param("poisson", "lam", lam, shape, np.dtype(np.float64), dev, 0.0, True)
    x = _poisson(gen, lam_v, is_t, shape, dev)
    return ops.astype(x, dt)


def _gamma_poisson(op: str, gen: Any, shape_param: Tensor, scale: Tensor, shape: tuple, dt: np.dtype,
                   device: Any) -> Tensor:
    lam = ops.multiply(_std_gamma(gen, shape_param, shape, np.dtype(np.float64), device), scale)
    return ops.astype(_poisson(gen, ops.broadcast_to(lam, shape), True, shape, device), dt)


def negative_binomial(gen: Any, k: Any = 1.0, p: Any = 1.0, shape: Any = (), dtype: Any = None,
                      device: Any = None) -> Tensor:
    """Failures before the ``k``-th success (``k`` > 0) with success probability ``p`` in (0, 1], as floats:
    Poisson(Gamma(k, (1 - p) / p)). Shape: ``shape``."""
    shape = _rops.normalize_shape("negative_binomial", shape)
    dt = _out_dtype("negative_binomial", dtype, shape)
    dev = _dev(device)
    f64 = np.dtype(np.float64)
    kv, _ = _param("negative_binomial", "k", k, shape, f64, dev, 0.0, False)
    pv, p_is_t = _param("negative_binomial", "p", p, shape, f64, dev, 0.0, False)
    if not p_is_t and pv > 1.0:
        raise OpError("negative_binomial", f"p must be in (0, 1], got {pv}", shapes=(shape,))
    pt = _const(pv, f64, dev)
    scale = ops.divide(ops.subtract(1.0, pt), pt)
    return _gamma_poisson("negative_binomial", gen, _const(kv, f64, dev), scale, shape, dt, dev)


def generalized_negative_binomial(gen: Any, mu: Any = 1.0, alpha: Any = 1.0, shape: Any = (), dtype: Any = None,
                                  device: Any = None) -> Tensor:
    """Draws with mean ``mu`` (>= 0) and variance ``mu + alpha * mu**2`` (``alpha`` >= 0), as floats:
    Poisson(Gamma(1/alpha, alpha * mu)), Poisson(mu) where alpha is 0. Shape: ``shape``."""
    shape = _rops.normalize_shape("generalized_negative_binomial", shape)
    dt = _out_dtype("generalized_negative_binomial", dtype, shape)
    dev = _dev(device)
    f64 = np.dtype(np.float64)
    mv, _ = _param("generalized_negative_binomial", "mu", mu, shape, f64, dev, 0.0, True)
    av, _ = _param("generalized_negative_binomial", "alpha", alpha, shape, f64, dev, 0.0, True)
    mt, at = _const(mv, f64, dev), _const(av, f64, dev)
    zero = ops.equal(at, 0.0)
    safe_a = ops.where(zero, 1.0, at)
    lam = ops.multiply(_std_gamma(gen, ops.broadcast_to(ops.divide(1.0, safe_a), shape), shape, f64, dev),
                       ops.multiply(safe_a, mt))
    lam = ops.where(zero, ops.broadcast_to(mt, shape), lam)
    return ops.astype(_poisson(gen, lam, True, shape, dev), dt)


def unique_zipfian(gen: Any, range_max: int, num_sampled: int, batch: int = 1,
                   device: Any = None) -> Tuple[Tensor, Tensor]:
    """Per row, ``num_sampled`` distinct classes of [0, range_max) drawn from the log-uniform (Zipfian)
    distribution ``P(c) = log((c + 2) / (c + 1)) / log(range_max + 1)`` until that many distinct ones are seen,
    in order of first appearance. Returns ``(classes int64 (batch, num_sampled), trials int64 (batch,))``,
    ``trials`` being the number of draws each row took.

    A sequential set-building sampler, run on the host: float64 uniforms are drawn in blocks of
    ``2 * num_sampled`` per row until the row is complete (the number of blocks depends on the draws).
    """
    if int(range_max) < 1 or int(num_sampled) < 0 or int(batch) < 0:
        raise OpError("unique_zipfian", f"expected range_max >= 1, num_sampled >= 0 and batch >= 0, got "
                                        f"{range_max}, {num_sampled}, {batch}")
    if num_sampled > range_max:
        raise OpError("unique_zipfian", f"cannot draw {num_sampled} distinct classes from range_max={range_max}")
    dev = _dev(device)
    log_range = math.log(float(range_max) + 1.0)
    classes = np.zeros((batch, num_sampled), dtype=np.int64)
    trials = np.zeros((batch,), dtype=np.int64)
    block = max(2 * num_sampled, 16)
    for row in range(batch):
        seen: set = set()
        got, tried = 0, 0
        while got < num_sampled:
            u = gen.uniform(0.0, 1.0, (block,), dtype=np.float64, device=dev).numpy()
            cand = np.minimum(np.floor(np.exp(u * log_range)).astype(np.int64) - 1, range_max - 1)
            for j, c in enumerate(cand.tolist()):
                if c not in seen:
                    seen.add(c)
                    classes[row, got] = c
                    got += 1
                    if got == num_sampled:
                        tried += j + 1
                        break
            else:
                tried += block
        trials[row] = tried
    return Tensor._from_any(classes, dev), Tensor._from_any(trials, dev)
