"""mx.init.create takes a name with arguments, MXNet's JSON form (what dumps() writes) or an instance."""
import pytest

import unidl_mxnet as mx
from unidl_mxnet.base import MXNetError


def test_create_by_name_with_arguments_and_from_dumps():
    const = mx.init.create("constant", value=1)
    assert isinstance(const, mx.init.Constant) and const.value == 1
    normal = mx.init.create('["normal", {"sigma": 0.5}]')
    assert isinstance(normal, mx.init.Normal) and normal.sigma == 0.5
    assert isinstance(mx.init.create(mx.init.Xavier(magnitude=2).dumps()), mx.init.Xavier)
    one = mx.init.One()
    assert mx.init.create(one) is one


def test_create_refuses_unknown_names_bad_json_and_the_symbol_era_fused_rnn():
    with pytest.raises(MXNetError, match="unknown initializer 'nope'"):
        mx.init.create("nope")
    with pytest.raises(MXNetError, match="cannot read an initializer"):
        mx.init.create('["normal", 3]')
    with pytest.raises(MXNetError, match="FusedRNNCell"):
        mx.init.create("fusedrnn")
    with pytest.raises(MXNetError, match="initializer 'constant'"):
        mx.init.create("constant", bogus=1)
