"""keras.layers convolutions: shapes, values and gradients against NumPy references, configs, errors."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl_keras import layers

RNG = np.random.default_rng(0)


# -- NumPy references (channels_last) ----------------------------------------------------------------

def same_pads(size, kernel, strides, dilation):
    """TensorFlow's 'same': total = max((ceil(n/s) - 1) * s + d*(k-1) + 1 - n, 0), odd extra at the end."""
    pads = []
    for n, k, s, d in zip(size, kernel, strides, dilation):
        total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def np_conv(x, w, strides, dilation, pads, groups=1):
    """Direct convolution: x (N, *S, C), w (*K, C/groups, O) -> (N, *out, O)."""
    nd = x.ndim - 2
    K = w.shape[:nd]
    xp = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    out = [(xp.shape[1 + i] - dilation[i] * (K[i] - 1) - 1) // strides[i] + 1 for i in range(nd)]
    C, O = x.shape[-1], w.shape[-1]
    cg, og = C // groups, O // groups
    y = np.zeros((x.shape[0], *out, O))
    for kidx in itertools.product(*[range(k) for k in K]):
        sl = tuple(slice(k * d, k * d + (o - 1) * s + 1, s) for k, d, o, s in zip(kidx, dilation, out, strides))
        patch = xp[(slice(None),) + sl + (slice(None),)]
        for g in range(groups):
            y[..., g * og:(g + 1) * og] += patch[..., g * cg:(g + 1) * cg] @ w[kidx][:, g * og:(g + 1) * og]
    return y


def np_conv_transpose(x, w, strides, dilation, padding, output_padding=None):
    """Scatter form of Keras's transposed convolution: x (N, *S, C), w (*K, O, C).

    The full result ((n-1)*s + d*(k-1) + 1 per dim) is cropped as the adjoint of a convolution of the
    output size: 'valid' keeps the start; 'same' drops TensorFlow's low 'same' padding of that
    convolution at the start."""
    nd = x.ndim - 2
    K = w.shape[:nd]
    keff = [d * (k - 1) + 1 for k, d in zip(K, dilation)]
    full_sz = [(n - 1) * s + ke for n, s, ke in zip(x.shape[1:-1], strides, keff)]
    out_sz, lo = [], []
    for i, (n, s, ke) in enumerate(zip(x.shape[1:-1], strides, keff)):
        op = None if output_padding is None else output_padding[i]
        if padding == "valid":
            out_sz.append((n - 1) * s + ke + (max(ke, s) - ke if op is None else op))
            lo.append(0)
        else:
            L = n * s if op is None else (n - 1) * s + ke % 2 + op
            out_sz.append(L)
            lo.append(max((-(-L // s) - 1) * s + ke - L, 0) // 2)
    big = np.zeros((x.shape[0], *[max(f, l + o) for f, l, o in zip(full_sz, lo, out_sz)], w.shape[-2]))
    for idx in itertools.product(*[range(n) for n in x.shape[1:-1]]):
        for kidx in itertools.product(*[range(k) for k in K]):
            pos = tuple(i * s + k * d for i, s, k, d in zip(idx, strides, kidx, dilation))
            big[(slice(None),) + pos] += x[(slice(None),) + idx] @ w[kidx].T
    return big[(slice(None),) + tuple(slice(l, l + o) for l, o in zip(lo, out_sz))]


def to_last(x):
    return np.moveaxis(x, 1, -1)


def to_first(x):
    return np.moveaxis(x, -1, 1)


def run(layer, x):
    return layer(x).numpy()


def check_grads(layer, x, ref, eps=1e-6):
    """Backward through the layer (float64) vs central differences of sum(ref(x, *weights) * g)."""
    xt = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = layer(xt)
    g = RNG.standard_normal(y.shape)
    y.backward(unidl.tensor(g))
    arrays = [x.copy()] + [w.copy() for w in layer.get_weights()]
    got = [xt.grad.numpy()] + [v.grad.numpy() for v in layer.weights]
    for a, gr in zip(arrays, got):
        num = np.zeros_like(a)
        for j in range(a.size):
            orig = a.flat[j]
            a.flat[j] = orig + eps
            fp = (ref(*arrays) * g).sum()
            a.flat[j] = orig - eps
            fm = (ref(*arrays) * g).sum()
            a.flat[j] = orig
            num.flat[j] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(gr, num, rtol=1e-5, atol=1e-6)


# -- Conv1D/2D/3D ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls,shape,kw", [
    (layers.Conv1D, (2, 9, 4), dict(filters=3, kernel_size=3)),
    (layers.Conv1D, (2, 9, 4), dict(filters=4, kernel_size=3, strides=2, padding="same", groups=2)),
    (layers.Conv1D, (2, 9, 4), dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2)),
    (layers.Conv2D, (2, 7, 6, 4), dict(filters=3, kernel_size=(3, 2), strides=(2, 1), padding="same")),
    (layers.Conv2D, (2, 7, 6, 4), dict(filters=2, kernel_size=3, dilation_rate=2, use_bias=False)),
    (layers.Conv2D, (1, 6, 6, 4), dict(filters=2, kernel_size=2, strides=2, padding="SAME")),
    (layers.Conv3D, (1, 5, 4, 3, 2), dict(filters=2, kernel_size=2, strides=2, padding="same")),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_values_match_numpy(cls, shape, kw, data_format):
    x = RNG.standard_normal(shape).astype("float32")
    layer = cls(data_format=data_format, bias_initializer="random_normal", **kw)
    xin = x if data_format == "channels_last" else to_first(x)
    y = run(layer, xin)
    w = layer.kernel.numpy()
    nd = x.ndim - 2
    k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
    padding = kw.get("padding", "valid").lower()
    if padding == "same":
        pads = same_pads(x.shape[1:-1], k, s, d)
    elif padding == "causal":
        pads = [(d[0] * (k[0] - 1), 0)]
    else:
        pads = [(0, 0)] * nd
    ref = np_conv(x.astype(np.float64), w, s, d, pads, kw.get("groups", 1))
    if layer.use_bias:
        ref = ref + layer.bias.numpy()
    got = y if data_format == "channels_last" else to_last(y)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape(xin.shape) == y.shape
    assert layer.kernel.shape == tuple(k) + (x.shape[-1] // kw.get("groups", 1), kw["filters"])


@pytest.mark.parametrize("padding,strides,n,expected", [
    ("valid", 1, 7, 5), ("valid", 2, 7, 3), ("same", 1, 7, 7), ("same", 2, 7, 4), ("same", 3, 7, 3),
    ("causal", 1, 7, 7), ("causal", 2, 7, 4),
])
def test_conv1d_output_lengths(padding, strides, n, expected):
    layer = layers.Conv1D(2, 3, strides=strides, padding=padding)
    assert layer.compute_output_shape((None, n, 3)) == (None, expected, 2)
    assert run(layer, np.ones((1, n, 3), "float32")).shape == (1, expected, 2)


def test_conv_causal_sees_only_the_past():
    layer = layers.Conv1D(1, 3, padding="causal", kernel_initializer="ones", use_bias=False)
    x = np.zeros((1, 6, 1), "float32")
    x[0, 3, 0] = 1.0
    y = run(layer, x)[0, :, 0]
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1, 1])


def test_conv_activation_applies():
    x = RNG.standard_normal((2, 5, 3)).astype("float32")
    lin = layers.Conv1D(4, 2)
    relu = layers.Conv1D(4, 2, activation="relu")
    lin.build(x.shape)
    relu.build(x.shape)
    relu.set_weights(lin.get_weights())
    np.testing.assert_allclose(run(relu, x), np.maximum(run(lin, x), 0), rtol=1e-6)


@pytest.mark.parametrize("cls,shape,kw", [
    (layers.Conv1D, (1, 5, 2), dict(filters=2, kernel_size=3, padding="causal")),
    (layers.Conv2D, (1, 5, 4, 2), dict(filters=2, kernel_size=(3, 2), strides=2, padding="same")),
    (layers.Conv2D, (1, 4, 4, 4), dict(filters=2, kernel_size=2, groups=2)),
])
def test_conv_gradients(cls, shape, kw):
    layer = cls(dtype="float64", bias_initializer="random_normal", **kw)
    x = RNG.standard_normal(shape)
    layer.build(shape)
    k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
    if layer.padding == "same":
        pads = same_pads(shape[1:-1], k, s, d)
    elif layer.padding == "causal":
        pads = [(k[0] - 1, 0)]
    else:
        pads = [(0, 0)] * len(k)
    check_grads(layer, x, lambda x, w, b: np_conv(x, w, s, d, pads, layer.groups) + b)


# -- transposed convolutions -----------------------------------------------------------------------

@pytest.mark.parametrize("cls,shape,kw", [
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=2, kernel_size=3, strides=2, padding="same")),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=2, kernel_size=3, strides=2)),
    (layers.Conv1DTranspose, (2, 5, 3), dict(filters=2, kernel_size=2, strides=3)),
    (layers.Conv2DTranspose, (2, 5, 4, 3), dict(filters=2, kernel_size=4, strides=2, padding="same")),
    (layers.Conv2DTranspose, (2, 5, 4, 3), dict(filters=2, kernel_size=3, strides=2, output_padding=1)),
    (layers.Conv2DTranspose, (2, 5, 4, 3), dict(filters=2, kernel_size=3, strides=(2, 3), padding="same",
                                               output_padding=(1, 2))),
    (layers.Conv2DTranspose, (1, 5, 4, 3), dict(filters=2, kernel_size=3, padding="same", dilation_rate=2)),
    (layers.Conv3DTranspose, (1, 3, 2, 3, 2), dict(filters=2, kernel_size=3, strides=2)),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_transpose_values_match_numpy(cls, shape, kw, data_format):
    x = RNG.standard_normal(shape).astype("float32")
    layer = cls(data_format=data_format, bias_initializer="random_normal", **kw)
    xin = x if data_format == "channels_last" else to_first(x)
    y = run(layer, xin)
    w = layer.kernel.numpy()
    assert w.shape == layer.kernel_size + (kw["filters"], shape[-1])
    ref = np_conv_transpose(x.astype(np.float64), w, layer.strides, layer.dilation_rate, layer.padding,
                            layer.output_padding) + layer.bias.numpy()
    got = y if data_format == "channels_last" else to_last(y)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape(xin.shape) == y.shape


@pytest.mark.parametrize("kw,n,expected", [
    (dict(kernel_size=3, strides=2, padding="same"), 7, 14),
    (dict(kernel_size=3, strides=2, padding="valid"), 7, 15),
    (dict(kernel_size=2, strides=3, padding="valid"), 7, 21),
    (dict(kernel_size=4, strides=3, padding="same", output_padding=2), 7, 20),
    (dict(kernel_size=4, strides=3, padding="valid", output_padding=1), 7, 23),
])
def test_conv_transpose_output_lengths(kw, n, expected):
    layer = layers.Conv1DTranspose(2, **kw)
    assert layer.compute_output_shape((None, n, 3)) == (None, expected, 2)
    assert layer.compute_output_shape((None, None, 3)) == (None, None, 2)


def test_conv_transpose_gradients():
    layer = layers.Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64", bias_initializer="random_normal")
    shape = (1, 3, 2, 2)
    layer.build(shape)
    check_grads(layer, RNG.standard_normal(shape),
                lambda x, w, b: np_conv_transpose(x, w, (2, 2), (1, 1), "same") + b)


# -- depthwise and separable -----------------------------------------------------------------------

def np_depthwise(x, w, strides, dilation, pads):
    """w (*K, C, M): channel c's m-th filter -> output channel c*M + m."""
    C = w.shape[-2]
    outs = [np_conv(x[..., c:c + 1], w[..., c:c + 1, :], strides, dilation, pads) for c in range(C)]
    return np.concatenate(outs, axis=-1)


@pytest.mark.parametrize("cls,shape,kw", [
    (layers.DepthwiseConv1D, (2, 7, 3), dict(kernel_size=3, depth_multiplier=2, padding="same")),
    (layers.DepthwiseConv2D, (2, 7, 6, 3), dict(kernel_size=3, depth_multiplier=2, strides=2, padding="same")),
    (layers.DepthwiseConv2D, (1, 7, 6, 2), dict(kernel_size=(2, 3), dilation_rate=2)),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depthwise_values_match_numpy(cls, shape, kw, data_format):
    x = RNG.standard_normal(shape).astype("float32")
    layer = cls(data_format=data_format, bias_initializer="random_normal", **kw)
    xin = x if data_format == "channels_last" else to_first(x)
    y = run(layer, xin)
    m = kw.get("depth_multiplier", 1)
    assert [v.path for v in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.kernel.shape == layer.kernel_size + (shape[-1], m)
    assert layer.depthwise_kernel is layer.kernel
    k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
    pads = same_pads(shape[1:-1], k, s, d) if layer.padding == "same" else [(0, 0)] * len(k)
    ref = np_depthwise(x.astype(np.float64), layer.kernel.numpy(), s, d, pads) + layer.bias.numpy()
    got = y if data_format == "channels_last" else to_last(y)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape(xin.shape) == y.shape


@pytest.mark.parametrize("cls,shape,kw", [
    (layers.SeparableConv1D, (2, 9, 3), dict(filters=4, kernel_size=3, depth_multiplier=2, strides=2)),
    (layers.SeparableConv2D, (2, 6, 5, 3), dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same")),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_separable_values_match_numpy(cls, shape, kw, data_format):
    x = RNG.standard_normal(shape).astype("float32")
    layer = cls(data_format=data_format, bias_initializer="random_normal", **kw)
    xin = x if data_format == "channels_last" else to_first(x)
    y = run(layer, xin)
    nd = len(shape) - 2
    assert [v.path for v in layer.weights] == [f"{layer.name}/{n}" for n in
                                               ("depthwise_kernel", "pointwise_kernel", "bias")]
    assert layer.pointwise_kernel.shape == (1,) * nd + (shape[-1] * kw["depth_multiplier"], kw["filters"])
    k, s, d = layer.kernel_size, layer.strides, layer.dilation_rate
    pads = same_pads(shape[1:-1], k, s, d) if layer.padding == "same" else [(0, 0)] * nd
    dw = np_depthwise(x.astype(np.float64), layer.depthwise_kernel.numpy(), s, d, pads)
    ref = np_conv(dw, layer.pointwise_kernel.numpy(), (1,) * nd, (1,) * nd, [(0, 0)] * nd) + layer.bias.numpy()
    got = y if data_format == "channels_last" else to_last(y)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_depthwise_and_separable_gradients():
    dw = layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", dtype="float64",
                                bias_initializer="random_normal")
    dw.build((1, 5, 2))
    check_grads(dw, RNG.standard_normal((1, 5, 2)),
                lambda x, w, b: np_depthwise(x, w, (1,), (1,), same_pads((5,), (3,), (1,), (1,))) + b)
    sep = layers.SeparableConv1D(2, 2, dtype="float64", bias_initializer="random_normal")
    sep.build((1, 4, 2))
    check_grads(sep, RNG.standard_normal((1, 4, 2)),
                lambda x, dk, pk, b: np_conv(np_depthwise(x, dk, (1,), (1,), [(0, 0)]), pk, (1,), (1,), [(0, 0)]) + b)


# -- configs, models -------------------------------------------------------------------------------

ALL = [
    (layers.Conv1D, dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2), (None, 8, 3)),
    (layers.Conv2D, dict(filters=4, kernel_size=(3, 1), strides=(2, 1), groups=2, activation="relu",
                         kernel_regularizer="l2"), (None, 8, 6, 2)),
    (layers.Conv3D, dict(filters=2, kernel_size=2, data_format="channels_first"), (None, 3, 4, 4, 4)),
    (layers.Conv1DTranspose, dict(filters=2, kernel_size=3, strides=2, padding="same"), (None, 5, 3)),
    (layers.Conv2DTranspose, dict(filters=2, kernel_size=3, strides=2, output_padding=1), (None, 5, 4, 3)),
    (layers.Conv3DTranspose, dict(filters=1, kernel_size=2), (None, 2, 3, 2, 1)),
    (layers.DepthwiseConv1D, dict(kernel_size=3, depth_multiplier=2), (None, 6, 2)),
    (layers.DepthwiseConv2D, dict(kernel_size=3, padding="same"), (None, 5, 5, 2)),
    (layers.SeparableConv1D, dict(filters=3, kernel_size=3, depth_multiplier=2), (None, 6, 2)),
    (layers.SeparableConv2D, dict(filters=3, kernel_size=3, use_bias=False), (None, 5, 5, 2)),
]


@pytest.mark.parametrize("cls,kw,shape", ALL)
def test_config_round_trip(cls, kw, shape):
    layer = cls(**kw)
    cfg = layer.get_config()
    json.dumps(cfg)
    for key in ("kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias"):
        assert key in cfg
    again = cls.from_config(json.loads(json.dumps(cfg)))
    assert again.get_config() == cfg
    assert again.compute_output_shape(shape) == layer.compute_output_shape(shape)


def test_config_keys_follow_keras():
    assert list(layers.Conv2D(2, 3).get_config())[3:] == [
        "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation",
        "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint"]
    cfg = layers.Conv2DTranspose(2, 3).get_config()
    assert cfg["output_padding"] is None and "groups" not in cfg
    assert cfg["kernel_size"] == (3, 3) and cfg["strides"] == (1, 1) and cfg["data_format"] == "channels_last"
    assert list(layers.DepthwiseConv2D(3).get_config())[3:6] == ["depth_multiplier", "kernel_size", "strides"]
    sep = layers.SeparableConv1D(2, 3).get_config()
    assert sep["depth_multiplier"] == 1 and "pointwise_initializer" in sep and "kernel_initializer" not in sep


@pytest.mark.parametrize("cls,kw,shape", ALL)
def test_in_sequential_model(cls, kw, shape):
    model = keras.Sequential([keras.Input(shape[1:]), cls(**kw)])
    x = RNG.standard_normal((2,) + shape[1:]).astype("float32")
    y = model(x).numpy()
    assert model.output_shape == (None,) + y.shape[1:]
    assert model.layers[0].built


def test_unknown_spatial_dims_in_functional_model():
    inp = keras.Input((None, None, 3))
    out = layers.Conv2D(4, 3, strides=2, padding="same")(inp)
    up = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(out)
    assert out.shape == (None, None, None, 4) and up.shape == (None, None, None, 2)
    model = keras.Model(inp, up)
    assert model(np.zeros((1, 7, 5, 3), "float32")).shape == (1, 8, 6, 2)


def test_image_data_format_default():
    keras.config.set_image_data_format("channels_first")
    try:
        layer = layers.Conv2D(2, 3)
        assert layer.data_format == "channels_first"
        assert run(layer, np.ones((1, 3, 5, 5), "float32")).shape == (1, 2, 3, 3)
    finally:
        keras.config.set_image_data_format("channels_last")


# -- errors -----------------------------------------------------------------------------------------

def test_argument_errors():
    with pytest.raises(ValueError, match="Invalid value for argument `filters`"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match=r"`kernel_size` argument must be a tuple of 2 integers.*\(3, 3, 3\)"):
        layers.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="do not satisfy `value > 0`"):
        layers.Conv2D(2, 0)
    with pytest.raises(ValueError, match="`padding` argument must be one of .*Received: padding='causal'"):
        layers.Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="`padding` argument must be one of"):
        layers.SeparableConv1D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="`strides > 1` not supported in conjunction with `dilation_rate > 1`"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="filters must be evenly divisible by the number of groups.*filters=5"):
        layers.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="`output_padding` must be strictly less than `strides`"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Conv2DTranspose"):
        layers.Conv2DTranspose(2, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid value for argument `depth_multiplier`"):
        layers.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="`data_format` argument must be one of"):
        layers.Conv2D(2, 3, data_format="channels_middle")


def test_input_errors():
    with pytest.raises(ValueError, match=r'layer "c2" is incompatible with the layer: expected ndim=4, found '
                                         r"ndim=3. Full shape received: \(2, 5, 3\)"):
        layers.Conv2D(2, 3, name="c2")(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.Conv2D(2, 3)(keras.Input((5, 3)))
    with pytest.raises(ValueError, match="input channels must be evenly divisible by the number of groups.*3 channels"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    conv = layers.Conv2D(2, 3, name="cc")
    conv(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 3.*\(1, 5, 5, 4\)"):
        conv(np.zeros((1, 5, 5, 4), "float32"))
    with pytest.raises(ValueError, match=r"Computed output size would be zero or negative.*\(1, 2, 2, 3\)"):
        layers.Conv2D(2, 3)(np.zeros((1, 2, 2, 3), "float32"))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layers.Conv1D(2, 5)(keras.Input((3, 3)))
    with pytest.raises(ValueError, match="channel dimension of the inputs .* should be defined"):
        layers.Conv2D(2, 3)(keras.Input((5, 5, None)))
