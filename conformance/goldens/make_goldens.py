"""Regenerate the reference goldens from the real frameworks (tests never need them).

    KERAS_BACKEND=torch /tmp/kvenv/bin/python conformance/goldens/make_goldens.py --framework keras
    /tmp/mxvenv/bin/python conformance/goldens/make_goldens.py --framework mxnet

(Keras 3.15 on its torch backend; MXNet 1.9.1 with numpy 1.23.5.) For every case of ``cases.py`` it builds
the layer in the real framework, sets deterministic weights (from a seeded NumPy generator, not the
framework's initializers), runs the forward pass on a deterministic input and takes the gradients of
``sum(output * r)`` (``r`` a fixed random tensor) w.r.t. the input and every trainable weight; optimizer
cases then run two optimizer steps. Writes ``<framework>_<case>.npz`` (numeric arrays only) and
``<framework>_<case>.json`` beside this file. This script never imports unidl (the MXNet venv cannot).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any, Dict, List

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cases as C  # noqa: E402  (plain imports: no unidl, no package __init__)
import mxnet_steps  # noqa: E402


def _record(case: C.Case, version: str, names: List[str], arrays: Dict[str, np.ndarray], out_dir: str,
            extra_meta: Dict[str, Any]) -> None:
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    for k, v in arrays.items():
        assert v.dtype != object, k
    np.savez_compressed(os.path.join(out_dir, case.key + ".npz"), **arrays)
    checks = ["forward", "grad"] + (["after"] if any(k.startswith("after_") for k in arrays) else []) \
        + (["trained"] if case.optimizer else [])
    meta = {
        "framework": case.framework, "framework_version": version, "case": case.name, "key": case.key,
        "description": case.description, "weight_names": names, "training": case.training,
        "optimizer": None if case.optimizer is None else {"name": case.optimizer[0], **case.optimizer[1]},
        "steps": case.steps if case.optimizer else 0,
        "loss": "sum(output * cotangent)",
        "tolerances": {c: case.tol(c) for c in checks},
        "tolerance_rule": "|unidl - golden| <= atol + rtol * |golden| elementwise",
        "keys": sorted(arrays),
        **extra_meta,
    }
    with open(os.path.join(out_dir, case.key + ".json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")


# ------------------------------------------------------------------------------------------------- Keras
def make_keras(case: C.Case, out_dir: str) -> None:
    import keras
    import torch

    x_np, extras_np = C.make_inputs(case)
    layer = case.build(keras)

    def call(x: Any, training: bool) -> Any:
        extras = [keras.ops.convert_to_tensor(e) for e in extras_np]
        if case.call is not None:
            return case.call(layer, x, extras, training)
        return layer(x, *extras, training=training)

    call(keras.ops.convert_to_tensor(x_np), False)  # builds the weights
    names = [w.name for w in layer.weights]
    paths = [w.path for w in layer.weights]
    weights = C.make_weights(case, names, [tuple(w.shape) for w in layer.weights])
    layer.set_weights(weights)
    trainable = [i for i, w in enumerate(layer.weights) if w.trainable]
    arrays: Dict[str, np.ndarray] = {"input": x_np}
    for i, e in enumerate(extras_np):
        arrays[f"extra_{i}"] = e
    for i, w in enumerate(weights):
        arrays[f"weight_{i}"] = w

    x = torch.tensor(x_np, requires_grad=case.input_kind == "float")
    out = call(x, case.training)
    r = C.make_cotangent(case, tuple(out.shape))
    loss = (out * torch.tensor(r)).sum()
    wrt = ([x] if case.input_kind == "float" else []) + [layer.weights[i].value for i in trainable]
    grads = torch.autograd.grad(loss, wrt)
    arrays["output"] = out.detach().cpu().numpy()
    arrays["cotangent"] = r
    if case.input_kind == "float":
        arrays["grad_input"] = grads[0].numpy()
        grads = grads[1:]
    for i, g in zip(trainable, grads):
        arrays[f"grad_weight_{i}"] = g.numpy()
    if case.training and not case.optimizer:
        for i, w in enumerate(layer.weights):
            arrays[f"after_weight_{i}"] = np.asarray(keras.ops.convert_to_numpy(w))
    if case.optimizer:
        layer.set_weights(weights)
        name, kw = case.optimizer
        opt = {"sgd": keras.optimizers.SGD, "adam": keras.optimizers.Adam}[name](**kw)
        tv = layer.trainable_variables
        for _ in range(case.steps):
            xs = torch.tensor(x_np)
            o = call(xs, True)
            g = torch.autograd.grad((o * torch.tensor(r)).sum(), [v.value for v in tv])
            opt.apply_gradients(zip(g, tv))
        for i, w in enumerate(layer.weights):
            arrays[f"trained_weight_{i}"] = np.asarray(keras.ops.convert_to_numpy(w))
    _record(case, keras.__version__, names, arrays, out_dir,
            {"backend": keras.backend.backend(), "weight_paths": paths, "trainable": trainable})


# ------------------------------------------------------------------------------------------------- MXNet
def make_mxnet(case: C.Case, out_dir: str) -> None:
    import mxnet as mx  # MXNET_MKLDNN_ENABLED was set by main() before this import
    from mxnet import nd

    x_np, extras_np = C.make_inputs(case)
    net = case.build(mx)
    net.initialize()
    extras = [nd.array(e) for e in extras_np]

    def call(x: Any) -> Any:
        if case.call is not None:
            return case.call(net, x, extras, case.training)
        return net(x, *extras)

    call(nd.array(x_np))  # finishes deferred initialization (inference mode: no state change)
    params = net._collect_params_with_prefix()
    names = list(params)
    weights = C.make_weights(case, names, [tuple(p.shape) for p in params.values()])
    for p, w in zip(params.values(), weights):
        p.set_data(nd.array(w))
    trainable = [i for i, p in enumerate(params.values()) if p.grad_req != "null"]
    arrays: Dict[str, np.ndarray] = {"input": x_np}
    for i, e in enumerate(extras_np):
        arrays[f"extra_{i}"] = e
    for i, w in enumerate(weights):
        arrays[f"weight_{i}"] = w

    res, r = mxnet_steps.run_case(mx, case, net, call, x_np, list(params.values()), weights, trainable,
                                  lambda shape: C.make_cotangent(case, shape), x_np.shape[0])
    arrays.update(res)
    arrays["cotangent"] = r
    _record(case, mx.__version__, names, arrays, out_dir,
            {"trainable": trainable, "mkldnn_enabled": case.mkldnn,
             "trainer_step_batch_size": x_np.shape[0] if case.optimizer else None})


def main(argv: List[str] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", choices=["keras", "mxnet"], required=True)
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--only", nargs="*", help="case names (default: all of the framework)")
    ap.add_argument("--mkldnn", choices=["0", "1"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    todo = C.KERAS_CASES if args.framework == "keras" else C.MXNET_CASES
    if args.only:
        todo = [c for c in todo if c.name in args.only]
    if args.framework == "mxnet":
        # MXNet 1.9.1's oneDNN (MKL-DNN) backward is wrong when recorded with train_mode=False: max pooling's
        # gradient comes out zero or misplaced (no workspace is kept), batch norm's input gradient too. Those
        # goldens come from its reference CPU operators (MXNET_MKLDNN_ENABLED=0, read once at import); the
        # fused RNN operator has no CPU path without oneDNN, so RNN cases (``mkldnn=True``) keep it on.
        if args.mkldnn is None:
            for flag in ("0", "1"):
                names = [c.name for c in todo if c.mkldnn == (flag == "1")]
                if names:
                    env = dict(os.environ, MXNET_MKLDNN_ENABLED=flag, MXNET_STORAGE_FALLBACK_LOG_VERBOSE="0")
                    subprocess.run([sys.executable, os.path.abspath(__file__), "--framework", "mxnet", "--out",
                                    args.out, "--mkldnn", flag, "--only", *names], env=env, check=True)
            return
        if os.environ.get("MXNET_MKLDNN_ENABLED") != args.mkldnn:
            raise SystemExit("--mkldnn is internal: MXNET_MKLDNN_ENABLED must be set to match")
    make = make_keras if args.framework == "keras" else make_mxnet
    for case in todo:
        make(case, args.out)
        print("wrote", case.key)


if __name__ == "__main__":
    main()
