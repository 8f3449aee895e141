"""Random kernels: Philox4x32-10 counter-based bits and the distributions built on them.

Everything is integer arithmetic on ``xp`` arrays (uint64 products for the 32x32->64 multiplies), so
the same code on CuPy, or a native kernel of the same algorithm, gives bit-identical words. Bits
become floats exactly (k * 2**-b with k < 2**b), so uniforms match on every device; the
transcendental transforms (normal) agree to rounding.

Every kernel takes ``key=(k0, k1)`` (two 32-bit words) and ``counter`` (a 128-bit int, the counter of
the first block) and draws whole 128-bit blocks. The generator advances its counter by the words a
call uses (``words_per_value``, ``normal_words`` and the callers in :mod:`unidl.random`), which must
stay in step with the kernels here: float16/float32 and uint32 take one word per value, float64
and uint64 two, normals the words of 2*ceil(n/2) uniforms (float16 computed as float32), truncated
normals ``rounds`` times that, randint 2*rounds words, bernoulli one, permutation two.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Sequence, Tuple

import numpy as np

_M32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1
_PHILOX_M0 = 0xD2511F53
_PHILOX_M1 = 0xCD9E8D57
_PHILOX_W0 = 0x9E3779B9
_PHILOX_W1 = 0xBB67AE85


def _size(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


_SMALL = 4  # up to this many blocks, plain Python ints beat ~60 array operations on the host


def _philox_block(key: Tuple[int, int], counter: int) -> Tuple[int, int, int, int]:
    """One Philox4x32-10 block with Python ints (the small-draw path; same algorithm as ``philox``)."""
    counter &= (1 << 128) - 1
    x0, x1, x2, x3 = counter & _M32, (counter >> 32) & _M32, (counter >> 64) & _M32, counter >> 96
    k0, k1 = int(key[0]) & _M32, int(key[1]) & _M32
    for _ in range(10):
        p0, p1 = _PHILOX_M0 * x0, _PHILOX_M1 * x2
        x0, x1, x2, x3 = (p1 >> 32) ^ x1 ^ k0, p1 & _M32, (p0 >> 32) ^ x3 ^ k1, p0 & _M32
        k0, k1 = (k0 + _PHILOX_W0) & _M32, (k1 + _PHILOX_W1) & _M32
    return x0, x1, x2, x3


def _key_schedule(key: Tuple[int, int]) -> np.ndarray:
    """The ten round keys as a (10, 2, 1) uint64 array: rows (k0, k1) bumped by the Weyl constants."""
    k0, k1 = int(key[0]) & _M32, int(key[1]) & _M32
    ks = []
    for _ in range(10):
        ks.append((k0, k1))
        k0, k1 = (k0 + _PHILOX_W0) & _M32, (k1 + _PHILOX_W1) & _M32
    return np.array(ks, dtype=np.uint64).reshape(10, 2, 1)


def kernels(xp: Any, philox_blocks: Any = None) -> Dict[str, Callable[..., Any]]:
    """The random kernels on ``xp``; ``philox_blocks(key, counter, nblocks)`` (uint32 words, shape
    (4*nblocks,)) replaces the array Philox below, e.g. by a native GPU kernel of the same algorithm."""
    u64 = xp.uint64
    m32, sh32 = u64(_M32), u64(32)

    # On the host, work in chunks that stay in cache (about 2x faster for large draws); on an
    # accelerator one pass is better (fewer launches).
    host = getattr(xp, "__name__", "") == "numpy"
    chunk = 1 << 14 if host else None
    schedules: Dict[Tuple[int, int], Any] = {}  # key -> its (10, 2, 1) round keys; keys rarely change
    mul = xp.asarray(np.array([[_PHILOX_M0], [_PHILOX_M1]], dtype=np.uint64))

    def philox(key: Tuple[int, int], counter: int, nblocks: int) -> Any:
        """Philox4x32-10 of counters ``counter .. counter+nblocks-1``: uint32 words, shape (4*nblocks,).

        The state is kept as two (2, m) uint64 arrays, rows (x0, x2) and (x1, x3), so each round is
        six array operations; every value stays below 2**32 except the 32x32->64 products.
        """
        counter &= (1 << 128) - 1
        key = (int(key[0]) & _M32, int(key[1]) & _M32)
        if host and nblocks <= _SMALL:
            return xp.array([w for i in range(nblocks) for w in _philox_block(key, counter + i)], dtype=xp.uint32)
        lo, hi = counter & _M64, counter >> 64
        ks = schedules.get(key)
        if ks is None:
            if len(schedules) > 64:
                schedules.clear()
            ks = schedules[key] = xp.asarray(_key_schedule(key))
        out = xp.empty((nblocks, 2, 2), dtype=xp.uint32)  # [:, j, 0] = x_2j, [:, j, 1] = x_2j+1
        step = chunk or max(nblocks, 1)
        for a in range(0, nblocks, step):
            m = min(step, nblocks - a)
            x02 = xp.empty((2, m), dtype=xp.uint64)
            x13 = xp.empty((2, m), dtype=xp.uint64)
            p = xp.arange(a, a + m, dtype=xp.uint64).reshape(1, m)
            p += u64(lo)  # wraps mod 2**64; the carry goes into the high half
            s = p[0]
            xp.bitwise_and(s, m32, out=x02[0])
            xp.right_shift(s, sh32, out=x13[0])
            if lo + a + m <= (1 << 64):
                x02[1] = u64(hi & _M32)
                x13[1] = u64((hi >> 32) & _M32)
            else:
                h = (s < u64(lo)).astype(xp.uint64)
                h += u64(hi)  # wraps: the 128-bit counter is taken mod 2**128
                xp.bitwise_and(h, m32, out=x02[1])
                xp.right_shift(h, sh32, out=x13[1])
            p = xp.empty((2, m), dtype=xp.uint64)
            pr = p[::-1]
            for r in range(10):
                xp.multiply(x02, mul, out=p)  # (x0*M0, x2*M1) < 2**64: the full products
                xp.right_shift(pr, sh32, out=x02)  # x0' = hi(x2*M1) ^ x1 ^ k0, x2' = hi(x0*M0) ^ x3 ^ k1
                x02 ^= x13
                x02 ^= ks[r]
                xp.bitwise_and(pr, m32, out=x13)  # x1' = lo(x2*M1), x3' = lo(x0*M0)
            out[a:a + m, :, 0] = x02.T
            out[a:a + m, :, 1] = x13.T
        return out.reshape(-1)

    def words(key: Tuple[int, int], counter: int, n: int) -> Any:
        """``n`` uint32 words (whole blocks are drawn; the tail of the last one is unused)."""
        w = (philox_blocks or philox)(key, counter, (n + 3) // 4)
        return w if w.shape[0] == n else w[:n]

    def bits64(key: Tuple[int, int], counter: int, n: int) -> Any:
        """``n`` uint64 values, each from two consecutive words (first word high)."""
        w = words(key, counter, 2 * n).astype(xp.uint64)
        return (w[0::2] << sh32) | w[1::2]

    def unit(key: Tuple[int, int], counter: int, n: int, dtype: Any) -> Any:
        """``n`` floats in [0, 1): k * 2**-b from the top b bits (b = 11, 24, 53), exact."""
        dt = np.dtype(dtype)
        if dt == np.float64:
            return (bits64(key, counter, n) >> u64(11)).astype(xp.float64) * 2.0 ** -53
        w = words(key, counter, n)
        if dt == np.float32:
            return (w >> xp.uint32(8)).astype(xp.float32) * xp.float32(2.0 ** -24)
        if dt == np.float16:
            return (w >> xp.uint32(21)).astype(xp.float16) * xp.float16(2.0 ** -11)
        raise TypeError(f"unsupported float dtype {dt}")

    def random_bits(*, shape: Tuple[int, ...], key: Tuple[int, int], counter: int, dtype: Any) -> Any:
        n = _size(shape)
        if np.dtype(dtype) == np.uint64:
            return bits64(key, counter, n).reshape(shape)
        return words(key, counter, n).reshape(shape)

    def random_uniform(*, shape: Tuple[int, ...], key: Tuple[int, int], counter: int, dtype: Any,
                       low: float = 0.0, high: float = 1.0) -> Any:
        u = unit(key, counter, _size(shape), dtype).reshape(shape)
        if low == 0.0 and high == 1.0:
            return u
        dt = u.dtype.type
        return u * dt(high - low) + dt(low)

    def std_normal(key: Tuple[int, int], counter: int, n: int, dtype: Any) -> Any:
        """``n`` standard normals by Box-Muller on ceil(n/2) pairs of uniforms (u1 -> 1-u1 avoids log 0)."""
        dt = np.dtype(dtype)
        cdt = np.dtype(np.float32) if dt == np.float16 else dt  # float16 would lose the tails; compute in float32
        m = (n + 1) // 2
        u = unit(key, counter, 2 * m, cdt)
        r = xp.sqrt(cdt.type(-2.0) * xp.log(cdt.type(1.0) - u[0::2]))
        t = u[1::2] * cdt.type(2.0 * math.pi)
        z = xp.stack([r * xp.cos(t), r * xp.sin(t)], axis=-1).reshape(-1)
        z = z if z.shape[0] == n else z[:n]
        return z.astype(dt, copy=False)

    def random_normal(*, shape: Tuple[int, ...], key: Tuple[int, int], counter: int, dtype: Any,
                      loc: float = 0.0, scale: float = 1.0, rounds: int = 0) -> Any:
        """Normals; ``rounds > 0`` truncates at 2 std: ``rounds`` candidates per value, the first
        within 2 std is taken (exactly the truncated distribution unless all miss; then the last
        candidate is clipped to +-2)."""
        n = _size(shape)
        if rounds:
            z = std_normal(key, counter, rounds * n, dtype).reshape(rounds, n)
            ok = xp.abs(z) <= 2
            first = xp.argmax(ok, axis=0)
            z = xp.take_along_axis(z, first[None, :], axis=0)[0]
            z = xp.clip(z, -2, 2)
        else:
            z = std_normal(key, counter, n, dtype)
        z = z.reshape(shape)
        if loc == 0.0 and scale == 1.0:
            return z
        dt = z.dtype.type
        return z * dt(scale) + dt(loc)

    def random_randint(*, shape: Tuple[int, ...], key: Tuple[int, int], counter: int, low: int, high: int,
                       dtype: Any, rounds: int) -> Any:
        """Uniform ints in [low, high) by rejection on 64-bit draws with a fixed number of rounds."""
        n = _size(shape)
        r = high - low
        x = bits64(key, counter, rounds * n).reshape(rounds, n)
        if r < (1 << 64):
            rem = (1 << 64) % r  # values >= 2**64 - rem would make x % r biased (none when r divides 2**64)
            if rounds > 1 and rem:
                lim = (1 << 64) - rem
                first = xp.argmax(x < u64(lim), axis=0)
                x = xp.take_along_axis(x, first[None, :], axis=0)
            x = x[0] % u64(r)
        else:
            x = x[0]
        x += u64(low & _M64)  # two's complement add, wraps mod 2**64
        return x.view(xp.int64).astype(dtype, copy=False).reshape(shape)

    def random_bernoulli(p: Any = None, *, shape: Tuple[int, ...], key: Tuple[int, int], counter: int,
                         prob: float = 0.5, dtype: Any = np.bool_, true_value: float = 1.0,
                         false_value: float = 0.0) -> Any:
        """Event ``word < p * 2**32`` per element; ``p`` an array (broadcast to shape) or ``prob``."""
        w = words(key, counter, _size(shape)).reshape(shape)
        if p is not None:
            ev = w.astype(xp.float64) * 2.0 ** -32 < p  # exact: same events as the integer test
        else:
            t = math.ceil(prob * 2.0 ** 32)  # exact: prob * 2**32 only shifts the exponent
            ev = xp.ones(shape, dtype=xp.bool_) if t >= (1 << 32) else w < xp.uint32(t)
        dt = np.dtype(dtype)
        if dt == np.bool_:
            return ev
        return xp.where(ev, dt.type(true_value), dt.type(false_value))

    def random_permutation(*, n: int, key: Tuple[int, int], counter: int, dtype: Any = np.int64) -> Any:
        """A permutation of range(n) by sorting 64-bit random keys whose low bits hold the index.

        The index bits make keys distinct, so any sort gives the same answer on every device;
        keys whose random parts tie keep index order (probability ~ n**2 * 2**(b-65), b = index bits).
        """
        b = max(1, (n - 1).bit_length())
        low_mask = u64((1 << b) - 1)
        k = bits64(key, counter, n)
        k &= ~low_mask
        k |= xp.arange(n, dtype=xp.uint64)
        k = xp.sort(k)
        return (k & low_mask).astype(dtype)

    def dropout(x: Any, mask: Any) -> Any:
        return x * mask

    def shuffle(x: Any, perm: Any, *, axis: int, inverse: bool = False) -> Any:
        """``x`` reordered along ``axis`` by ``perm`` (``inverse``: by the inverse permutation)."""
        return xp.take(x, xp.argsort(perm) if inverse else perm, axis=axis)

    return {
        "random_bits": random_bits,
        "random_uniform": random_uniform,
        "random_normal": random_normal,
        "random_randint": random_randint,
        "random_bernoulli": random_bernoulli,
        "random_permutation": random_permutation,
        "dropout": dropout,
        "shuffle": shuffle,
    }
