"""Reading dataset pickles without running arbitrary code.

The CIFAR batches (and the object arrays inside ``imdb.npz``) are pickles. A pickle may name any
importable callable, so loading one with plain ``pickle.load`` runs whatever it names. These files
only need dicts, lists, bytes/str, numbers and NumPy arrays; the Unpickler below refuses every global
except NumPy's array-reconstruction helpers (``_reconstruct``, ``ndarray``, ``dtype``) and
``_codecs.encode`` (how protocol-2 pickles spell a bytes literal), so a
tampered file raises ``pickle.UnpicklingError`` instead of executing code.
"""
from __future__ import annotations

import io
import pickle
from typing import Any, BinaryIO

import numpy as np

# (module, name) pairs a NumPy array pickle refers to; both NumPy 1 and NumPy 2 module paths.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    # Python 3 pickles at protocol 2 rebuild bytes as _codecs.encode(text, 'latin1'): pure data
    ("_codecs", "encode"),
}


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only NumPy's array-reconstruction globals (see the module docstring)."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a dataset pickle "
                                     "(only NumPy arrays, dicts, lists, bytes, strings and numbers are allowed)")


def load(f: BinaryIO, encoding: str = "bytes") -> Any:
    """Unpickle one object from ``f`` with :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(f, encoding=encoding).load()


def load_npz(path: str) -> dict:
    """The arrays of an ``.npz`` file; object arrays are unpickled with :class:`RestrictedUnpickler`."""
    out = {}
    with np.load(path, allow_pickle=False) as z:
        for key in z.files:
            try:
                out[key] = z[key]
            except ValueError:  # an object array: needs unpickling, done the restricted way
                out[key] = _read_object_array(path, key)
    return out


def _read_object_array(path: str, key: str) -> np.ndarray:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        raw = zf.read(key + ".npy")
    buf = io.BytesIO(raw)
    version = np.lib.format.read_magic(buf)
    if version == (1, 0):
        np.lib.format.read_array_header_1_0(buf)
    else:
        np.lib.format.read_array_header_2_0(buf)
    arr = load(buf, encoding="latin1")
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{path}: entry {key!r} is not an array")
    return arr
