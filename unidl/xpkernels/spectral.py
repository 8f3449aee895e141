"""Spectral kernels: complex FFTs over given axes, real FFT and its inverse on the last axis.

unidl has no complex dtype, so a complex array travels as its real and imaginary parts: the kernels
take them separately and return both stacked on a new leading axis (``out[0]`` real, ``out[1]``
imaginary), in the input's float dtype. ``xp.fft`` (NumPy's pocketfft, CuPy's cuFFT) does the work.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    fft_ = xp.fft

    def _pair(c: Any, dtype: Any) -> Any:
        return xp.stack((c.real, c.imag)).astype(dtype, copy=False)

    def _wide(a: Any) -> Any:
        # half precision is transformed in float32 (cuFFT and pocketfft have no float16 plans)
        return a.astype(xp.float32) if a.dtype.itemsize < 4 else a

    def fft(re: Any, im: Any, axes: Tuple[int, ...], inverse: bool) -> Any:
        c = _wide(re) + 1j * _wide(im)
        out = fft_.ifftn(c, axes=axes) if inverse else fft_.fftn(c, axes=axes)
        return _pair(out, re.dtype)

    def rfft(x: Any, n: int) -> Any:
        return _pair(fft_.rfft(_wide(x), n=n, axis=-1), x.dtype)

    def irfft(re: Any, im: Any, n: int) -> Any:
        return fft_.irfft(_wide(re) + 1j * _wide(im), n=n, axis=-1).astype(re.dtype, copy=False)

    return {"fft": fft, "rfft": rfft, "irfft": irfft}
