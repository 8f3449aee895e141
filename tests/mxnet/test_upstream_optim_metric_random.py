"""MXNet 1.9.1 behaviour the upstream tests (test_optimizer, test_metric, test_random, test_loss,
test_gluon_data_vision) rely on. Expected values were computed with real MXNet 1.9.1."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.base import MXNetError

W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=np.float32)
G0 = np.array([[0.3, -0.6, 1.2], [-2.0, 0.1, 0.4]], dtype=np.float32)


def _run(name, steps=2, idx2name=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = mx.optimizer.create(name, param_idx2name=idx2name, **kw)
    w = mx.nd.array(W0)
    st = o.create_state_multi_precision(0, w)
    for s in range(steps):
        o.update_multi_precision(0, w, mx.nd.array(G0 * (s + 1)), st)
    return w.asnumpy()


# -- optimizers -----------------------------------------------------------------------------------
MX_TRAJ = {   # two updates (grads G0, 2*G0) from W0, on MXNet 1.9.1
    "ftml": (dict(learning_rate=0.1, beta1=0.5, wd=0.01, clip_gradient=1.5, rescale_grad=0.5), None, 2,
             [[0.316019, -0.815991, 1.815977], [1.6788, 0.06627, -0.934593]]),
    "dcasgd": (dict(learning_rate=0.1, lamda=0.5, wd=0.01, clip_gradient=1.5), None, 2,
               [[0.40958, -0.822453, 1.739847], [1.780145, 0.219531, -0.867205]]),
    "lars": (dict(learning_rate=0.1, momentum=0.9, wd=0.01, eta=0.5), {0: "fc_weight"}, 2,
             [[0.4494, -0.898799, 1.797598], [1.830688, 0.233019, -0.815519]]),
    "lars_bias": (dict(learning_rate=0.1, momentum=0.9, wd=0.01, eta=0.5), {0: "fc_bias"}, 2,
                  [[0.383, -0.766, 1.532], [2.28, 0.211, -0.906]]),
    "lbsgd": (dict(learning_rate=0.1, momentum=0.9, batch_scale=2, warmup_epochs=1, updates_per_epoch=4), None, 3,
              [[0.4325, -0.865, 1.73], [1.95, 0.2275, -0.84]]),
    "lbsgd_lars": (dict(learning_rate=0.1, warmup_strategy="lars"), None, 2,
                   [[0.430291, -0.860581, 1.721162], [1.96473, 0.226764, -0.842946]]),
    "groupadagrad": (dict(learning_rate=0.1, clip_gradient=1.0), None, 2,
                     [[0.403608, -0.824962, 1.767427], [1.762723, 0.213468, -0.896128]]),
    "test": (dict(rescale_grad=0.5), None, 2, [[0.95, -1.9, 3.8], [-1.5, 0.4, -0.15]]),
}


@pytest.mark.parametrize("case", sorted(MX_TRAJ))
def test_optimizer_matches_mxnet(case):
    kw, idx2name, steps, want = MX_TRAJ[case]
    got = _run(case.split("_")[0], steps=steps, idx2name=idx2name, **kw)
    np.testing.assert_allclose(got, np.array(want), rtol=1e-5, atol=2e-6)


def test_registry_has_every_mxnet_optimizer():
    names = {"adadelta", "adagrad", "adam", "adamax", "ccsgd", "dcasgd", "ftml", "ftrl", "groupadagrad", "lamb",
             "lars", "lbsgd", "nadam", "nag", "rmsprop", "sgd", "sgld", "signum", "test"}
    assert names <= set(mx.optimizer.Optimizer.opt_registry)
    assert isinstance(mx.optimizer.create("FTML"), mx.optimizer.FTML)
    assert mx.optimizer.contrib.GroupAdaGrad is type(mx.optimizer.create("groupadagrad"))


def test_sgld_is_a_langevin_step_with_seeded_noise():
    lr, wd = 0.01, 0.1
    mx.random.seed(7)
    noise = mx.random.normal(0, np.sqrt(lr), shape=W0.shape).asnumpy()
    mx.random.seed(7)
    o = mx.optimizer.SGLD(learning_rate=lr, wd=wd, clip_gradient=1.0)
    w = mx.nd.array(W0)
    o.update(0, w, mx.nd.array(G0), o.create_state(0, w))
    want = W0 - lr / 2 * (np.clip(G0, -1, 1) + wd * W0) + noise
    np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-6, atol=1e-6)
    # MXNet 1.9.1 with a vanishing lr: the noise is ~1e-6, the step is ~1e-13
    o = mx.optimizer.SGLD(learning_rate=1e-12, wd=0.1)
    w = mx.nd.array(W0)
    o.update(0, w, mx.nd.array(G0), None)
    np.testing.assert_allclose(w.asnumpy(), W0, atol=1e-4)


def test_groupadagrad_refuses_weight_decay_and_non_2d():
    o = mx.optimizer.contrib.GroupAdaGrad(wd=0.1)
    w = mx.nd.array(W0)
    with pytest.raises(MXNetError, match="weight decay"):
        o.update(0, w, mx.nd.array(G0), o.create_state(0, w))
    with pytest.raises(MXNetError, match="2-d"):
        o.create_state(0, mx.nd.ones((3,)))


def test_nd_binary_ops_on_two_numbers_answer_python_numbers():
    # mx.nd.power(0.9, 3) etc. (MXNet's _ufunc_helper falls back to Python arithmetic)
    assert mx.nd.power(0.9, 3) == pytest.approx(0.729)
    assert mx.nd.maximum(2, 3.5) == 3.5
    assert mx.nd.equal(1, 1) == 1 and mx.nd.greater(1, 2) == 0
    assert mx.nd.divide(3, 2) == 1.5 and mx.nd.modulo(7, 3) == 1


def test_optimizer_allow_np_array_and_updater_conversion():
    opt = mx.optimizer.SGD(learning_rate=0.5)
    assert opt.allow_np_array is False
    upd = mx.optimizer.Updater(opt)
    w = mx.np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="np.ndarray to mx.nd.NDArray is not allowed"):
        upd(0, mx.np.array([1.0, 1.0]), w)
    del opt.allow_np_array   # MXNet falls back to the current np mode
    with mx.util.np_array(True):
        upd(0, mx.np.array([1.0, 1.0]), w)
    np.testing.assert_allclose(w.asnumpy(), [0.5, 1.5])


# -- metrics --------------------------------------------------------------------------------------
def test_metric_registry_names_match_mxnet():
    from unidl_mxnet.metric import _REGISTRY

    assert sorted(_REGISTRY) == [
        "acc", "accuracy", "caffe", "ce", "composite", "compositeevalmetric", "crossentropy", "custommetric", "f1",
        "loss", "mae", "mcc", "mse", "negativeloglikelihood", "nll_loss", "pcc", "pearsoncorrelation", "pearsonr",
        "perplexity", "rmse", "top_k_acc", "top_k_accuracy", "topkaccuracy", "torch"]


def test_pcc_local_global_and_growing_classes():
    m = mx.metric.create("pcc")
    assert m.get()[0] == "pcc" and np.isnan(m.get()[1])
    pred = mx.nd.array([[0.3, 0.7], [0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.1, 0.9]])
    m.update([mx.nd.array([1, 0, 0, 0, 1])], [pred])
    assert m.get()[1] == pytest.approx(0.6666666666666666)
    m.update([mx.nd.array([2, 1])], [mx.nd.array([2, 2])])      # class indices; K grows to 3
    assert m.get()[1] == pytest.approx(0.5809475019311126)
    m.reset_local()
    assert np.isnan(m.get()[1]) and m.get_global()[1] == pytest.approx(0.5809475019311126)
    assert m.get_config() == {"metric": "PCC", "name": "pcc", "output_names": None, "label_names": None}


def test_accuracy_with_2d_labels_and_numpy_argmax_of_ndarray():
    pred = mx.nd.array([[0.3, 0.7], [0, 1.], [0.4, 0.6], [0.8, 0.2], [0.3, 0.5], [0.6, 0.4]])
    acc = mx.metric.create("acc")
    acc.update([mx.nd.array([[0, 1, 1], [1, 0, 1]])], [pred])
    assert acc.get() == ("accuracy", pytest.approx(1 / 3))
    am = np.argmax(pred, axis=1)           # numpy dispatches to NDArray.argmax(axis=1, out=None)
    assert isinstance(am, mx.nd.NDArray)
    assert am.asnumpy().tolist() == [1, 1, 1, 0, 1, 0]


# -- losses and nd broadcast operators ------------------------------------------------------------
def test_broadcast_ops_ignore_extra_keywords_like_mxnet_operators():
    got = mx.nd.broadcast_maximum(mx.nd.array([0]), mx.nd.array([[1.], [-2.]]), axis=1)
    assert got.asnumpy().tolist() == [[1.0], [0.0]]     # MXNet 1.9.1
    assert mx.nd.broadcast_add(mx.nd.array([1.]), mx.nd.array([2.]), foo=3).asnumpy().tolist() == [3.0]
    with pytest.raises(TypeError):
        mx.nd.maximum(mx.nd.array([0]), mx.nd.array([1.]), axis=1)   # the Python-level op refuses it


def test_cosine_embedding_loss_matches_mxnet():
    a = mx.nd.array([[1., 2.], [0.5, -1.], [3., 0.2]])
    b = mx.nd.array([[0.5, 1.], [1., 1.], [-1., 0.3]])
    label = mx.nd.array([1, -1, -1])
    np.testing.assert_allclose(mx.gluon.loss.CosineEmbeddingLoss()(a, b, label).asnumpy(), [[0.0], [0.0], [0.0]],
                               atol=1e-6)
    np.testing.assert_allclose(mx.gluon.loss.CosineEmbeddingLoss(margin=-0.5)(a, b, label).asnumpy(),
                               [[0.0], [0.1837722361087799], [0.0]], rtol=1e-5, atol=1e-6)


# -- vision transforms ----------------------------------------------------------------------------
def test_resize_bad_sizes_fail_when_called_with_mxnet_error():
    from unidl_mxnet.gluon.data.vision import transforms

    x = mx.nd.ones((30, 20, 3), dtype="uint8")
    for size, keep in ((-150, True), (-5, False), ((0, 5), False), ((100, 100, 100), True)):
        t = transforms.Resize(size, keep_ratio=keep)          # building it is fine, as in MXNet
        with pytest.raises(MXNetError, match="Resize"):
            t(x)
    assert transforms.Resize((15,), keep_ratio=True)(x).shape == (22, 15, 3)
    with pytest.raises(MXNetError):
        mx.image.imresize(x, -1, 5)


# -- random ---------------------------------------------------------------------------------------
def test_gamma_poisson_negative_binomial_moments():
    mx.random.seed(3)
    n = 200000
    for a, b in ((0.5, 1.0), (1.0, 5.0), (9.0, 0.5)):
        x = mx.nd.random.gamma(a, b, shape=n).asnumpy().astype(np.float64)
        assert abs(x.mean() - a * b) < 0.02 * a * b + 0.01 and abs(x.var() - a * b * b) < 0.05 * a * b * b
    for lam in (0.5, 4.0, 30.0, 1000.0):
        x = mx.nd.random.poisson(lam, shape=n).asnumpy().astype(np.float64)
        assert np.all(x == np.floor(x)) and x.min() >= 0
        assert abs(x.mean() - lam) < 0.02 * lam + 0.01 and abs(x.var() - lam) < 0.05 * lam + 0.02
    x = mx.nd.random.negative_binomial(3, 0.4, shape=n).asnumpy().astype(np.float64)
    assert abs(x.mean() - 4.5) < 0.1 and abs(x.var() - 11.25) < 0.5
    x = mx.nd.random.generalized_negative_binomial(2.0, 0.5, shape=n).asnumpy().astype(np.float64)
    assert abs(x.mean() - 2.0) < 0.05 and abs(x.var() - 4.0) < 0.2


def test_random_parameter_rules_match_mxnet():
    a = mx.nd.array([[0., 2.5], [-9.75, -1.]], dtype="float64")
    b = mx.nd.array([[1., 3.7], [4.2, 10.5]], dtype="float64")
    r = mx.nd.random.uniform(a, b, shape=3)              # MXNet 1.9.1: (2, 2, 3) float32
    assert r.shape == (2, 2, 3) and r.dtype == np.float32
    lo, hi = a.asnumpy()[..., None], b.asnumpy()[..., None]
    assert np.all(r.asnumpy() >= lo) and np.all(r.asnumpy() <= hi)
    assert mx.nd.random.uniform(a, b).shape == (2, 2)
    assert mx.nd.random.gamma(mx.nd.array([1., 2.]), mx.nd.array([1., 2.]), shape=(2,)).shape == (2, 2)
    assert mx.nd.random.randn(2, 3, loc=mx.nd.array([1., 2.]), scale=mx.nd.array([1., 1.])).shape == (2, 2, 3)
    p = mx.nd.random.poisson(3.0)
    assert p.shape == (1,) and p.dtype == np.float32
    assert mx.nd.random.poisson(3.0, shape=(2, 2), dtype="float64").dtype == np.float64
    assert mx.nd.random.normal_like(mx.nd.zeros((2, 3), dtype="float64"), loc=1).dtype == np.float64
    with pytest.raises(MXNetError, match="dtype"):
        mx.nd.random.poisson(3.0, shape=(2, 2), dtype="int32")
    with pytest.raises(AssertionError, match="same type"):
        mx.nd.random.uniform(mx.nd.array([1.]), 2.0)
    with pytest.raises(ValueError, match="either NDArray or numbers"):
        mx.nd.random.uniform("a", 2.0)
    o = mx.nd.zeros((3,))
    assert mx.nd.random.uniform(0, 1, out=o) is o and np.all(o.asnumpy() > 0)
    for name in ("uniform_like", "normal_like", "gamma_like", "exponential_like", "poisson_like",
                 "negative_binomial_like", "generalized_negative_binomial_like"):
        got = getattr(mx.nd.random, name)(mx.nd.zeros((4, 2), dtype="float16"))
        assert got.shape == (4, 2) and got.dtype == np.float16, name


def test_sample_unique_zipfian():
    mx.random.seed(11)
    classes, trials = mx.nd._internal._sample_unique_zipfian(793472, shape=(2, 8192))
    assert classes.dtype == np.int64 and classes.shape == (2, 8192)
    assert trials.dtype == np.int64 and trials.shape == (2,)
    for i in range(2):
        c = classes[i].asnumpy()
        assert np.unique(c).size == 8192 and c.min() >= 0 and c.max() < 793472
        assert 14500 < trials[i].asscalar() < 17000     # MXNet's test bounds
    with pytest.raises(MXNetError, match="distinct"):
        mx.nd._internal._sample_unique_zipfian(5, shape=(1, 6))


def test_chi_square_check_hands_scipy_mxnet_expected_counts():
    from unidl_mxnet.test_utils import chi_square_check, gen_buckets_probs_with_ppf

    pytest.importorskip("scipy")
    import scipy.stats as ss

    buckets, probs = gen_buckets_probs_with_ppf(lambda x: ss.uniform.ppf(x, loc=0, scale=1), 5)
    p, obs, exp = chi_square_check(lambda n: np.random.RandomState(0).uniform(size=n), buckets, probs, 100000)
    assert exp.dtype == np.int32 and obs.sum() == 100000 and 0 <= p <= 1
    # expected counts truncated to ints that do not add up to the samples: SciPy refuses, as with MXNet
    with pytest.raises(ValueError):
        chi_square_check(lambda n: np.random.RandomState(0).randint(0, 3, size=n), [0, 1, 2], [1 / 3] * 3, 100000)


# -- sparse gradients: lazy updates ---------------------------------------------------------------
LW = np.array([[0.5, -1.0], [2.0, 1.5], [0.25, -0.75], [1.0, 3.0]], dtype=np.float32)
LG = np.array([[0.0, 0.0], [0.3, -0.6], [0.0, 0.0], [1.2, -2.0]], dtype=np.float32)
LAZY = {   # two updates with a row_sparse gradient (rows 1 and 3), MXNet 1.9.1: (weight, state stypes)
    "sgd_lazy": ("sgd", "default", True, dict(learning_rate=0.1, momentum=0.9, wd=0.1),
                 [[0.5, -1.0], [1.8555, 1.63005], [0.25, -0.75], [0.6243, 3.4913]], ["default"]),
    "sgd_std": ("sgd", "row_sparse", False, dict(learning_rate=0.1, momentum=0.9, wd=0.1),
                [[0.48555, -0.9711], [1.8555, 1.63005], [0.242775, -0.728325], [0.6243, 3.4913]], ["default"]),
    "sgd_rsp_lazy": ("sgd", "row_sparse", True, dict(learning_rate=0.1, momentum=0.9, wd=0.1),
                     [[0.5, -1.0], [1.8555, 1.63005], [0.25, -0.75], [0.6243, 3.4913]], ["row_sparse"]),
    "adam_lazy": ("adam", "default", True, dict(learning_rate=0.1, wd=0.1),
                  [[0.5, -1.0], [1.800056, 1.699936], [0.25, -0.75], [0.80002, 3.199986]], ["default", "default"]),
    "adam_std": ("adam", "default", False, dict(learning_rate=0.1, wd=0.1),
                 [[0.301187, -0.800411], [1.800056, 1.699936], [0.054252, -0.550625], [0.80002, 3.199986]],
                 ["default", "default"]),
    "ftrl_rsp": ("ftrl", "row_sparse", None, dict(learning_rate=0.1, wd=0.1),
                 [[0.5, -1.0], [0.413434, 0.627936], [0.25, -0.75], [0.443907, 2.111573]],
                 ["row_sparse", "row_sparse"]),
    "lars_lazy": ("lars", "default", True, dict(learning_rate=0.1, momentum=0.9, wd=0.1, eta=0.5),
                  [[0.5, -1.0], [1.891608, 1.597553], [0.25, -0.75], [0.718181, 3.368532]], ["default"]),
    "lars_std": ("lars", "default", False, dict(learning_rate=0.1, momentum=0.9, wd=0.1, eta=0.5),
                 [[0.489163, -0.978326], [1.891632, 1.597531], [0.244582, -0.733745], [0.718243, 3.368451]],
                 ["default"]),
    "ftrl_dense": ("ftrl", "default", None, dict(learning_rate=0.1, wd=0.1),
                   [[0.0, 0.0], [0.413434, 0.627936], [0.0, 0.0], [0.443907, 2.111573]], ["default", "default"]),
}


@pytest.mark.parametrize("case", sorted(LAZY))
def test_row_sparse_gradients_update_lazily_as_mxnet(case):
    name, wst, lazy, kw, want, stypes = LAZY[case]
    if lazy is not None:
        kw = dict(kw, lazy_update=lazy)
    o = mx.optimizer.create(name, **kw)
    w = mx.nd.array(LW).tostype(wst)
    st = o.create_state(0, w)
    for _ in range(2):
        o.update(0, w, mx.nd.array(LG).tostype("row_sparse"), st)
    np.testing.assert_allclose(w.asnumpy(), np.array(want), rtol=1e-5, atol=2e-6)
    sts = st if isinstance(st, tuple) else (st,)
    assert [s.stype for s in sts if s is not None] == stypes
    assert w.stype == wst


def test_compare_optimizer_builds_sparse_arrays_and_lamb_takes_lists():
    from unidl_mxnet.test_utils import compare_optimizer

    compare_optimizer(mx.optimizer.SGD(momentum=0.9, wd=0.1), mx.optimizer.SGD(momentum=0.9, wd=0.1, lazy_update=False),
                      (3, 4, 5), np.float32, w_stype="row_sparse", g_stype="row_sparse")
    compare_optimizer(mx.optimizer.SGD(), mx.optimizer.SGD(), (3, 4), np.float32, w_stype="csr", g_stype="csr")
    with pytest.raises(MXNetError, match="storage type"):
        compare_optimizer(mx.optimizer.SGD(), mx.optimizer.SGD(), (3, 4), np.float32, w_stype="bogus")
    shapes = [(8, 1), (4, 3)]
    compare_optimizer(mx.optimizer.LAMB(wd=0.03), mx.optimizer.LAMB(wd=0.03), shapes, np.float32, rtol=1e-6,
                      atol=1e-6, ntensors=2)
