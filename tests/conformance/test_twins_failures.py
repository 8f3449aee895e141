"""The twin checks fail loudly: a mis-mapped weight, mismatched structures, a bound exceeded; the
mapping itself against hand-written layouts; the exceptions table holds no stale entry."""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

import unidl_keras as keras
import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd

from unidl_conformance.twins import exceptions, harness, mapping
from unidl_conformance.twins import models_conv as mc
from unidl_conformance.twins import models_dense as md
from unidl_conformance.twins import models_seq as ms
from unidl_conformance.twins.mapping import MappingError, gluon_to_keras, keras_to_gluon
from unidl_conformance.twins.zoo import all_cases, get_case


def _init(net, x):
    net.initialize(mx.init.Xavier())
    net(nd.array(x))
    return net


def _mis_mapped(km, net):
    """Correct mapping, then the second Dense's (32, 32) kernel copied without its transpose."""
    keras_to_gluon(km, net)
    list(net.collect_params().values())[2].set_data(nd.array(km.layers[1].kernel.numpy()))


@pytest.mark.parametrize("check", ["forward", "gradients", "sgd_momentum"])
def test_mis_mapped_weight_fails_naming_twin_check_and_parameter(check):
    with pytest.raises(harness.TwinMismatch) as ei:
        harness.run_check(get_case("mlp"), check, mapper=_mis_mapped)
    msg = str(ei.value)
    assert "twin 'mlp'" in msg and f"check '{check}'" in msg and "not bitwise equal" in msg
    if check == "forward":
        assert "output:" in msg
    else:  # parameters are named by their Keras path and Gluon name
        assert re.search(r"dense_\d+/kernel <-> dense\d+_weight: not bitwise equal", msg)


def test_mis_mapped_gradient_names_that_parameter():
    # the first layer's weight differs only through the mis-mapped one; check the exact labels listed
    with pytest.raises(harness.TwinMismatch) as ei:
        harness.run_check(get_case("mlp"), "gradients", mapper=_mis_mapped)
    msg = str(ei.value)
    labels = [part.split(":")[0].strip() for part in msg.split("'gradients': ")[1].split("; ")]
    assert all(" <-> " in lbl for lbl in labels)
    assert any(lbl.endswith("_weight") and "kernel" in lbl for lbl in labels)


def test_structure_mismatch_is_a_clear_error():
    x = np.zeros((8, 16), "float32")
    km = md.keras_mlp()
    with pytest.raises(MappingError, match=r"3 weight-carrying units and the Gluon net 2"):
        keras_to_gluon(km, _init(md.gluon_mlp_dropout(), x))
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(32, activation="relu"), gluon.nn.Dense(33, activation="relu"), gluon.nn.Dense(10))
    with pytest.raises(MappingError, match=r"unit 1: Keras dense .* 'weight' has shape \(32, 32\) on the Keras side"):
        keras_to_gluon(km, _init(net, x))
    other = gluon.nn.HybridSequential()
    other.add(gluon.nn.Conv2D(8, 3, padding=1, use_bias=False), gluon.nn.Dense(16), gluon.nn.Dense(10))
    with pytest.raises(MappingError, match=r"unit 1: Keras batchnorm .* kinds differ \(batchnorm vs dense\)"):
        keras_to_gluon(mc.keras_cnn_bn(), _init(other, np.zeros((8, 3, 8, 8), "float32")))
    with pytest.raises(MappingError, match="not initialized"):
        keras_to_gluon(km, md.gluon_mlp())


def test_gru_reset_before_has_no_gluon_twin():
    km = keras.Sequential([keras.Input((6, 5)), keras.layers.GRU(4, reset_after=False)])
    with pytest.raises(MappingError, match="reset_after=False"):
        mapping.keras_units(km)


def test_bound_exceeded_and_unlisted_differences_are_reported():
    a = np.ones(3, "float32")
    b = a.copy()
    b[1] = np.nextafter(b[1], np.float32(2))
    assert harness.compare("mlp", "forward", "output", a, a) is None
    assert "not bitwise equal (1 of 3 element(s) differ" in harness.compare("mlp", "forward", "output", a, b)
    assert harness.compare("mlp", "adam", "w", a, b) is None                 # listed, within its bound
    msg = harness.compare("mlp", "adam", "w", a, b + 1)                       # listed, outside it
    assert "exceeds the listed exception's bound" in msg and "Adam" in msg


def test_pending_twin_fails_with_its_reason():
    case = replace(get_case("mlp"), name="later", pending="needs nn.Foo")
    with pytest.raises(harness.TwinMismatch, match="twin 'later' is pending: needs nn.Foo"):
        harness.run_check(case, "forward")


