"""The goldens check fails loudly: a perturbed golden names the case, the check and the array."""
import json
import os
import shutil

import numpy as np
import pytest

from unidl_conformance.goldens import cases as C
from unidl_conformance.goldens.check import GOLDEN_DIR, check_golden, check_pending, diff, load


def _copy(key, tmp_path, **perturb):
    shutil.copy(os.path.join(GOLDEN_DIR, key + ".json"), tmp_path / (key + ".json"))
    with np.load(os.path.join(GOLDEN_DIR, key + ".npz"), allow_pickle=False) as z:
        arrays = {k: z[k].copy() for k in z.files}
    for name, fn in perturb.items():
        arrays[name] = fn(arrays[name])
    np.savez(tmp_path / (key + ".npz"), **arrays)
    return tmp_path


def _bump(a):
    a = a.copy()
    a.flat[1] += 1e-3 * max(1.0, abs(float(a.flat[1])))
    return a


def test_unperturbed_copy_passes(tmp_path):
    check_golden("keras_dense", str(_copy("keras_dense", tmp_path)))


def test_perturbed_output_fails_naming_case_and_array(tmp_path):
    d = _copy("keras_dense", tmp_path, output=_bump)
    with pytest.raises(AssertionError) as e:
        check_golden("keras_dense", str(d))
    msg = str(e.value)
    assert "keras_dense: forward output: max abs diff" in msg and "max rel diff" in msg
    assert "grad_" not in msg  # only the perturbed array is blamed


def test_perturbed_gradient_fails_naming_the_weight(tmp_path):
    d = _copy("mxnet_conv1d", tmp_path, grad_weight_0=_bump)
    with pytest.raises(AssertionError, match=r"mxnet_conv1d: grad grad_weight_0 \(weight\): max abs diff 0\.00"):
        check_golden("mxnet_conv1d", str(d))


def test_perturbed_trained_weight_fails(tmp_path):
    d = _copy("keras_mlp_adam", tmp_path, trained_weight_2=_bump)
    with pytest.raises(AssertionError, match=r"keras_mlp_adam: trained trained_weight_2 \(kernel\)"):
        check_golden("keras_mlp_adam", str(d))


def test_wrong_shape_and_nan_fail():
    assert diff(np.zeros(3), np.zeros(4), 1e-5, 1e-6)[0] is False
    assert diff(np.array([np.nan]), np.array([1.0]), 1e-5, 1e-6)[0] is False
    ok, abs_d, rel_d = diff(np.array([1.0, 2.00001]), np.array([1.0, 2.0]), 1e-5, 1e-6)
    assert ok and abs_d == pytest.approx(1e-5) and rel_d == pytest.approx(5e-6)


def test_npz_and_json_keys_must_agree(tmp_path):
    d = _copy("keras_gelu", tmp_path)
    meta = json.loads((d / "keras_gelu.json").read_text())
    meta["keys"].append("grad_weight_9")
    (d / "keras_gelu.json").write_text(json.dumps(meta))
    with pytest.raises(AssertionError, match="grad_weight_9"):
        load("keras_gelu", str(d))


def test_pickled_golden_is_refused(tmp_path):
    d = _copy("keras_gelu", tmp_path)
    np.savez(d / "keras_gelu.npz", output=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError):
        load("keras_gelu", str(d))


def test_pending_case_must_still_be_unsupported(monkeypatch):
    def missing(mx):
        return mx.gluon.nn.NoSuchLayerYet(3)

    pending = C.Case("no_such_layer", "mxnet", "a layer unidl lacks", missing, (2, 3), pending="not yet")
    monkeypatch.setitem(C.CASES, pending.key, pending)
    assert check_pending(pending.key) == "not yet"
    built = C.Case("dense_now", "mxnet", "a layer unidl has", lambda mx: mx.gluon.nn.Dense(2), (2, 3),
                   pending="was missing")
    monkeypatch.setitem(C.CASES, built.key, built)
    with pytest.raises(AssertionError, match="remove `pending`"):
        check_pending(built.key)
    with pytest.raises(ValueError, match="not pending"):
        check_pending("keras_dense")
