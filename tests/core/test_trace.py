"""unidl.trace: kernel calls are recorded with operand layouts, exact ops are set apart, elementwise
calls compare in memory order, and nothing stays wrapped after a trace closes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
from unidl import kernels, ops, trace


def _t(a):
    return unidl.tensor(np.asarray(a, dtype="float32"))


def test_records_op_shapes_and_strides_that_fix_gemm_transpose_flags():
    a, w = _t(np.ones((2, 3))), _t(np.ones((4, 3)))
    with trace.kernel_trace() as calls:
        ops.matmul(a, ops.transpose(w))          # x @ W.T through a transposed view
        ops.matmul(a, _t(np.ones((3, 4))))       # x @ K, both C-contiguous
    mm = [c for c in calls if c.op == "matmul"]
    assert len(mm) == 2
    assert mm[0].operands[1] == ("array", "<f4", (3, 4), (1, 3))
    assert mm[1].operands[1] == ("array", "<f4", (3, 4), (4, 1))
    assert mm[0] != mm[1]  # equal math, different BLAS calls: the trace tells them apart
    assert trace.first_difference(trace.arithmetic(mm[:1]), trace.arithmetic(mm[1:])).startswith("call 0")


def test_backward_calls_are_recorded_and_attrs_kept():
    x = _t(np.arange(6.0).reshape(2, 3))
    x.requires_grad = True
    with unidl.record():
        y = ops.sum(ops.exp(x), axis=1)
    with trace.kernel_trace() as calls:
        y.backward()
    assert [c.op for c in trace.arithmetic(calls)] == ["multiply"]   # d exp = exp * g
    with trace.kernel_trace() as calls:
        ops.sum(x, axis=1, keepdims=True)
    assert ("axis", ("int", "1")) in calls[0].attrs or ("axis", (("int", "1"),)) in calls[0].attrs


def test_no_wrapper_is_left_after_the_trace_and_traces_do_not_nest():
    x = _t([1.0, -2.0])
    with trace.kernel_trace():
        ops.relu(x)
        with pytest.raises(RuntimeError, match="already open"):
            with trace.kernel_trace():
                pass
    assert kernels.TRACING.wrap is None
    ops.relu(x)
    k = kernels.OPS["relu"].table["cpu"]
    assert getattr(k, "__name__", "") != "traced"
    with trace.kernel_trace() as calls:
        pass
    assert calls == []


def test_exact_ops_are_left_out_of_the_arithmetic():
    x = _t(np.ones((2, 3)))
    with trace.kernel_trace() as calls:
        y = ops.transpose(x)
        ops.reshape(y, (6,))
        ops.add(y, 1.0)
    names = [c.op for c in calls]
    assert "transpose" in names and "add" in names
    assert [c.op for c in trace.arithmetic(calls)] == ["add"]


def test_dtype_arguments_are_described_not_taken_for_arrays():
    # a NumPy scalar type (np.uint32, as random_bits' dtype= from the random composites) has class-level
    # strides/dtype/shape descriptors: described as a value, not read as an array
    assert trace.describe(np.uint32) == ("type", repr(np.uint32))
    assert trace.describe(np.dtype("uint32"))[1] == repr(np.dtype("uint32"))
    assert trace.describe(np.zeros((2, 3), "float32")) == ("array", "<f4", (2, 3), (3, 1))


def test_weak_python_scalars_are_described_as_the_array_holds_them():
    x = _t(np.ones(3))
    with trace.kernel_trace() as calls:
        ops.multiply(x, 0.1)
        ops.multiply(x, np.float32(0.1))
        ops.multiply(x, np.float64(0.1))   # a strong float64 scalar is different arithmetic
    assert calls[0] == calls[1]
    assert calls[0] != calls[2]


@given(st.permutations([0, 1, 2]))
def test_elementwise_calls_compare_in_memory_order(perm):
    base = np.random.RandomState(0).rand(2, 3, 4).astype("float32")
    inv = tuple(np.argsort(perm))
    view = _t(base.transpose(perm))          # the same memory shown in another axis order
    with trace.kernel_trace() as a:
        ops.multiply(_t(base), 2.0)
    with trace.kernel_trace() as b:
        ops.multiply(view, 2.0)
    assert trace.first_difference(trace.arithmetic(a), trace.arithmetic(b)) is None
    assert np.array_equal(base.transpose(perm).transpose(inv), base)


def test_reductions_keep_their_logical_layout():
    base = np.random.RandomState(0).rand(3, 4).astype("float32")
    with trace.kernel_trace() as a:
        ops.sum(_t(base), axis=1)
    with trace.kernel_trace() as b:
        ops.sum(ops.transpose(_t(np.ascontiguousarray(base.T))), axis=1)   # same values, F-ordered memory
    assert trace.first_difference(trace.arithmetic(a), trace.arithmetic(b)) is not None


def test_optimizer_update_attrs_can_be_dropped():
    from unidl.ops.optim import UPDATE_RULE

    p, g, m = _t(np.ones(4)), _t(np.ones(4)), _t(np.zeros(4))
    with trace.kernel_trace() as calls:
        unidl.nn.optim.sgd(p, g, m, lr=0.1, momentum=0.9, form="keras")
        unidl.nn.optim.sgd(p, g, m, lr=0.1, momentum=0.9, form="mxnet", rescale_grad=0.5)
    calls = [c for c in calls if c.depth == 0]  # the op calls, not those a composite makes inside them
    assert [c.op for c in calls] == ["sgd_update", "sgd_update_rescaled"]  # one op per form
    updates = ("sgd_update", "sgd_update_rescaled")
    assert trace.arithmetic(calls, drop_attrs_of=updates)[0] != trace.arithmetic(calls, drop_attrs_of=updates)[1]
    a = trace.arithmetic(calls, drop_attrs_of=updates, same_op=UPDATE_RULE)
    assert a[0] == a[1]
