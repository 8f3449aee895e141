"""mx.metric against values computed by real MXNet 1.9.1 (data/metric_mxnet191.npz, made by
data/metric_make_fixtures.py) and against hand computations."""
import json
import math
import os

import numpy as np
import pytest

import unidl_mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = np.load(os.path.join(HERE, "data", "metric_mxnet191.npz"), allow_pickle=False)
CASES = sorted(k[:-len("_config")] for k in FIX.files if k.endswith("_config"))


def nd(a):
    return mx.nd.array(a, dtype=a.dtype)


@pytest.mark.parametrize("case", CASES)
def test_metric_matches_mxnet(case):
    cfg = json.loads(str(FIX[case + "_config"]))
    m = mx.metric.create(cfg["metric"], **cfg["kwargs"])
    vals = []
    for i in range(3):
        m.update([nd(FIX[f"{case}_label{i}"])], [nd(FIX[f"{case}_pred{i}"])])
        if i == 1:
            vals += [np.atleast_1d(m.get()[1]), np.atleast_1d(m.get_global()[1])]
            m.reset_local()
    vals += [np.atleast_1d(m.get()[1]), np.atleast_1d(m.get_global()[1])]
    np.testing.assert_allclose(np.array(vals, dtype=np.float64), FIX[case + "_values"], rtol=2e-6, atol=1e-7)


def test_accuracy_by_hand_and_names():
    acc = mx.metric.Accuracy()
    pred = mx.nd.array([[0.3, 0.7], [0.6, 0.4], [0.1, 0.9], [0.8, 0.2]])
    label = mx.nd.array([1, 1, 1, 0])
    acc.update(label, pred)  # single NDArrays are wrapped
    assert acc.get() == ("accuracy", 0.75)
    assert acc.get_name_value() == [("accuracy", 0.75)]
    acc.update([label, label], [pred, pred])  # lists are zipped
    assert acc.num_inst == 12 and acc.sum_metric == 9
    acc.reset_local()
    assert math.isnan(acc.get()[1]) and acc.get_global() == ("accuracy", 0.75)
    acc.reset()
    assert math.isnan(acc.get_global()[1])
    assert str(mx.metric.Accuracy()) == "EvalMetric: {'accuracy': nan}"


def test_create_aliases():
    expected = {"acc": "Accuracy", "accuracy": "Accuracy", "top_k_accuracy": "TopKAccuracy",
                "top_k_acc": "TopKAccuracy",
                "ce": "CrossEntropy", "nll_loss": "NegativeLogLikelihood", "mse": "MSE", "MAE": "MAE", "rmse": "RMSE",
                "f1": "F1", "mcc": "MCC", "pearsonr": "PearsonCorrelation", "loss": "Loss",
                "composite": "CompositeEvalMetric"}
    for name, klass in expected.items():
        kwargs = {"top_k": 2} if "top_k" in name else {}
        assert type(mx.metric.create(name, **kwargs)).__name__ == klass
    assert mx.metric.create("top_k_accuracy", top_k=5).name == "top_k_accuracy_5"
    assert mx.metric.create("perplexity", ignore_label=None).name == "perplexity"
    m = mx.metric.MSE()
    assert mx.metric.create(m) is m
    comp = mx.metric.create(["acc", "mse"])
    assert isinstance(comp, mx.metric.CompositeEvalMetric) and comp.get()[0] == ["accuracy", "mse"]
    assert isinstance(mx.metric.create(mx.metric.Accuracy().get_config()), mx.metric.Accuracy)
    with pytest.raises(ValueError, match="not registered"):
        mx.metric.create("no_such_metric")
    with pytest.raises(AssertionError, match="top_k"):
        mx.metric.TopKAccuracy(top_k=1)


