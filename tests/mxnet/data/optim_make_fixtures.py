"""Regenerate the real-MXNet optimizer / lr_scheduler / Trainer fixtures (MXNet 1.9.1 in its own venv):

    python3 -m venv /tmp/mxvenv && /tmp/mxvenv/bin/pip install numpy==1.23.5 mxnet==1.9.1
    /tmp/mxvenv/bin/python tests/mxnet/data/optim_make_fixtures.py

Writes, beside this file:

* ``optim_mxnet191.npz``: for every case in ``CASES`` (optimizer name, kwargs, weight dtype), two weights
  (index 0, and index 1 with ``lr_mult`` 0.5 and ``wd_mult`` 2) updated ``STEPS`` times by
  ``opt.update_multi_precision`` with known gradients. Keys ``<case>/w<i>_0`` (initial), ``<case>/g<i>_<t>``
  (gradient of step t), ``<case>/w<i>_<t>`` (weight after step t), ``<case>/num_update`` and
  ``<case>/config`` (JSON of the case).
* ``optim_trainer_mxnet191.npz``: ``gluon.Trainer`` over a dict of two Parameters (``b_weight``
  with lr_mult 0.5 and ``a_bias``; MXNet sorts the names) for sgd+momentum and nadam, ``step(4)`` three times.
* ``optim_lr_scheduler_mxnet191.npz``: ``lr`` of each scheduler in ``SCHEDULERS`` for num_update 0..N (called
  in order, as an optimizer does), and after an optimizer overrode ``base_lr``.
* ``optim_trainer_mxnet191.states``: a real (pickled) ``Trainer.save_states`` file, which unidl must refuse.
"""
import json
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd

here = os.path.dirname(os.path.abspath(__file__))
STEPS = 5
SHAPE = (3, 4)

CASES = {
    "sgd_plain": ("sgd", {"learning_rate": 0.1}),
    "sgd_wd_rescale": ("sgd", {"learning_rate": 0.1, "wd": 0.01, "rescale_grad": 0.5}),
    "sgd_clip": ("sgd", {"learning_rate": 0.1, "wd": 0.01, "clip_gradient": 0.3}),
    "sgd_mom": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "rescale_grad": 0.25}),
    "sgd_mom_clip": ("sgd", {"learning_rate": 0.05, "momentum": 0.8, "wd": 0.001, "clip_gradient": 0.5}),
    "sgd_sched": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "sched": ["factor", {"step": 2, "factor": 0.5}]}),
    "sgd_mom_f64": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "dtype": "float64"}),
    "sgd_mom_mp16": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "multi_precision": True,
                             "dtype": "float16"}),
    "nag": ("nag", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01, "rescale_grad": 0.5}),
    "nag_clip": ("nag", {"learning_rate": 0.1, "momentum": 0.9, "clip_gradient": 0.5}),
    "nag_nomom": ("nag", {"learning_rate": 0.1, "wd": 0.01}),
    "adam": ("adam", {"wd": 0.01, "rescale_grad": 0.5}),
    "adam_clip": ("adam", {"learning_rate": 0.01, "beta1": 0.8, "clip_gradient": 0.5}),
    "adam_begin": ("adam", {"learning_rate": 0.01, "begin_num_update": 10}),
    "adam_f64": ("adam", {"learning_rate": 0.01, "wd": 0.01, "dtype": "float64"}),
    "adagrad": ("adagrad", {"learning_rate": 0.1, "wd": 0.01, "rescale_grad": 0.5}),
    "adagrad_clip": ("adagrad", {"learning_rate": 0.1, "clip_gradient": 0.5, "eps": 1e-6}),
    "rmsprop": ("rmsprop", {"learning_rate": 0.01, "wd": 0.01, "rescale_grad": 0.5}),
    "rmsprop_clipw": ("rmsprop", {"learning_rate": 0.05, "clip_weights": 0.5, "gamma1": 0.8}),
    "rmsprop_centered": ("rmsprop", {"learning_rate": 0.01, "centered": True, "gamma2": 0.8, "clip_gradient": 0.5,
                                     "clip_weights": 1.0, "wd": 0.01}),
    "adadelta": ("adadelta", {"wd": 0.01, "rescale_grad": 0.5}),
    "adadelta_clip": ("adadelta", {"rho": 0.95, "epsilon": 1e-6, "clip_gradient": 0.5}),
    "adamax": ("adamax", {"wd": 0.01, "rescale_grad": 0.5}),
    "adamax_clip": ("adamax", {"learning_rate": 0.01, "clip_gradient": 0.5}),
    "nadam": ("nadam", {"wd": 0.01, "rescale_grad": 0.5}),
    "nadam_clip": ("nadam", {"learning_rate": 0.01, "clip_gradient": 0.5, "schedule_decay": 0.01}),
    "ftrl": ("ftrl", {"wd": 0.01, "rescale_grad": 0.5}),
    "ftrl_clip": ("ftrl", {"learning_rate": 0.2, "lamda1": 0.1, "beta": 0.5, "clip_gradient": 0.5}),
    "signum": ("signum", {"wd": 0.01, "wd_lh": 0.01, "rescale_grad": 0.5}),
    "signum_clip": ("signum", {"learning_rate": 0.05, "momentum": 0.8, "clip_gradient": 0.5}),
    "signsgd": ("signum", {"momentum": 0.0, "wd": 0.01}),
    "lamb": ("lamb", {"wd": 0.01, "rescale_grad": 0.5}),
    "lamb_bounds": ("lamb", {"learning_rate": 0.01, "lower_bound": 0.5, "upper_bound": 2.0,
                             "bias_correction": False, "clip_gradient": 0.5}),
}

