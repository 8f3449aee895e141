"""keras.layers pooling: shapes, values and gradients against NumPy loops, masks, configs, errors."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl_keras import layers

RNG = np.random.default_rng(1)


def np_pool(x, pool, strides, padding, mode):
    """Loops over windows (channels_last). 'same': TensorFlow's padding; padded cells are ignored."""
    nd = x.ndim - 2
    size = x.shape[1:-1]
    if padding == "same":
        out = [-(-n // s) for n, s in zip(size, strides)]
        lo = [max((o - 1) * s + k - n, 0) // 2 for o, s, k, n in zip(out, strides, pool, size)]
    else:
        out = [(n - k) // s + 1 for n, k, s in zip(size, pool, strides)]
        lo = [0] * nd
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for idx in itertools.product(*[range(o) for o in out]):
        sl = []
        for i, o in enumerate(idx):
            a = o * strides[i] - lo[i]
            sl.append(slice(max(a, 0), min(a + pool[i], size[i])))
        win = x[(slice(None),) + tuple(sl) + (slice(None),)]
        axes = tuple(range(1, nd + 1))
        y[(slice(None),) + idx] = win.max(axis=axes) if mode == "max" else win.mean(axis=axes)
    return y


CASES = [
    (layers.MaxPooling1D, dict(pool_size=3, strides=2, padding="same"), (2, 8, 3), "max"),
    (layers.MaxPooling1D, dict(), (2, 7, 3), "max"),
    (layers.MaxPooling2D, dict(pool_size=(3, 2), strides=2, padding="same"), (2, 7, 5, 3), "max"),
    (layers.MaxPooling2D, dict(pool_size=2, strides=1), (1, 4, 5, 2), "max"),
    (layers.MaxPooling3D, dict(pool_size=2, padding="valid"), (1, 5, 4, 4, 2), "max"),
    (layers.AveragePooling1D, dict(pool_size=3, strides=2, padding="same"), (2, 8, 3), "avg"),
    (layers.AveragePooling2D, dict(pool_size=3, strides=2, padding="same"), (2, 7, 6, 3), "avg"),
    (layers.AveragePooling2D, dict(pool_size=2, padding="valid"), (2, 7, 6, 3), "avg"),
    (layers.AveragePooling3D, dict(pool_size=2, strides=1, padding="same"), (1, 3, 4, 3, 2), "avg"),
]


@pytest.mark.parametrize("cls,kw,shape,mode", CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pooling_values_match_numpy(cls, kw, shape, mode, data_format):
    x = RNG.standard_normal(shape).astype("float32")
    layer = cls(data_format=data_format, **kw)
    xin = x if data_format == "channels_last" else np.moveaxis(x, -1, 1)
    y = layer(xin).numpy()
    ref = np_pool(x.astype(np.float64), layer.pool_size, layer.strides, layer.padding, mode)
    got = y if data_format == "channels_last" else np.moveaxis(y, 1, -1)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(xin.shape) == y.shape


def test_same_average_pooling_excludes_padding():
    x = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    y = layers.AveragePooling2D(2, padding="same")(x).numpy()[0, :, :, 0]
    # the last column/row windows hold one real column/row: padded zeros are not averaged in
    np.testing.assert_allclose(y[0], [3.0, 5.0, 6.5])
    np.testing.assert_allclose(y[:, 2], [6.5, 16.5, 24.0])


def test_strides_default_to_pool_size():
    layer = layers.MaxPooling2D((2, 3))
    assert layer.strides == (2, 3)
    assert layer.compute_output_shape((None, 6, 7, 1)) == (None, 3, 2, 1)
    assert layers.AveragePooling1D(2, strides=1).compute_output_shape((None, None, 4)) == (None, None, 4)


@pytest.mark.parametrize("cls,mode,nd", [
    (layers.GlobalMaxPooling1D, "max", 1), (layers.GlobalMaxPooling2D, "max", 2), (layers.GlobalMaxPooling3D, "max", 3),
    (layers.GlobalAveragePooling1D, "avg", 1), (layers.GlobalAveragePooling2D, "avg", 2),
    (layers.GlobalAveragePooling3D, "avg", 3),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(cls, mode, nd, data_format, keepdims):
    shape = (2,) + (4, 3, 2)[:nd] + (5,)
    x = RNG.standard_normal(shape).astype("float32")
    layer = cls(data_format=data_format, keepdims=keepdims)
    xin = x if data_format == "channels_last" else np.moveaxis(x, -1, 1)
    y = layer(xin).numpy()
    axes = tuple(range(1, nd + 1))
    ref = x.max(axis=axes) if mode == "max" else x.mean(axis=axes)
    if keepdims:
        expected_shape = (2,) + (1,) * nd + (5,) if data_format == "channels_last" else (2, 5) + (1,) * nd
        assert y.shape == expected_shape
        y = y.reshape(2, 5)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(xin.shape) == (expected_shape if keepdims else (2, 5))


def test_global_average_pooling1d_mask():
    x = RNG.standard_normal((2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    y = layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(y[0], x[0, :2].mean(0), rtol=1e-6)
    np.testing.assert_allclose(y[1], x[1, [0, 2, 3]].mean(0), rtol=1e-6)
    yf = layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)(
        np.moveaxis(x, -1, 1), mask=mask).numpy()
    np.testing.assert_allclose(yf[..., 0], y, rtol=1e-6)
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, steps\) = \(2, 4\)"):
        layers.GlobalAveragePooling1D()(x, mask=mask[:, :3])


def test_global_average_pooling1d_after_embedding_mask():
    emb = layers.Embedding(10, 3, mask_zero=True)
    ids = np.array([[1, 2, 0, 0]])
    vec = emb(ids)
    y = layers.GlobalAveragePooling1D()(vec).numpy()
    np.testing.assert_allclose(y[0], vec.numpy()[0, :2].mean(0), rtol=1e-6)


@pytest.mark.parametrize("cls,kw,shape", [
    (layers.MaxPooling2D, dict(pool_size=2, padding="same"), (1, 5, 4, 2)),
    (layers.AveragePooling2D, dict(pool_size=3, strides=2, padding="same"), (1, 5, 4, 2)),
    (layers.AveragePooling1D, dict(pool_size=2), (1, 6, 2)),
    (layers.GlobalAveragePooling2D, dict(), (1, 3, 3, 2)),
])
def test_pooling_gradients(cls, kw, shape):
    layer = cls(dtype="float64", **kw)
    x = RNG.standard_normal(shape)
    xt = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = layer(xt)
    g = RNG.standard_normal(y.shape)
    y.backward(unidl.tensor(g))
    if cls is layers.GlobalAveragePooling2D:
        ref = lambda a: a.mean(axis=(1, 2))  # noqa: E731
    else:
        mode = "max" if cls is layers.MaxPooling2D else "avg"
        ref = lambda a: np_pool(a, layer.pool_size, layer.strides, layer.padding, mode)  # noqa: E731
    num = np.zeros_like(x)
    for j in range(x.size):
        a = x.copy()
        a.flat[j] += 1e-6
        b = x.copy()
        b.flat[j] -= 1e-6
        num.flat[j] = ((ref(a) - ref(b)) * g).sum() / 2e-6
    np.testing.assert_allclose(xt.grad.numpy(), num, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [
    layers.MaxPooling1D(), layers.MaxPooling2D(strides=1, padding="same"), layers.MaxPooling3D(data_format="channels_first"),
    layers.AveragePooling1D(3), layers.AveragePooling2D((2, 1)), layers.AveragePooling3D(2, strides=(1, 2, 1)),
    layers.GlobalMaxPooling2D(keepdims=True), layers.GlobalAveragePooling1D(data_format="channels_first"),
])
def test_config_round_trip(layer):
    cfg = layer.get_config()
    again = type(layer).from_config(json.loads(json.dumps(cfg)))
    assert again.get_config() == cfg


def test_config_keys_follow_keras():
    cfg = layers.MaxPooling2D().get_config()
    assert list(cfg)[3:] == ["pool_size", "padding", "strides", "data_format"]
    assert cfg["pool_size"] == (2, 2) and cfg["strides"] == (2, 2) and cfg["padding"] == "valid"
    assert layers.AveragePooling1D(2).get_config()["strides"] == (2,)
    g = layers.GlobalAveragePooling1D().get_config()
    assert list(g)[3:] == ["data_format", "keepdims"] and g["keepdims"] is False


def test_in_sequential_model():
    model = keras.Sequential([
        keras.Input((8, 8, 3)), layers.Conv2D(4, 3, padding="same"), layers.MaxPooling2D(),
        layers.AveragePooling2D(2, padding="same"), layers.GlobalMaxPooling2D(), layers.Dense(2),
    ])
    assert [x.output.shape for x in model.layers[:4]] == [(None, 8, 8, 4), (None, 4, 4, 4), (None, 2, 2, 4),
                                                          (None, 4)]
    assert model(np.zeros((3, 8, 8, 3), "float32")).shape == (3, 2)


def test_errors():
    with pytest.raises(TypeError):
        layers.AveragePooling2D()  # pool_size is required
    with pytest.raises(ValueError, match="`pool_size` argument must be a tuple of 2 integers"):
        layers.MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="do not satisfy `value > 0`"):
        layers.MaxPooling2D(2, strides=0)
    with pytest.raises(ValueError, match="`padding` argument must be one of"):
        layers.MaxPooling1D(2, padding="causal")
    with pytest.raises(ValueError, match=r'layer "mp" is incompatible with the layer: expected ndim=4, found ndim=3'):
        layers.MaxPooling2D(name="mp")(np.zeros((1, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.GlobalAveragePooling2D()(keras.Input((5, 3)))
    with pytest.raises(ValueError, match=r"Computed output size would be zero or negative.*pool_size=\(3,\)"):
        layers.MaxPooling1D(3)(keras.Input((2, 3)))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layers.AveragePooling2D(3)(np.zeros((1, 2, 2, 3), "float32"))
