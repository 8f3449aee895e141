"""Regenerate metric_mxnet191.npz with real MXNet 1.9.1 (see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/metric_make_fixtures.py

For each case ``c``: ``c_config`` (JSON: create() name and kwargs), three batches ``c_label{i}`` /
``c_pred{i}``, and ``c_values`` = [get() and get_global() after updating with batches 0 and 1, then
get() and get_global() after reset_local() and batch 2] (each a list of values, composite metrics
give several).
"""
import json
import os

import mxnet as mx
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(7)
out = {}


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(np.float32)


def case(name, metric, kwargs, batches):
    m = mx.metric.create(metric, **kwargs)
    out[name + "_config"] = np.array(json.dumps({"metric": metric, "kwargs": kwargs}))
    vals = []
    for i, (lab, pred) in enumerate(batches):
        out[f"{name}_label{i}"] = lab
        out[f"{name}_pred{i}"] = pred
        m.update([mx.nd.array(lab, dtype=lab.dtype)], [mx.nd.array(pred, dtype=pred.dtype)])
        if i == 1:
            vals += [np.atleast_1d(m.get()[1]), np.atleast_1d(m.get_global()[1])]
            m.reset_local()
    vals += [np.atleast_1d(m.get()[1]), np.atleast_1d(m.get_global()[1])]
    out[name + "_values"] = np.array(vals, dtype=np.float64)


def cls(n, c):
    return [(rng.randint(0, c, n).astype(np.float32), softmax(rng.randn(n, c))) for _ in range(3)]


def binary(n):
    return [(rng.randint(0, 2, n).astype(np.float32), softmax(rng.randn(n, 2))) for _ in range(3)]


def reg(shape_l, shape_p):
    return [(rng.randn(*shape_l).astype(np.float32), rng.randn(*shape_p).astype(np.float32)) for _ in range(3)]


case("acc", "acc", {}, cls(8, 4))
case("acc_ids", "accuracy", {}, [(rng.randint(0, 3, 6).astype(np.float32), rng.randint(0, 3, 6).astype(np.float32))
                                 for _ in range(3)])
case("acc_axis", "acc", {"axis": 1}, [(rng.randint(0, 2, (3, 5)).astype(np.float32),
                                       rng.randn(3, 2, 5).astype(np.float32)) for _ in range(3)])
case("topk", "top_k_accuracy", {"top_k": 3}, cls(10, 6))
case("f1_macro", "f1", {}, binary(12))
case("f1_micro", "f1", {"average": "micro"}, binary(12))
case("mcc_macro", "mcc", {}, binary(12))
case("mcc_micro", "mcc", {"average": "micro"}, binary(12))
case("mae", "mae", {}, reg((6,), (6,)))
case("mse", "mse", {}, reg((6, 1), (6,)))
case("rmse", "rmse", {}, reg((5, 3), (5, 3)))
case("ce", "ce", {}, cls(8, 5))
case("nll", "nll_loss", {"eps": 1e-8}, cls(8, 5))
case("perplexity", "perplexity", {"ignore_label": None}, cls(9, 4))
case("perplexity_ignore", "perplexity", {"ignore_label": 0}, cls(9, 4))
case("pearsonr", "pearsonr", {}, reg((7,), (7,)))
case("pearsonr_micro", "pearsonr", {"average": "micro"}, reg((7,), (7,)))
case("loss", "loss", {}, reg((4,), (4, 3)))
case("composite", ["acc", "ce"], {}, cls(8, 3))

np.savez_compressed(os.path.join(here, "metric_mxnet191.npz"), **out)
print("wrote", sum(k.endswith("_config") for k in out), "cases")
