"""The computation an MXNet golden records, shared by make_goldens.py (real MXNet 1.9.1, which runs without
unidl: this module imports neither) and check.py (unidl_mxnet): pass the ``mx`` module to use."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np


def run_case(mx: Any, case: Any, net: Any, call: Callable[[Any], Any], x_np: np.ndarray, plist: List[Any],
             weights: Sequence[np.ndarray], trainable: List[int], cotangent: Callable[[Tuple[int, ...]], np.ndarray],
             batch_size: int) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Forward ``call`` on ``x_np`` under ``autograd.record(train_mode=case.training)``, backward of
    ``sum(output * r)`` with ``r = cotangent(output shape)``; then, for optimizer cases, ``case.steps`` Trainer
    steps from ``weights`` (``batch_size`` given to ``Trainer.step``).

    Returns the golden's outcome arrays (output, grad_input for float input, grad_weight_<i> for the
    ``trainable`` indices of ``plist``, after_weight_<i> or trained_weight_<i>) and ``r``.
    """
    nd, autograd = mx.nd, mx.autograd
    differentiable = case.input_kind == "float"
    x = nd.array(x_np)
    if differentiable:
        x.attach_grad()
    with autograd.record(train_mode=case.training):
        out = call(x)
        r = cotangent(tuple(out.shape))
        loss = (out * nd.array(r)).sum()
    loss.backward()
    res: Dict[str, np.ndarray] = {"output": out.asnumpy()}
    if differentiable:
        res["grad_input"] = x.grad.asnumpy()
    for i in trainable:
        res[f"grad_weight_{i}"] = plist[i].grad().asnumpy()
    if case.training and not case.optimizer:
        for i, p in enumerate(plist):
            res[f"after_weight_{i}"] = p.data().asnumpy()
    if case.optimizer:
        for p, w in zip(plist, weights):
            p.set_data(nd.array(w))
        name, kw = case.optimizer
        trainer = mx.gluon.Trainer(net.collect_params(), name, dict(kw))
        for _ in range(case.steps):
            with autograd.record(train_mode=True):
                loss = (call(nd.array(x_np)) * nd.array(r)).sum()
            loss.backward()
            trainer.step(batch_size)
        for i, p in enumerate(plist):
            res[f"trained_weight_{i}"] = p.data().asnumpy()
    return res, r
