"""Check the unidl frontends against the reference goldens made by real Keras 3 / MXNet 1.9.1.

``check_golden(key)`` rebuilds case ``key`` (``<framework>_<case>``) with ``unidl_keras`` / ``unidl_mxnet``
from the description in :mod:`cases`, loads the golden weights by name, repeats the golden's forward pass,
gradient of ``sum(output * cotangent)`` and optimizer steps, and compares every stored array within the
tolerances stated in the golden's JSON. All mismatches of a case are reported together in one
``AssertionError`` naming the case, the check, the array, and the max absolute / relative difference.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import cases as C, mxnet_steps

GOLDEN_DIR = os.path.dirname(os.path.abspath(__file__))
PENDING_ERRORS = (AttributeError, NotImplementedError)


def golden_keys(directory: str = GOLDEN_DIR) -> List[str]:
    """The keys (``<framework>_<case>``) of the goldens present in ``directory``."""
    return sorted(f[:-5] for f in os.listdir(directory)
                  if f.endswith(".json") and os.path.exists(os.path.join(directory, f[:-5] + ".npz")))


def load(key: str, directory: str = GOLDEN_DIR) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """The golden's metadata and arrays (the npz is read with ``allow_pickle=False``)."""
    with open(os.path.join(directory, key + ".json")) as f:
        meta = json.load(f)
    with np.load(os.path.join(directory, key + ".npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    missing = set(meta["keys"]) ^ set(arrays)
    if missing:
        raise AssertionError(f"golden {key}: npz keys differ from the json's 'keys': {sorted(missing)}")
    return meta, arrays


def diff(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> Tuple[bool, float, float]:
    """(within tolerance, max |got - want|, max |got - want| / |want| over entries with want != 0)."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, float("inf"), float("inf")
    err = np.abs(got - want)
    ok = bool(np.all(err <= atol + rtol * np.abs(want))) and not np.isnan(got).any()
    nz = want != 0
    rel = float(np.max(err[nz] / np.abs(want[nz]))) if nz.any() else 0.0
    return ok, float(err.max()) if err.size else 0.0, rel


def _label(meta: Dict[str, Any], name: str) -> str:
    """A readable array name: ``grad_weight_3`` -> ``grad_weight_3 (lstm_cell/kernel)``."""
    parts = name.rsplit("_", 1)
    if "weight" in name and parts[-1].isdigit():
        return f"{name} ({meta['weight_names'][int(parts[-1])]})"
    return name


def compare(meta: Dict[str, Any], arrays: Dict[str, np.ndarray], results: Dict[str, np.ndarray]
            ) -> Dict[str, float]:
    """Compare ``results`` with every golden array that is an outcome; raise one AssertionError for all misses.

    Returns the largest absolute difference per check (``forward``, ``grad``, ...), for the suite's report.
    """
    failures = []
    largest: Dict[str, float] = {}
    for name in sorted(arrays):
        if name in ("input", "cotangent") or name.startswith(("weight_", "extra_")):
            continue
        check = "forward" if name == "output" else name.split("_", 1)[0]
        tol = meta["tolerances"][check]
        if name not in results:
            failures.append(f"{meta['key']}: {check} {_label(meta, name)}: unidl produced no value")
            continue
        got, want = np.asarray(results[name]), arrays[name]
        ok, abs_d, rel_d = diff(got, want, tol["rtol"], tol["atol"])
        largest[check] = max(largest.get(check, 0.0), abs_d)
        if not ok:
            shape_note = "" if got.shape == want.shape else f" shape {got.shape} != golden {want.shape}"
            failures.append(f"{meta['key']}: {check} {_label(meta, name)}: max abs diff {abs_d:.3g}, max rel "
                            f"diff {rel_d:.3g} (rtol {tol['rtol']}, atol {tol['atol']}){shape_note}")
    extra = sorted(set(results) - set(arrays))
    if extra:
        failures.append(f"{meta['key']}: unidl produced arrays the golden lacks: {extra}")
    if failures:
        raise AssertionError(f"golden {meta['key']} ({meta['framework']} {meta['framework_version']}: "
                             f"{meta['description']}) differs:\n  " + "\n  ".join(failures))
    return largest


# ------------------------------------------------------------------------------------------------- Keras
def run_keras(case: C.Case, meta: Dict[str, Any], arrays: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Repeat the golden's computation with unidl_keras; returns arrays under the golden's names."""
    import unidl
    import unidl_keras as keras

    x_np = arrays["input"]
    extras = [unidl.tensor(arrays[f"extra_{i}"]) for i in range(len(case.extras))]
    layer = case.build(keras)

    def call(x: Any, training: bool) -> Any:
        if case.call is not None:
            return case.call(layer, x, extras, training)
        return layer(x, *extras, training=training)

    with unidl.no_grad():
        call(unidl.tensor(x_np), False)  # builds the weights
    names = [w.name for w in layer.weights]
    if names != meta["weight_names"]:
        raise AssertionError(f"{case.key}: unidl weight names {names} != Keras's {meta['weight_names']}")
    weights = [arrays[f"weight_{i}"] for i in range(len(names))]
    layer.set_weights(weights)
    trainable = [i for i, w in enumerate(layer.weights) if w.trainable]
    if trainable != meta["trainable"]:
        raise AssertionError(f"{case.key}: unidl trainable weights {trainable} != Keras's {meta['trainable']}")
    r = unidl.tensor(arrays["cotangent"])
    differentiable = case.input_kind == "float"
    x = unidl.tensor(x_np, requires_grad=differentiable)
    with unidl.autograd.record():
        out = call(x, case.training)
        loss = (out * r).sum()
    loss.backward()
    res: Dict[str, np.ndarray] = {"output": np.asarray(out.detach().numpy())}
    if differentiable:
        res["grad_input"] = x.grad.numpy()
    for i in trainable:
        g = layer.weights[i].grad
        res[f"grad_weight_{i}"] = None if g is None else g.numpy()
        layer.weights[i].grad = None
    if res and any(v is None for v in res.values()):
        raise AssertionError(f"{case.key}: unidl gave no gradient for "
                             f"{[_label(meta, k) for k, v in res.items() if v is None]}")
    if case.training and not case.optimizer:
        for i, w in enumerate(layer.weights):
            res[f"after_weight_{i}"] = w.numpy()
    if case.optimizer:
        layer.set_weights(weights)
        name, kw = case.optimizer
        opt = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[name](**kw)
        tv = layer.trainable_variables
        for _ in range(case.steps):
            with unidl.autograd.record():
                loss = (call(unidl.tensor(x_np), True) * r).sum()
            loss.backward()
            grads = [v.grad for v in tv]
            for v in tv:
                v.grad = None
            opt.apply_gradients(zip(grads, tv))
        for i, w in enumerate(layer.weights):
            res[f"trained_weight_{i}"] = w.numpy()
    return res


# ------------------------------------------------------------------------------------------------- MXNet
def run_mxnet(case: C.Case, meta: Dict[str, Any], arrays: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Repeat the golden's computation with unidl_mxnet; returns arrays under the golden's names."""
    import unidl_mxnet as mx
    from unidl_mxnet import nd

    x_np = arrays["input"]
    extras = [nd.array(arrays[f"extra_{i}"]) for i in range(len(case.extras))]
    net = case.build(mx)
    net.initialize()

    def call(x: Any) -> Any:
        if case.call is not None:
            return case.call(net, x, extras, case.training)
        return net(x, *extras)

    call(nd.array(x_np))  # finishes deferred initialization
    params = net._collect_params_with_prefix()
    names = list(params)
    if names != meta["weight_names"]:
        raise AssertionError(f"{case.key}: unidl parameter names {names} != MXNet's {meta['weight_names']}")
    plist = list(params.values())
    weights = [arrays[f"weight_{i}"] for i in range(len(names))]
    for p, w in zip(plist, weights):
        p.set_data(nd.array(w))
    trainable = [i for i, p in enumerate(plist) if p.grad_req != "null"]
    if trainable != meta["trainable"]:
        raise AssertionError(f"{case.key}: unidl parameters with gradients {trainable} != MXNet's "
                             f"{meta['trainable']}")
    res, _ = mxnet_steps.run_case(mx, case, net, call, x_np, plist, weights, trainable,
                                  lambda shape: arrays["cotangent"], meta["trainer_step_batch_size"])
    return res


def check_golden(key: str, directory: str = GOLDEN_DIR) -> Dict[str, float]:
    """Rebuild golden ``key`` with the unidl frontend and compare every stored outcome (AssertionError if not).

    Returns the largest absolute difference per check."""
    case = C.get(key)
    meta, arrays = load(key, directory)
    run = run_keras if meta["framework"] == "keras" else run_mxnet
    return compare(meta, arrays, run(case, meta, arrays))


def check_pending(key: str) -> Optional[str]:
    """For a case marked pending: assert building it with the unidl frontend still fails as not-supported.

    Returns the reason. When this assertion starts failing the layer exists: drop ``pending`` in cases.py.
    """
    case = C.get(key)
    if case.pending is None:
        raise ValueError(f"{key} is not pending")
    if case.framework == "keras":
        import unidl_keras as mod
    else:
        import unidl_mxnet as mod
    try:
        case.build(mod)
    except PENDING_ERRORS:
        return case.pending
    raise AssertionError(f"{key} is marked pending ({case.pending}) but unidl now builds it: remove "
                         f"`pending` from its entry in unidl_conformance/goldens/cases.py so it is checked")


def _norm_path(path: str) -> str:
    """A Keras variable path without the process-wide auto-numbering (``dense_3/kernel`` -> ``dense/kernel``)."""
    return "/".join(re.sub(r"_\d+$", "", part) for part in path.split("/"))


def check_keras_weight_paths(key: str, directory: str = GOLDEN_DIR) -> None:
    """unidl_keras's ``Variable.path`` of each weight equals real Keras's (auto-numbering aside)."""
    import unidl
    import unidl_keras as keras

    case = C.get(key)
    meta, arrays = load(key, directory)
    layer = case.build(keras)
    with unidl.no_grad():
        if case.call is not None:
            case.call(layer, unidl.tensor(arrays["input"]), [], False)
        else:
            layer(unidl.tensor(arrays["input"]), training=False)
    got = [_norm_path(w.path) for w in layer.weights]
    want = [_norm_path(p) for p in meta["weight_paths"]]
    bad = [f"{g!r} != Keras {w!r}" for g, w in zip(got, want) if g != w]
    if bad or len(got) != len(want):
        raise AssertionError(f"{key}: weight paths differ from Keras {meta['framework_version']}: " + "; ".join(bad))
