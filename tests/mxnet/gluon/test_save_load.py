"""Gluon parameter files: nd.save/nd.load forms, save_parameters/load_parameters naming and errors."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import nd
from unidl_mxnet.gluon import nn


def _net():
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2), nn.BatchNorm(in_channels=3))
    net.initialize()
    return net


def test_save_parameters_matches_mxnet_file(tmp_path):
    f = tmp_path / "net.params"
    _net().save_parameters(str(f))
    # FORMATS.md: this model saved by MXNet 1.9.1 is 418 bytes with keys in this order
    assert f.stat().st_size == 418
    assert list(nd.load(str(f)).keys()) == ["0.weight", "0.bias", "1.gamma", "1.beta", "1.running_mean",
                                            "1.running_var"]


def test_round_trip_into_a_deferred_twin(tmp_path):
    f = str(tmp_path / "net.params")
    src = _net()
    src[0].weight.set_data(nd.array(np.arange(6, dtype=np.float32).reshape(3, 2)))
    src.save_parameters(f)
    dst = nn.Sequential()
    dst.add(nn.Dense(3), nn.BatchNorm())
    dst.initialize()
    dst.load_parameters(f)
    np.testing.assert_array_equal(dst[0].weight.data().asnumpy(), np.arange(6).reshape(3, 2))
    np.testing.assert_array_equal(dst(nd.ones((1, 2))).asnumpy(), src(nd.ones((1, 2))).asnumpy())


def test_missing_extra_and_shape_errors(tmp_path):
    f = str(tmp_path / "net.params")
    _net().save_parameters(f)
    small = nn.Sequential()
    small.add(nn.Dense(3, in_units=2))
    small.initialize()
    with pytest.raises(mx.MXNetError, match="'1.gamma' loaded from file .* is not present.*ignore_extra=True"):
        small.load_parameters(f)
    small.load_parameters(f, ignore_extra=True)
    big = nn.Sequential()
    big.add(nn.Dense(3, in_units=2), nn.BatchNorm(in_channels=3), nn.Dense(1, in_units=3))
    big.initialize()
    with pytest.raises(mx.MXNetError, match="'2.weight' is missing in file.*allow_missing=True"):
        big.load_parameters(f)
    big.load_parameters(f, allow_missing=True)
    wrong = nn.Sequential()
    wrong.add(nn.Dense(4, in_units=2), nn.BatchNorm(in_channels=4))
    wrong.initialize()
    with pytest.raises(mx.MXNetError, match="shape incompatible expected \\(4, 2\\) vs saved \\(3, 2\\)"):
        wrong.load_parameters(f)


def test_legacy_prefix_names_and_export_prefixes(tmp_path):
    d = nn.Dense(2, in_units=3, prefix="fc_")
    d.initialize(mx.init.One())
    f = str(tmp_path / "legacy.params")
    d.save_parameters(f)  # a bare Dense: keys "weight", "bias" (no '.'): loaded by prefix
    e = nn.Dense(2, in_units=3, prefix="other_")
    e.initialize()
    e.load_parameters(f)
    np.testing.assert_array_equal(e.weight.data().asnumpy(), np.ones((2, 3)))
    g = str(tmp_path / "export.params")
    nd.save(g, {"arg:fc_weight": nd.full((2, 3), 2.0), "arg:fc_bias": nd.zeros((2,))})
    h = nn.Dense(2, in_units=3, prefix="fc_")
    h.initialize()
    h.load_parameters(g)
    np.testing.assert_array_equal(h.weight.data().asnumpy(), np.full((2, 3), 2.0))


def test_nd_save_load_forms(tmp_path):
    f = str(tmp_path / "a.nd")
    nd.save(f, [nd.array([1, 2]), nd.array([3], dtype="int64")])
    got = nd.load(f)
    assert isinstance(got, list) and got[1].dtype is np.int64
    nd.save(f, nd.ones((2,)))
    assert isinstance(nd.load(f), list)
    nd.save(f, {"x": nd.zeros((1, 2))})
    assert list(nd.load(f)) == ["x"]
    with pytest.raises(mx.MXNetError, match="dict of str -> NDArray"):
        nd.save(f, {"x": np.zeros(2)})
    (tmp_path / "bad").write_bytes(b"\x12\x01" + b"\x00" * 10)
    with pytest.raises(mx.MXNetError, match="truncated"):
        nd.load(str(tmp_path / "bad"))


def test_parameter_dict_save_load_full_names_and_prefixes(tmp_path):
    f = str(tmp_path / "pd.params")
    net = nn.Dense(2, in_units=3, prefix="fc_")
    net.initialize(mx.init.Constant(0.5))
    net.collect_params().save(f)
    assert sorted(nd.load(f)) == ["fc_bias", "fc_weight"]  # full names, as MXNet 1.9.1 writes them
    net.collect_params().save(f, strip_prefix="fc_")
    assert sorted(nd.load(f)) == ["bias", "weight"]
    fresh = nn.Dense(2, prefix="fc_")  # deferred shape: loading gives it the file's shape
    fresh.collect_params().load(f, restore_prefix="fc_")
    np.testing.assert_array_equal(fresh.weight.data().asnumpy(), np.full((2, 3), 0.5))
    with pytest.raises(AssertionError, match="Parameter 'fc_weight' is missing in file"):
        fresh.collect_params().load(f)
    with pytest.raises(AssertionError, match="restore_prefix is 'zz_'"):
        fresh.collect_params().load(f, restore_prefix="zz_")
    other = nn.Dense(2, in_units=3, prefix="fc_")
    other.collect_params().load(f, restore_prefix="fc_", ignore_extra=True)
    big = nn.Dense(4, in_units=3, prefix="fc_")
    with pytest.raises(mx.base.MXNetError, match="shape incompatible"):
        big.collect_params().load(f, restore_prefix="fc_")
