"""keras.metrics: stateful accumulation against NumPy, resets, thresholds, AUC, lookup and configs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
import unidl_keras as keras

metrics = keras.metrics
RNG = np.random.default_rng(7)
B, C = 8, 5


def batches(n=3, seed=0):
    r = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        p = r.random((B, C))
        p /= p.sum(-1, keepdims=True)
        lab = r.integers(0, C, B)
        out.append({"p": p, "lab": lab, "oh": np.eye(C)[lab], "bin": r.integers(0, 2, (B, C)).astype(float),
                    "sw": r.random(B), "z": r.standard_normal((B, C))})
    return out


DATA = batches()


def stack(key):
    return np.concatenate([d[key] for d in DATA])


def run(metric, t_key, p_key, weighted=False):
    for d in DATA:
        metric.update_state(d[t_key], d[p_key], sample_weight=d["sw"] if weighted else None)
    return metric.result().numpy()


# -- reduction metrics ----------------------------------------------------------------------------------
def test_mean_accumulates_weighted_values():
    m = metrics.Mean()
    vals = [RNG.random(4), RNG.random(3)]
    ws = [RNG.random(4), RNG.random(3)]
    for v, w in zip(vals, ws):
        m.update_state(v, sample_weight=w)
    v, w = np.concatenate(vals), np.concatenate(ws)
    np.testing.assert_allclose(m.result().numpy(), (v * w).sum() / w.sum(), rtol=1e-6)
    m.reset_state()
    assert float(m.result().numpy()) == 0.0
    assert all(float(x.numpy().sum()) == 0.0 for x in m.variables)


def test_mean_of_matrix_values_counts_rows():
    m = metrics.Mean()
    x = RNG.random((4, 3))
    m.update_state(x)
    np.testing.assert_allclose(m.count.numpy(), 4.0)
    np.testing.assert_allclose(m.result().numpy(), x.mean(), rtol=1e-6)


def test_sum_and_call():
    s = metrics.Sum()
    assert float(s([1.0, 2.0, 3.0]).numpy()) == 6.0
    assert float(s(4.0).numpy()) == 10.0
    assert [v.name for v in s.variables] == ["total"]


def test_mean_metric_wrapper_of_a_function():
    m = metrics.MeanMetricWrapper(lambda t, p: unidl.ops.abs(unidl.ops.subtract(t, p)), name="abs_err")
    t, p = RNG.random(6), RNG.random(6)
    m.update_state(t, p)
    np.testing.assert_allclose(m.result().numpy(), np.abs(t - p).mean(), rtol=1e-6)
    assert m.name == "abs_err"


def test_state_lives_in_non_trainable_variables():
    m = metrics.Mean(name="loss")
    assert [v.name for v in m.variables] == ["total", "count"]
    assert all(isinstance(v, keras.Variable) and not v.trainable for v in m.variables)
    assert m.variables[0].path == "loss/total"


def test_update_runs_outside_autograd():
    x = unidl.tensor(np.array([1.0, 2.0]), requires_grad=True)
    m = metrics.Mean()
    with unidl.record():
        m.update_state(unidl.ops.multiply(x, 2.0))
        r = m.result()
    assert not r.requires_grad


# -- accuracy -------------------------------------------------------------------------------------------
def test_accuracy_family_against_numpy():
    p, lab, b, sw = stack("p"), stack("lab"), stack("bin"), stack("sw")
    hit = (p.argmax(-1) == lab).astype(float)
    np.testing.assert_allclose(run(metrics.CategoricalAccuracy(), "oh", "p"), hit.mean(), rtol=1e-6)
    np.testing.assert_allclose(run(metrics.SparseCategoricalAccuracy(), "lab", "p", True),
                               (hit * sw).sum() / sw.sum(), rtol=1e-6)
    bhit = ((p > 0.25) == b).astype(float)
    np.testing.assert_allclose(run(metrics.BinaryAccuracy(threshold=0.25), "bin", "p"), bhit.mean(), rtol=1e-6)
    np.testing.assert_allclose(run(metrics.BinaryAccuracy(threshold=0.25), "bin", "p", True),
                               (bhit.mean(-1) * sw).sum() / sw.sum(), rtol=1e-6)
    acc = metrics.Accuracy()
    acc.update_state([1, 2, 3, 4], [1, 2, 0, 4])
    assert float(acc.result().numpy()) == 0.75


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_against_numpy(k):
    p, lab = stack("p"), stack("lab")
    rank = (p > p[np.arange(len(lab)), lab][:, None]).sum(-1)
    ref = (rank < k).mean()
    np.testing.assert_allclose(run(metrics.TopKCategoricalAccuracy(k=k), "oh", "p"), ref, rtol=1e-6)
    np.testing.assert_allclose(run(metrics.SparseTopKCategoricalAccuracy(k=k), "lab", "p"), ref, rtol=1e-6)


def test_accuracy_function_forms():
    lab = np.array([[2], [0]])
    p = np.array([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]])
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(lab, p).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(metrics.categorical_accuracy(np.eye(3)[[2, 1]], p).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(metrics.binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]]).numpy(), [[1.0], [0.0]])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([2, 2], p, k=2).numpy(), [1.0, 0.0])


# -- regression / probabilistic -------------------------------------------------------------------------
def test_regression_metrics_against_numpy():
    t, p, z, sw = stack("oh"), stack("p"), stack("z"), stack("sw")
    np.testing.assert_allclose(run(metrics.MeanSquaredError(), "oh", "p"), ((t - p) ** 2).mean(), rtol=1e-6)
    np.testing.assert_allclose(run(metrics.MeanAbsoluteError(), "oh", "p", True),
                               (np.abs(t - p).mean(-1) * sw).sum() / sw.sum(), rtol=1e-6)
    np.testing.assert_allclose(run(metrics.RootMeanSquaredError(), "oh", "p", True),
                               np.sqrt((((t - p) ** 2).mean(-1) * sw).sum() / sw.sum()), rtol=1e-6)
    cos = (t * z).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(z, axis=-1)
    np.testing.assert_allclose(run(metrics.CosineSimilarity(), "oh", "z"), cos.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(metrics.LogCoshError(), "oh", "z"), np.log(np.cosh(z - t)).mean(), rtol=1e-5)


def test_probabilistic_metrics_against_numpy():
    p, lab, z = stack("p"), stack("lab"), stack("z")
    ce = -np.log(np.clip(p, 1e-7, 1 - 1e-7))[np.arange(len(lab)), lab]
    np.testing.assert_allclose(run(metrics.CategoricalCrossentropy(), "oh", "p"), ce.mean(), rtol=1e-5)
    np.testing.assert_allclose(run(metrics.SparseCategoricalCrossentropy(), "lab", "p"), ce.mean(), rtol=1e-5)
    lse = np.log(np.exp(z).sum(-1))
    np.testing.assert_allclose(run(metrics.CategoricalCrossentropy(from_logits=True), "oh", "z"),
                               (lse - z[np.arange(len(lab)), lab]).mean(), rtol=1e-5)


# -- confusion metrics ----------------------------------------------------------------------------------
def np_confusion(t, p, thr, w=None):
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape)
    t, p, w = t.ravel() > 0, p.ravel(), w.ravel()
    pos = p[None, :] > np.asarray(thr)[:, None]
    return {"tp": ((t & pos) * w).sum(1), "fp": ((~t & pos) * w).sum(1),
            "tn": ((~t & ~pos) * w).sum(1), "fn": ((t & ~pos) * w).sum(1)}


def test_precision_recall_thresholds_accumulate():
    thr = [0.1, 0.2, 0.5]
    t, p, sw = stack("bin"), stack("p"), stack("sw")
    cm = np_confusion(t, p, thr, sw[:, None])
    prec = run(metrics.Precision(thresholds=thr), "bin", "p", True)
    rec = run(metrics.Recall(thresholds=thr), "bin", "p", True)
    np.testing.assert_allclose(prec, cm["tp"] / (cm["tp"] + cm["fp"]), rtol=1e-5)
    np.testing.assert_allclose(rec, cm["tp"] / (cm["tp"] + cm["fn"]), rtol=1e-5)
    one = run(metrics.Precision(), "bin", "p")
    cm1 = np_confusion(t, p, [0.5])
    assert one.shape == ()
    np.testing.assert_allclose(one, cm1["tp"][0] / (cm1["tp"][0] + cm1["fp"][0]), rtol=1e-5)


def test_confusion_counts_and_reset():
    t, p = stack("bin"), stack("p")
    cm = np_confusion(t, p, [0.3, 0.6])
    for cls, key in [(metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"),
                     (metrics.TrueNegatives, "tn"), (metrics.FalseNegatives, "fn")]:
        m = cls(thresholds=[0.3, 0.6])
        np.testing.assert_allclose(run(m, "bin", "p"), cm[key])
        m.reset_state()
        np.testing.assert_array_equal(m.result().numpy(), [0.0, 0.0])


def test_precision_top_k_and_class_id():
    t, p = stack("bin"), stack("p")
    order = np.argsort(-p, axis=-1)
    top2 = np.zeros_like(p, dtype=bool)
    np.put_along_axis(top2, order[:, :2], True, axis=-1)
    tb = t > 0
    np.testing.assert_allclose(run(metrics.Precision(top_k=2), "bin", "p"), (tb & top2).sum() / top2.sum(), rtol=1e-6)
    col = 3
    pred = p[:, col] > 0.2
    np.testing.assert_allclose(run(metrics.Recall(class_id=col, thresholds=0.2), "bin", "p"),
                               (tb[:, col] & pred).sum() / tb[:, col].sum(), rtol=1e-6)


def test_threshold_validation():
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])


def np_roc_auc_trapezoid(t, p, n=200):
    eps = 1e-7
    thr = np.array([-eps] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + eps])
    cm = np_confusion(t, np.clip(p, 0, 1), thr)
    tpr = cm["tp"] / np.maximum(cm["tp"] + cm["fn"], 1e-300)
    fpr = cm["fp"] / np.maximum(cm["fp"] + cm["tn"], 1e-300)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


def test_auc_roc_against_numpy_trapezoid_and_exact_rank_auc():
    t, p = stack("bin"), stack("p")
    m = metrics.AUC()
    got = run(m, "bin", "p")
    np.testing.assert_allclose(got, np_roc_auc_trapezoid(t, p), rtol=1e-5)
    # with many thresholds it approaches the exact Mann-Whitney AUC
    pos, neg = p[t > 0], p[t == 0]
    exact = ((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean()
    fine = metrics.AUC(num_thresholds=2001)
    np.testing.assert_allclose(run(fine, "bin", "p"), exact, atol=2e-3)
    m.reset_state()
    assert float(m.result().numpy()) == 0.0


def test_auc_pr_interpolation_against_numpy():
    t, p = stack("bin"), stack("p")
    n = 11
    eps = 1e-7
    thr = np.array([-eps] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + eps])
    cm = np_confusion(t, p, thr)
    tp, fp, fn = cm["tp"], cm["fp"], cm["fn"]
    total = 0.0
    for i in range(n - 1):  # Davis & Goadrich: TP linear in P = TP + FP between consecutive thresholds
        p0, p1 = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        dtp, dp = tp[i] - tp[i + 1], p0 - p1
        if dp <= 0 or tp[i + 1] + fn[i + 1] <= 0:
            continue
        slope = dtp / dp
        icpt = tp[i + 1] - slope * p1
        ratio = p0 / p1 if p0 > 0 and p1 > 0 else 1.0
        total += slope * (dtp + icpt * np.log(ratio)) / (tp[i + 1] + fn[i + 1])
    got = run(metrics.AUC(num_thresholds=n, curve="PR"), "bin", "p")
    np.testing.assert_allclose(got, total, rtol=1e-5)


def test_auc_from_logits_and_summation_bounds():
    t, z = stack("bin"), stack("z")
    a = run(metrics.AUC(from_logits=True), "bin", "z")
    np.testing.assert_allclose(a, np_roc_auc_trapezoid(t, 1 / (1 + np.exp(-z))), rtol=1e-5)
    lo = run(metrics.AUC(summation_method="minoring"), "bin", "p")
    mid = run(metrics.AUC(), "bin", "p")
    hi = run(metrics.AUC(summation_method="majoring"), "bin", "p")
    assert lo <= mid <= hi


def test_auc_perfect_and_invalid_args():
    m = metrics.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    np.testing.assert_allclose(m.result().numpy(), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="Invalid AUC curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)


def test_auc_multi_label_averages_per_label_curves():
    t, p = stack("bin"), stack("p")
    per = [np_roc_auc_trapezoid(t[:, j], p[:, j]) for j in range(C)]
    np.testing.assert_allclose(run(metrics.AUC(multi_label=True), "bin", "p"), np.mean(per), rtol=1e-5)


# -- lookup, config -------------------------------------------------------------------------------------
def test_get_and_names():
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("sparse_categorical_accuracy"), metrics.SparseCategoricalAccuracy)
    mse = metrics.get("mse")
    assert isinstance(mse, metrics.MeanSquaredError) and mse.name == "mean_squared_error"
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}}),
                      metrics.BinaryAccuracy)
    assert metrics.get(metrics.sparse_categorical_accuracy) is metrics.sparse_categorical_accuracy
    assert metrics.LogCoshError().name == "logcosh"
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get("acc")  # handled by compile, not by get (as in Keras)


@pytest.mark.parametrize("metric", [metrics.BinaryAccuracy(threshold=0.3), metrics.TopKCategoricalAccuracy(k=2),
                                    metrics.Precision(thresholds=[0.2, 0.4], class_id=1),
                                    metrics.AUC(num_thresholds=50, curve="PR"),
                                    metrics.CategoricalCrossentropy(from_logits=True),
                                    metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="m")],
                         ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    cfg = metric.get_config()
    again = type(metric).from_config(cfg)
    assert again.get_config() == cfg
    back = metrics.deserialize(metrics.serialize(metric))
    assert type(back) is type(metric) and back.get_config() == cfg


@given(st.lists(st.floats(-100, 100), min_size=1, max_size=20), st.integers(1, 4))
def test_mean_is_order_and_split_independent(values, parts):
    m = metrics.Mean(dtype="float64")
    for chunk in np.array_split(np.array(values), parts):
        if chunk.size:
            m.update_state(chunk)
    np.testing.assert_allclose(m.result().numpy(), np.mean(values), rtol=1e-9, atol=1e-9)
