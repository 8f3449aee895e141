"""In MXNet every engine error is an MXNetError; core errors reaching a Gluon user must be catchable as one."""
import pytest

import unidl.errors as core_errors
import unidl_mxnet as mx
from unidl_mxnet.base import MXNetError
from unidl_mxnet.gluon.parameter import DeferredInitializationError


def test_a_core_op_error_matches_mxnet_error_in_isinstance_and_pytest_raises():
    err = core_errors.OpError("add", "shapes (2, 3) and (4, 5) do not broadcast")
    assert isinstance(err, MXNetError)
    with pytest.raises(MXNetError):
        raise err


def test_broadcast_mismatch_through_the_face_raises_mxnet_error():
    with pytest.raises(MXNetError):
        mx.nd.ones((2, 3)) + mx.nd.ones((4, 5))


def test_graph_errors_are_mxnet_errors_too():
    assert issubclass(core_errors.GraphError, MXNetError)
    assert issubclass(core_errors.KernelNotFoundError, MXNetError)


def test_only_mxnet_error_itself_widens_and_plain_python_errors_are_not_caught():
    assert not isinstance(core_errors.OpError("x", "y"), DeferredInitializationError)
    assert not issubclass(ValueError, MXNetError)
    with pytest.raises(ValueError):
        try:
            raise ValueError("plain")
        except MXNetError:  # must not swallow non-engine errors
            pytest.fail("ValueError was caught as MXNetError")


def test_a_core_error_inside_a_block_is_caught_by_a_bare_except_mxnet_error():
    from unidl_mxnet.gluon import nn

    class Broken(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            raise core_errors.OpError("conv", "input (2, 3) must be 3-D")

    try:
        Broken()(mx.nd.ones((2, 3)))
    except MXNetError as err:  # a real except clause, not isinstance
        assert "input (2, 3) must be 3-D" in str(err)
        assert isinstance(err, ValueError) and isinstance(err, core_errors.OpError)
    else:
        pytest.fail("no error raised")

    seq = nn.Sequential()
    seq.add(Broken())
    with pytest.raises(ValueError, match="must be 3-D"):  # still an OpError (a ValueError) for other callers
        seq(mx.nd.ones((2, 3)))
