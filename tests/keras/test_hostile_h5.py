"""HDF5 files that point elsewhere are refused before anything is read: external links, soft links, virtual
datasets and externally stored datasets, in .weights.h5, legacy .h5 and inside .keras archives."""
from __future__ import annotations

import io
import zipfile

import h5py
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.saving.h5_weights import WeightsLoadError


def _model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


def _kernel_path(f):
    paths = []
    f.visititems(lambda n, o: paths.append(n) if isinstance(o, h5py.Dataset) and o.shape == (3, 2) else None)
    return paths[0]


def _secret(tmp_path):
    p = tmp_path / "secret.h5"
    with h5py.File(p, "w") as s:
        s["data"] = np.full((3, 2), 7.0, "float32")
    return p


def _replace(path, how, tmp_path):
    """Replace the saved kernel dataset in the HDF5 file at ``path``."""
    secret = _secret(tmp_path)
    with h5py.File(path, "a") as f:
        k = _kernel_path(f)
        del f[k]
        if how == "external_link":
            f[k] = h5py.ExternalLink(str(secret), "/data")
        elif how == "soft_link":
            f["elsewhere"] = np.zeros((3, 2), "float32")
            f[k] = h5py.SoftLink("/elsewhere")
        elif how == "virtual":
            layout = h5py.VirtualLayout(shape=(3, 2), dtype="float32")
            layout[:] = h5py.VirtualSource(str(secret), "data", shape=(3, 2))
            f.create_virtual_dataset(k, layout)
        else:   # external raw storage
            raw = tmp_path / "raw.bin"
            raw.write_bytes(np.full((3, 2), 7.0, "float32").tobytes())
            f.create_dataset(k, shape=(3, 2), dtype="float32", external=[(str(raw), 0, 24)])
        return k


HOW = ["external_link", "soft_link", "virtual", "external_storage"]


@pytest.mark.parametrize("how", HOW)
def test_weights_h5_pointing_elsewhere_is_refused(tmp_path, how):
    m = _model()
    path = tmp_path / "m.weights.h5"
    m.save_weights(str(path))
    before = [w.copy() for w in m.get_weights()]
    k = _replace(path, how, tmp_path)
    with pytest.raises(WeightsLoadError, match=rf"m\.weights\.h5.*'/{k}' is .*must hold its own data"):
        m.load_weights(str(path))
    assert all(np.array_equal(a, b) for a, b in zip(m.get_weights(), before))


@pytest.mark.parametrize("how", ["external_link", "virtual"])
def test_legacy_h5_pointing_elsewhere_is_refused(tmp_path, how):
    m = _model()
    path = tmp_path / "m.h5"
    m.save(str(path))
    _replace(path, how, tmp_path)
    with pytest.raises(WeightsLoadError, match="must hold its own data"):
        keras.saving.load_model(str(path))
    with pytest.raises(WeightsLoadError, match="must hold its own data"):
        _model().load_weights(str(path))


@pytest.mark.parametrize("how", ["external_link", "virtual"])
def test_keras_archive_with_a_weights_file_pointing_elsewhere_is_refused(tmp_path, how):
    m = _model()
    path = tmp_path / "m.keras"
    m.save(str(path))
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    w = tmp_path / "inner.weights.h5"
    w.write_bytes(members["model.weights.h5"])
    _replace(w, how, tmp_path)
    members["model.weights.h5"] = w.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    (tmp_path / "bad.keras").write_bytes(buf.getvalue())
    with pytest.raises(WeightsLoadError, match=r"bad\.keras \(model\.weights\.h5\).*must hold its own data"):
        keras.saving.load_model(str(tmp_path / "bad.keras"))
