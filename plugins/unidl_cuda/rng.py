"""Philox4x32-10 on the GPU, bit-identical to :mod:`unidl.random`'s counter-based generator.

The round function is written ONCE, as :data:`ROUND` (a list of ``name = expression`` statements whose
expressions are valid both in Python and in CUDA C). From it this module builds

- :func:`philox_numpy`: the rounds run on NumPy ``uint64`` arrays (any array module with uint64
  arithmetic), the device-independent form the tests compare with :mod:`unidl.random` bit for bit;
- :data:`CUDA_BODY`: the same statements as CUDA C on ``unsigned long long`` locals, compiled into
  CuPy ElementwiseKernels (:func:`cupy_kernels`): one thread per 128-bit block.

Every value stays below 2**64 (words and key words are < 2**32, so the 32x32 products fit), so the
uint64 arithmetic of NumPy and of CUDA give the same results. Layout (as ``unidl.random``): the
128-bit counter ``c`` gives words ``x0 = c[0:32], x1 = c[32:64], x2 = c[64:96], x3 = c[96:128]``; the
key is ``(k0, k1)``; a block's output words are ``x0, x1, x2, x3`` in that order.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

import numpy as np

#: Constants the statements use, by name (Philox multipliers, Weyl key increments, masks).
CONSTANTS: Dict[str, int] = {
    "PHILOX_M0": 0xD2511F53,
    "PHILOX_M1": 0xCD9E8D57,
    "PHILOX_W0": 0x9E3779B9,
    "PHILOX_W1": 0xBB67AE85,
    "PHILOX_LO": 0xFFFFFFFF,
    "PHILOX_SH": 32,
}

#: One Philox4x32 round plus the key bump, as (target, expression): valid Python and valid C.
ROUND: Tuple[Tuple[str, str], ...] = (
    ("p0", "PHILOX_M0 * x0"),
    ("p1", "PHILOX_M1 * x2"),
    ("y0", "(p1 >> PHILOX_SH) ^ x1 ^ k0"),
    ("y1", "p1 & PHILOX_LO"),
    ("y2", "(p0 >> PHILOX_SH) ^ x3 ^ k1"),
    ("y3", "p0 & PHILOX_LO"),
    ("x0", "y0"),
    ("x1", "y1"),
    ("x2", "y2"),
    ("x3", "y3"),
    ("k0", "(k0 + PHILOX_W0) & PHILOX_LO"),
    ("k1", "(k1 + PHILOX_W1) & PHILOX_LO"),
)
ROUNDS = 10
_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1


def _python_rounds() -> Callable[..., Tuple[Any, Any, Any, Any]]:
    """Compile ROUND into ``rounds(x0, x1, x2, x3, k0, k1) -> (x0, x1, x2, x3)`` (NumPy uint64)."""
    body = "\n".join(f"        {t} = {e}" for t, e in ROUND)
    src = (f"def philox_rounds(x0, x1, x2, x3, k0, k1):\n    for _ in range({ROUNDS}):\n{body}\n"
           "    return x0, x1, x2, x3\n")
    ns: Dict[str, Any] = {k: np.uint64(v) for k, v in CONSTANTS.items()}
    exec(compile(src, "<unidl_cuda.rng.ROUND>", "exec"), ns)  # noqa: S102 - our own fixed source
    return ns["philox_rounds"]


philox_rounds = _python_rounds()


def philox_numpy(key: Tuple[int, int], counter: int, nblocks: int, xp: Any = np) -> Any:
    """Philox4x32-10 of counters ``counter .. counter+nblocks-1`` (mod 2**128) with ``key``.

    Returns uint32 words, shape (4*nblocks,), in block order (x0, x1, x2, x3 of each block).
    ``xp`` is any array module with NumPy's uint64 semantics (NumPy itself by default).
    """
    counter &= _M128
    lo, hi = counter & _M64, counter >> 64
    u64 = np.uint64
    c = xp.arange(nblocks, dtype=xp.uint64) + u64(lo)  # wraps mod 2**64
    h = (c < u64(lo)).astype(xp.uint64) + u64(hi)      # the carry into the high half, wraps too
    lo32, sh = u64(CONSTANTS["PHILOX_LO"]), u64(32)
    x = philox_rounds(c & lo32, c >> sh, h & lo32, h >> sh,
                      u64(int(key[0]) & 0xFFFFFFFF), u64(int(key[1]) & 0xFFFFFFFF))
    return xp.stack(x, axis=-1).astype(xp.uint32).reshape(-1)


# -- CUDA -----------------------------------------------------------------------------------------
CUDA_PREAMBLE = "\n".join(f"#define {k} {v}ull" for k, v in CONSTANTS.items())

#: The per-thread code shared by the kernels: block ``i``'s counter, then the rounds (from ROUND).
CUDA_BODY = (
    "unsigned long long c = clo + (unsigned long long)i;\n"
    "unsigned long long h = chi + (c < clo ? 1ull : 0ull);\n"
    "unsigned long long x0 = c & PHILOX_LO, x1 = c >> PHILOX_SH, x2 = h & PHILOX_LO, x3 = h >> PHILOX_SH;\n"
    "unsigned long long k0 = key0, k1 = key1, p0, p1, y0, y1, y2, y3;\n"
    f"for (int r = 0; r < {ROUNDS}; ++r) {{\n"
    + "".join(f"  {t} = {e};\n" for t, e in ROUND)
    + "}\n"
    "unsigned long long w[4] = {x0, x1, x2, x3};\n"
)


def cupy_kernels(cp: Any) -> Dict[str, Any]:
    """The CuPy ElementwiseKernels (compiled lazily by CuPy at first call).

    - ``words(clo, chi, key0, key1, out, size=nblocks)``: ``out`` uint32 (4*nblocks,).
    - ``bernoulli(clo, chi, key0, key1, thresh, n, tv, fv, out, size=nblocks)``: ``out[j] = tv`` if
      word ``j`` < ``thresh`` else ``fv``, for ``j < n`` (the fused dropout-mask kernel).
    """
    opts = ("--fmad=false",)
    words = cp.ElementwiseKernel(
        "uint64 clo, uint64 chi, uint64 key0, uint64 key1", "raw uint32 out",
        CUDA_BODY + "for (int j = 0; j < 4; ++j) out[4 * i + j] = (unsigned int)w[j];",
        "unidl_philox_words", preamble=CUDA_PREAMBLE, options=opts)
    bern = cp.ElementwiseKernel(
        "uint64 clo, uint64 chi, uint64 key0, uint64 key1, uint64 thresh, int64 n, T tv, T fv", "raw T out",
        CUDA_BODY + "for (int j = 0; j < 4; ++j) { long long q = 4 * (long long)i + j;"
                    " if (q < n) out[q] = (w[j] < thresh) ? tv : fv; }",
        "unidl_philox_bernoulli", preamble=CUDA_PREAMBLE, options=opts)
    return {"words": words, "bernoulli": bern}


def device_philox(cp: Any) -> Callable[[Tuple[int, int], int, int], Any]:
    """``philox(key, counter, nblocks) -> cupy uint32 (4*nblocks,)``, the device form of :func:`philox_numpy`."""
    ks = cupy_kernels(cp)
    words = ks["words"]

    def philox(key: Tuple[int, int], counter: int, nblocks: int) -> Any:
        counter &= _M128
        out = cp.empty(4 * nblocks, dtype=cp.uint32)
        if nblocks:
            words(np.uint64(counter & _M64), np.uint64(counter >> 64), np.uint64(int(key[0]) & 0xFFFFFFFF),
                  np.uint64(int(key[1]) & 0xFFFFFFFF), out, size=nblocks)
        return out

    philox.bernoulli = ks["bernoulli"]  # type: ignore[attr-defined]
    return philox