def test_mapping_layouts_against_hand_written_transposes():
    rng = np.random.RandomState(0)
    km = mc.keras_lenet()
    net = _init(mc.gluon_lenet(), rng.randn(8, 1, 12, 12).astype("float32"))
    keras_to_gluon(km, net)
    gp = list(net.collect_params().values())
    kconv = km.layers[0].kernel.numpy()                     # (kh, kw, in, out)
    w = gp[0].data().asnumpy()                              # (out, in, kh, kw)
    for o, i, r, c in [(0, 0, 0, 0), (3, 0, 2, 1), (1, 0, 1, 2)]:
        assert w[o, i, r, c] == kconv[r, c, i, o]
    kd = km.layers[4].kernel.numpy()                        # Dense (in, out)
    assert np.array_equal(gp[4].data().asnumpy(), kd.T)
    # GRU: Keras columns z, r, h; MXNet rows r, z, n
    kg = ms.keras_gru()
    gg = _init(ms.gluon_gru(), rng.randn(8, 6, 5).astype("float32"))
    keras_to_gluon(kg, gg)
    cell = kg.layers[0].cell
    H = 16
    kk, bias = cell.kernel.numpy(), cell.bias.numpy()
    i2h = gg.rnn.collect_params(".*l0_i2h_weight").values().__iter__().__next__().data().asnumpy()
    h2h_b = gg.rnn.collect_params(".*l0_h2h_bias").values().__iter__().__next__().data().asnumpy()
    assert np.array_equal(i2h[:H], kk[:, H:2 * H].T)        # r
    assert np.array_equal(i2h[H:2 * H], kk[:, :H].T)        # z
    assert np.array_equal(i2h[2 * H:], kk[:, 2 * H:].T)     # n / h
    assert np.array_equal(h2h_b[:H], bias[1, H:2 * H])


def test_lstm_biases_split_and_join():
    rng = np.random.RandomState(1)
    km = ms.keras_lstm()
    km.layers[0].cell.bias.assign(rng.randn(64).astype("float32"))
    net = _init(ms.gluon_lstm(), rng.randn(8, 6, 5).astype("float32"))
    keras_to_gluon(km, net)
    b_ih = list(net.collect_params(".*i2h_bias").values())[0]
    b_hh = list(net.collect_params(".*h2h_bias").values())[0]
    assert np.array_equal(b_ih.data().asnumpy(), km.layers[0].cell.bias.numpy())
    assert not b_hh.data().asnumpy().any() and b_hh.grad_req == "null"
    b_hh.set_data(nd.array(np.full(64, 0.5, "float32")))
    gluon_to_keras(net, km)
    assert np.array_equal(km.layers[0].cell.bias.numpy(), b_ih.data().asnumpy() + np.float32(0.5))


def test_dropout_twins_share_masks_by_seed():
    x = np.ones((8, 64), "float32")
    layer = keras.layers.Dropout(0.5)
    block = gluon.nn.Dropout(0.5)

    def masks(seed_k, seed_g):
        keras.utils.set_random_seed(seed_k)
        yk = layer(x, training=True).numpy()
        mx.random.seed(seed_g)
        with autograd.record():
            yg = block(nd.array(x)).asnumpy()
        return yk, yg

    yk, yg = masks(3, 3)
    assert yk.tobytes() == yg.tobytes() and 0 < np.count_nonzero(yk) < x.size
    yk, yg = masks(3, 4)
    assert not np.array_equal(yk, yg)


def test_plugin_registered_twins_are_listed():
    from unidl import plugins

    plugins.ensure_loaded()
    extra = replace(get_case("mlp"), name="plugin_mlp")
    plugins.CASES.cases.append(extra)
    plugins.CASES.owners.append("test")
    try:
        assert "plugin_mlp" in [c.name for c in all_cases()]
    finally:
        plugins.CASES.remove_plugin("test")
    assert "plugin_mlp" not in [c.name for c in all_cases()]


def test_every_listed_exception_is_needed_on_cpu():
    exceptions.USED.clear()
    twins = {e.twin for e in exceptions.EXCEPTIONS}
    for case in all_cases(include_plugins=False):
        if case.name in twins or "*" in twins:
            for check in harness.CHECKS:
                harness.run_check(case, check)
    stale = [e for e in exceptions.EXCEPTIONS if e not in exceptions.USED]
    assert not stale, f"exceptions no longer needed (the checks are bitwise now): {stale}"


def _c_ordered_gluon_weights(km, net):
    """Correct values, but the Gluon Dense weights copied into plain C order (the layout before canonical
    parameter memory): every value is right, the GEMMs get other transpose flags."""
    keras_to_gluon(km, net)
    for p in net.collect_params().values():
        if p.name.endswith("weight"):
            p._t.data = np.ascontiguousarray(p._t.data)


def test_kernel_calls_catch_a_weight_in_another_memory_order_whatever_this_blas_computes():
    with pytest.raises(harness.TwinMismatch) as ei:
        harness.run_check(get_case("mlp"), "kernel_calls", mapper=_c_ordered_gluon_weights)
    msg = str(ei.value)
    assert "twin 'mlp', check 'kernel_calls'" in msg and "inference forward" in msg
    assert "matmul(" in msg and "@[1, 16]" in msg   # the Gluon face's transposed (F-ordered) operand


def test_every_listed_trace_exception_is_needed():
    exceptions.USED.clear()
    for name in sorted({e.twin for e in exceptions.TRACE_EXCEPTIONS}):
        harness.run_check(get_case(name), "kernel_calls")
    stale = [e for e in exceptions.TRACE_EXCEPTIONS if e not in exceptions.USED]
    assert not stale, f"trace exceptions no longer needed: {stale}"


def test_a_trace_exception_covers_only_its_own_calls():
    kept = replace(exceptions.TRACE_EXCEPTIONS[0], shapes=((63,), (63,)))   # a shape no call has
    saved = list(exceptions.TRACE_EXCEPTIONS)
    exceptions.TRACE_EXCEPTIONS[:] = [kept] + saved[1:]
    try:
        with pytest.raises(harness.TwinMismatch, match=r"inference forward: keras vs gluon kernel calls differ"):
            harness.run_check(get_case("lstm"), "kernel_calls")
    finally:
        exceptions.TRACE_EXCEPTIONS[:] = saved