SCHEDULERS = {
    "factor": ("FactorScheduler", {"step": 3, "factor": 0.5, "base_lr": 0.1}),
    "factor_stop": ("FactorScheduler", {"step": 2, "factor": 0.1, "stop_factor_lr": 1e-4, "base_lr": 0.1}),
    "factor_warmup": ("FactorScheduler", {"step": 4, "factor": 0.7, "base_lr": 0.2, "warmup_steps": 5,
                                          "warmup_begin_lr": 0.01}),
    "multifactor": ("MultiFactorScheduler", {"step": [3, 7, 12], "factor": 0.3, "base_lr": 0.1}),
    "multifactor_warmup": ("MultiFactorScheduler", {"step": [6, 9], "factor": 0.5, "base_lr": 0.1,
                                                    "warmup_steps": 4, "warmup_mode": "constant",
                                                    "warmup_begin_lr": 0.02}),
    "poly": ("PolyScheduler", {"max_update": 15, "base_lr": 0.1, "pwr": 2}),
    "poly_warmup": ("PolyScheduler", {"max_update": 15, "base_lr": 0.1, "pwr": 3, "final_lr": 0.01,
                                      "warmup_steps": 3, "warmup_begin_lr": 0.001}),
    "cosine": ("CosineScheduler", {"max_update": 15, "base_lr": 0.1}),
    "cosine_warmup": ("CosineScheduler", {"max_update": 15, "base_lr": 0.1, "final_lr": 0.005, "warmup_steps": 4,
                                          "warmup_begin_lr": 0.01}),
}
N_LR = 20


def make_sched(spec):
    kind, kw = spec
    if kind == "factor":
        return mx.lr_scheduler.FactorScheduler(**kw)
    raise ValueError(kind)


def optimizer_cases():
    out = {}
    rng = np.random.default_rng(42)
    for case, (name, kw) in CASES.items():
        kw = dict(kw)
        dtype = kw.pop("dtype", "float32")
        sched = kw.pop("sched", None)
        if sched is not None:
            kw["lr_scheduler"] = make_sched(sched)
        opt = mx.optimizer.create(name, **kw)
        opt.set_lr_mult({1: 0.5})
        opt.set_wd_mult({1: 2.0})
        ws = [nd.array(rng.standard_normal(SHAPE), dtype=dtype) for _ in range(2)]
        for i, w in enumerate(ws):
            out[f"{case}/w{i}_0"] = w.asnumpy()
        states = [opt.create_state_multi_precision(i, w) for i, w in enumerate(ws)]
        for t in range(1, STEPS + 1):
            for i, w in enumerate(ws):
                g = (rng.standard_normal(SHAPE) * 2).astype(dtype)
                out[f"{case}/g{i}_{t}"] = g
                opt.update_multi_precision(i, w, nd.array(g, dtype=dtype), states[i])
                out[f"{case}/w{i}_{t}"] = w.asnumpy()
        out[f"{case}/num_update"] = np.array(opt.num_update)
        cfg = {"name": name, "kwargs": CASES[case][1]}
        out[f"{case}/config"] = np.array(json.dumps(cfg))
    np.savez_compressed(os.path.join(here, "optim_mxnet191.npz"), **out)


def trainer_cases():
    out = {}
    rng = np.random.default_rng(7)
    for case, name, kw in [("trainer_sgd", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
                           ("trainer_nadam", "nadam", {"learning_rate": 0.01, "wd": 0.01})]:
        pd = gluon.ParameterDict()
        pw = pd.get("b_weight", shape=(2, 3), lr_mult=0.5)
        pb = pd.get("a_bias", shape=(3,))
        pd.initialize(mx.init.Zero())
        for p in (pw, pb):
            v = rng.standard_normal(p.shape).astype("float32")
            p.set_data(nd.array(v))
            out[f"{case}/{p.name}_0"] = v
        tr = gluon.Trainer(pd, name, kw)
        for t in range(1, 4):
            gs = {p.name: rng.standard_normal(p.shape).astype("float32") for p in (pw, pb)}
            with autograd.record():
                loss = (pw.data() * nd.array(gs["b_weight"])).sum() + (pb.data() * nd.array(gs["a_bias"])).sum()
            loss.backward()
            tr.step(4)
            for p in (pw, pb):
                out[f"{case}/{p.name}_g{t}"] = gs[p.name]
                out[f"{case}/{p.name}_{t}"] = p.data().asnumpy()
        if case == "trainer_sgd":
            tr.save_states(os.path.join(here, "optim_trainer_mxnet191.states"))
    np.savez_compressed(os.path.join(here, "optim_trainer_mxnet191.npz"), **out)


def scheduler_cases():
    out = {}
    for case, (cls, kw) in SCHEDULERS.items():
        s = getattr(mx.lr_scheduler, cls)(**kw)
        out[f"{case}/lr"] = np.array([s(n) for n in range(N_LR)], dtype=np.float64)
        out[f"{case}/config"] = np.array(json.dumps({"cls": cls, "kwargs": kw}))
        # an optimizer given learning_rate overrides base_lr (warmup and poly/cosine keep their own copy)
        s2 = getattr(mx.lr_scheduler, cls)(**kw)
        opt = mx.optimizer.SGD(learning_rate=0.05, lr_scheduler=s2)
        lrs = []
        for n in range(N_LR):
            opt.num_update = n
            lrs.append(opt.learning_rate)
        out[f"{case}/lr_override"] = np.array(lrs, dtype=np.float64)
    np.savez_compressed(os.path.join(here, "optim_lr_scheduler_mxnet191.npz"), **out)


if __name__ == "__main__":
    optimizer_cases()
    trainer_cases()
    scheduler_cases()
