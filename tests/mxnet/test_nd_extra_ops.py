"""mx.nd legacy names and extra operators (random aliases, concatenate, moveaxis, add_n,
depth_to_space / space_to_depth, pad, legacy capitalised aliases, ``out=``), the gpu_memory_info error,
and mx.init.Orthogonal."""
import os

import numpy as np
import pytest

import unidl_mxnet as mx

FIX = np.load(os.path.join(os.path.dirname(__file__), "data", "porting_mxnet191.npz"))


def test_legacy_random_names_draw_from_the_seeded_generator():
    mx.random.seed(5)
    a = mx.nd.normal(1.0, 2.0, shape=(3,))
    mx.random.seed(5)
    b = mx.nd.random.normal(1.0, 2.0, shape=(3,))
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert mx.nd.random_normal is mx.nd.normal and mx.nd.random_uniform is mx.nd.uniform
    u = mx.nd.uniform(2, 3, (1000,)).asnumpy()
    assert u.dtype == np.float32 and u.min() >= 2 and u.max() < 3
    e = mx.nd.random_exponential(lam=4.0, shape=(20000,)).asnumpy()
    assert abs(e.mean() - 0.25) < 0.01
    s = mx.nd.sample_multinomial(mx.nd.array([[0.0, 1.0], [1.0, 0.0]]), shape=3)
    assert s.dtype == np.int32 and s.asnumpy().tolist() == [[1, 1, 1], [0, 0, 0]]
    r = mx.nd.random_randint(0, 4, shape=(50,)).asnumpy()
    assert r.min() >= 0 and r.max() < 4


def test_shape_helpers_match_numpy_and_mxnet():
    a = mx.nd.array([[1, 2], [3, 4]])
    assert mx.nd.concatenate([a, a]).shape == (4, 2) and mx.nd.concatenate([a, a], axis=1).shape == (2, 4)
    assert mx.nd.moveaxis(mx.nd.ones((2, 3, 4)), 0, 2).shape == (3, 4, 2)
    assert mx.nd.add_n(a, a, a).asnumpy().tolist() == [[3, 6], [9, 12]]
    assert mx.nd.ElementWiseSum is mx.nd.add_n
    np.testing.assert_array_equal(mx.nd.depth_to_space(mx.nd.arange(32).reshape((2, 4, 2, 2)), 2).asnumpy(),
                                  FIX["depth_to_space"])
    np.testing.assert_array_equal(mx.nd.space_to_depth(mx.nd.arange(32).reshape((2, 2, 2, 4)), 2).asnumpy(),
                                  FIX["space_to_depth"])
    x = mx.nd.arange(24).reshape((1, 4, 2, 3))
    np.testing.assert_array_equal(mx.nd.depth_to_space(mx.nd.space_to_depth(x, 1), 1).asnumpy(), x.asnumpy())
    with pytest.raises(mx.MXNetError, match="not divisible by block_size"):
        mx.nd.depth_to_space(mx.nd.ones((1, 3, 2, 2)), 2)
    assert mx.nd.Concat(a, a, dim=0).shape == (4, 2)
    assert mx.nd.SliceChannel(a, num_outputs=2)[0].shape == (2, 1)
    assert mx.nd.SwapAxis(a, dim1=0, dim2=1).asnumpy().tolist() == [[1, 3], [2, 4]]
    p = mx.nd.pad(mx.nd.ones((1, 1, 2, 2)), mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1), constant_value=2)
    assert p.shape == (1, 1, 4, 4) and p.asnumpy()[0, 0, 0].tolist() == [2, 2, 2, 2]
    with pytest.raises(mx.MXNetError, match="batch and channel axes"):
        mx.nd.pad(mx.nd.ones((1, 1, 2, 2)), mode="constant", pad_width=(1, 1, 0, 0, 0, 0, 0, 0))
    assert mx.nd.broadcast_axes(mx.nd.ones((1, 3)), axis=0, size=2).shape == (2, 3)


def test_out_argument_writes_in_place():
    x, y, z = mx.nd.ones(3), mx.nd.ones(3) * 2, mx.nd.zeros(3)
    r = mx.nd.elemwise_add(x, y, out=z)
    assert r is z and z.asnumpy().tolist() == [3, 3, 3]
    mx.nd.exp(mx.nd.zeros(3), out=z)
    assert z.asnumpy().tolist() == [1, 1, 1]
    with pytest.raises(mx.MXNetError, match="out= must be an NDArray"):
        mx.nd.add(x, y, out=mx.nd.zeros(2))


def test_gpu_memory_info_without_a_gpu_is_a_clear_error():
    if mx.context.num_gpus():
        free, total = mx.context.gpu_memory_info(0)
        assert 0 < free <= total
    with pytest.raises(mx.MXNetError, match="no such GPU"):
        mx.context.gpu_memory_info(99)


@pytest.mark.parametrize("shape,rand_type", [((3, 5), "uniform"), ((6, 2, 2), "normal"), ((4, 4), "uniform")])
def test_orthogonal_initializer(shape, rand_type):
    arr = mx.nd.zeros(shape)
    mx.init.Orthogonal(scale=2.0, rand_type=rand_type)("w", arr)
    m = arr.asnumpy().reshape(shape[0], -1) / 2.0
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=1e-5)
    with pytest.raises(mx.MXNetError, match="requires at least 2D"):
        mx.init.Orthogonal()("bias", mx.nd.zeros(3))
    assert isinstance(mx.init.create("orthogonal"), mx.init.Orthogonal)


def test_mixed_initializer_picks_by_name_pattern():
    m = mx.init.Mixed([".*bias", ".*"], [mx.init.Constant(5), mx.init.One()])
    a = mx.nd.zeros(2)
    m("fc_bias", a)
    np.testing.assert_array_equal(a.asnumpy(), [5, 5])
    m("fc_weight", a)
    np.testing.assert_array_equal(a.asnumpy(), [1, 1])
    with pytest.raises(ValueError, match="did not match any pattern"):
        mx.init.Mixed(["bias"], [mx.init.Zero()])("fc_weight", a)  # re.match: anchored at the start
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Mixed(["^nomatch$", ".*weight"], [mx.init.Zero(), mx.init.Constant(2)]))
    np.testing.assert_array_equal(net.weight.data().asnumpy(), np.full((2, 3), 2.0))
