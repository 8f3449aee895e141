"""mx.lr_scheduler against real MXNet 1.9.1 (tests/mxnet/data/optim_lr_scheduler_mxnet191.npz) and its checks."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl.nn import optim

FIX = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "optim_lr_scheduler_mxnet191.npz"))
CASES = sorted({k.split("/")[0] for k in FIX.files})


def _make(case):
    cfg = json.loads(str(FIX[f"{case}/config"]))
    return getattr(mx.lr_scheduler, cfg["cls"])(**cfg["kwargs"])


@pytest.mark.parametrize("case", CASES)
def test_matches_real_mxnet(case):
    s = _make(case)
    got = [s(n) for n in range(len(FIX[f"{case}/lr"]))]
    np.testing.assert_array_equal(np.array(got, dtype=np.float64), FIX[f"{case}/lr"])


@pytest.mark.filterwarnings("ignore:learning rate from")
@pytest.mark.parametrize("case", CASES)
def test_optimizer_learning_rate_overrides_base_lr_as_mxnet(case):
    opt = mx.optimizer.SGD(learning_rate=0.05, lr_scheduler=_make(case))
    got = []
    for n in range(len(FIX[f"{case}/lr_override"])):
        opt.num_update = n
        got.append(opt.learning_rate)
    np.testing.assert_array_equal(np.array(got, dtype=np.float64), FIX[f"{case}/lr_override"])


def test_formulas_by_hand():
    s = mx.lr_scheduler.CosineScheduler(max_update=10, base_lr=1.0, final_lr=0.1, warmup_steps=2, warmup_begin_lr=0.5)
    assert s(0) == 0.5 and s(1) == pytest.approx(0.75)
    assert s(6) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 4 / 8)) / 2)
    assert s(10) == pytest.approx(0.1) and s(50) == pytest.approx(0.1)
    p = mx.lr_scheduler.PolyScheduler(max_update=4, base_lr=2.0, pwr=2)
    assert [p(n) for n in range(6)] == pytest.approx([2.0, 2.0 * 0.75 ** 2, 2.0 * 0.25, 2.0 * 0.0625, 0.0, 0.0])
    f = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0, stop_factor_lr=0.2)
    assert [f(n) for n in range(1, 10)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]
    m = mx.lr_scheduler.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=1.0)
    assert [m(n) for n in range(1, 8)] == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01])
    assert optim.poly_schedule(3, 4, base_lr=2.0, pwr=2) == pytest.approx(0.125)


def test_validation_errors():
    with pytest.raises(ValueError, match="greater or equal than 1"):
        mx.lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(ValueError, match="no more than 1"):
        mx.lr_scheduler.FactorScheduler(step=2, factor=2.0)
    with pytest.raises(ValueError, match="increasing integer list"):
        mx.lr_scheduler.MultiFactorScheduler(step=[3, 3])
    with pytest.raises(ValueError, match="higher than warmup_begin_lr"):
        mx.lr_scheduler.CosineScheduler(max_update=5, base_lr=0.1, warmup_begin_lr=0.2)
    with pytest.raises(ValueError, match="linear and constant"):
        mx.lr_scheduler.PolyScheduler(max_update=5, warmup_mode="exp")
    with pytest.raises(ValueError, match="strictly positive"):
        mx.lr_scheduler.PolyScheduler(max_update=0)
    with pytest.raises(NotImplementedError):
        mx.lr_scheduler.LRScheduler()(1)