def test_shape_mismatch_errors():
    with pytest.raises(ValueError, match=r"Shape of labels 2 does not match shape of predictions 1"):
        mx.metric.Accuracy().update([mx.nd.array([1]), mx.nd.array([0])], [mx.nd.array([[0.2, 0.8]])])
    with pytest.raises(ValueError, match="does not match"):
        mx.metric.Accuracy().update(mx.nd.array([1, 0, 1]), mx.nd.array([[0.2, 0.8], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"MSE.*\(3, 1\).*\(4, 1\)"):
        mx.metric.MSE().update([mx.nd.array([1, 2, 3])], [mx.nd.array([1, 2, 3, 4])])
    with pytest.raises(ValueError, match=r"CrossEntropy.*\(2, 3\).*\(3,\)"):
        mx.metric.CrossEntropy().update([mx.nd.array([0, 1, 2])], [mx.nd.ones((2, 3))])
    with pytest.raises(ValueError, match="class indices"):
        mx.metric.CrossEntropy().update(mx.nd.array([0, 5]), mx.nd.ones((2, 3)))
    with pytest.raises(ValueError, match="binary classification"):
        mx.metric.F1().update(mx.nd.array([0, 1, 2]), mx.nd.ones((3, 2)))
    with pytest.raises(ValueError, match="Perplexity: shape mismatch"):
        mx.metric.Perplexity(None).update([mx.nd.array([0, 1, 2])], [mx.nd.ones((2, 3))])


def test_regression_by_hand():
    lab, pred = np.array([1.0, 2.0, 4.0], np.float32), np.array([1.5, 2.0, 3.0], np.float32)
    for klass, want in [(mx.metric.MAE, 0.5), (mx.metric.MSE, (0.25 + 1) / 3), (mx.metric.RMSE, math.sqrt(1.25 / 3))]:
        m = klass()
        m.update(nd(lab), nd(pred))
        m.update(nd(lab), nd(lab))  # a perfect batch counts as one instance
        assert m.get()[1] == pytest.approx(want / 2, rel=1e-6)


def test_ce_nll_perplexity_loss_by_hand():
    p = np.array([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]], np.float32)
    y = np.array([1, 0, 1], np.float32)
    want = -np.mean(np.log(np.array([0.8, 0.9, 0.5])))
    for klass in (mx.metric.CrossEntropy, mx.metric.NegativeLogLikelihood):
        m = klass()
        m.update(nd(y), nd(p))
        assert m.get()[1] == pytest.approx(want, rel=1e-6)
    m = mx.metric.Perplexity(ignore_label=None)
    m.update([nd(y)], [nd(p)])
    assert m.get()[1] == pytest.approx(math.exp(want), rel=1e-6)
    m = mx.metric.Perplexity(ignore_label=0)  # drops the 0.9 position
    m.update([nd(y)], [nd(p)])
    assert m.get()[1] == pytest.approx(math.exp(-np.mean(np.log([0.8, 0.5]))), rel=1e-6)
    m = mx.metric.Loss()
    m.update(None, mx.nd.array([1.0, 2.0, 6.0]))
    assert m.get() == ("loss", 3.0)


def test_f1_micro_pools_counts_macro_averages():
    lab1, pred1 = np.array([1, 1, 0, 0], np.float32), np.eye(2, dtype=np.float32)[[1, 0, 1, 0]]  # tp fn fp tn
    lab2, pred2 = np.array([1, 1], np.float32), np.eye(2, dtype=np.float32)[[1, 1]]              # tp tp
    micro, macro = mx.metric.F1(average="micro"), mx.metric.F1()
    for m in (micro, macro):
        m.update(nd(lab1), nd(pred1))
        m.update(nd(lab2), nd(pred2))
    p, r = 3 / 4, 3 / 4
    assert micro.get()[1] == pytest.approx(2 * p * r / (p + r))
    assert macro.get()[1] == pytest.approx((0.5 + 1.0) / 2)
    mcc = mx.metric.MCC()
    mcc.update(nd(lab1), nd(pred1))
    assert mcc.get()[1] == pytest.approx(0.0)


def test_topk_by_hand():
    pred = mx.nd.array([[0.1, 0.5, 0.2, 0.2], [0.4, 0.3, 0.2, 0.1], [0.0, 0.1, 0.3, 0.6]])
    m = mx.metric.TopKAccuracy(top_k=2)
    m.update(mx.nd.array([2, 1, 0]), pred)  # row 0: top-2 {1, 2 or 3}; row 1: {0, 1} hit; row 2: {3, 2} miss
    assert m.num_inst == 3 and m.sum_metric in (1, 2)
    m = mx.metric.TopKAccuracy(top_k=2)
    m.update(mx.nd.array([1, 1, 2]), pred)
    assert m.get()[1] == pytest.approx(1.0)


def test_custom_metric_and_np_wrapper():
    def half_error(label, pred):
        assert isinstance(label, np.ndarray) and isinstance(pred, np.ndarray)
        return float(np.abs(label - pred).sum()), label.size

    m = mx.metric.np(half_error)
    assert m.name == "half_error"
    m.update([mx.nd.array([1, 2])], [mx.nd.array([2, 2])])
    assert m.get() == ("half_error", 0.5)
    lam = mx.metric.create(lambda l, p: 1.0)
    assert lam.name == "custom(<lambda>)"
    lam.update(mx.nd.array([1]), mx.nd.array([1]))
    assert lam.get()[1] == 1.0
    with pytest.raises(NotImplementedError):
        lam.get_config()


def test_composite_and_update_dict():
    comp = mx.metric.CompositeEvalMetric(metrics=["acc", mx.metric.MSE()])
    lab, pred = mx.nd.array([0, 1]), mx.nd.array([[0.9, 0.1], [0.2, 0.8]])
    comp.update([lab], [pred])
    names, values = comp.get()
    assert names == ["accuracy", "mse"] and values[0] == 1.0
    assert comp.get_metric(1).name == "mse"
    with pytest.raises(ValueError, match="out of range"):
        comp.get_metric(5)
    acc = mx.metric.Accuracy(output_names=["out"], label_names=["lab"])
    acc.update_dict({"lab": lab, "other": lab}, {"out": pred, "x": pred})
    assert acc.get()[1] == 1.0
    assert acc.get_config()["axis"] == 1 and acc.get_config()["metric"] == "Accuracy"
