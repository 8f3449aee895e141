"""keras.ops.math / core / nn additions: Fourier transforms, STFT pair, erfinv/erfc, logdet, cdist,
segment reductions, op classes and their symbolic shapes. Expected values come from real Keras 3.15.1
(torch backend) unless derived with NumPy in the test."""
import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl_keras import KerasTensor
from unidl_keras.ops import math as kmath

ops = keras.ops


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


X5 = np.array([0.0, 1.0, 2.0, 3.0, 4.0], dtype="float32")


# -- FFTs ---------------------------------------------------------------------------------------------

def test_rfft_irfft_values():
    r, i = ops.rfft(X5)
    np.testing.assert_allclose(_np(r), [10.0, -2.5, -2.5], atol=1e-5)
    np.testing.assert_allclose(_np(i), [0.0, 3.440955, 0.812299], atol=1e-5)
    r, i = ops.rfft(X5, 3)
    np.testing.assert_allclose(_np(r), [3.0, -1.5], atol=1e-5)
    np.testing.assert_allclose(_np(i), [0.0, 0.866025], atol=1e-5)
    np.testing.assert_allclose(_np(ops.irfft((X5, X5))),
                               [2.0, -2.06066, 0.5, -0.353553, 0.0, 0.06066, -0.5, 0.353553], atol=1e-5)
    y = ops.irfft((X5, X5), 5)
    assert y.dtype == "float32"
    np.testing.assert_allclose(_np(y), [1.2, -1.374258, 0.449338, -0.602124, 0.327044], atol=1e-5)


def test_fft_fft2_ifft2_values():
    r, i = ops.fft((np.array([1., 2., 0.5], "float32"), np.array([0., 1., -1.], "float32")))
    np.testing.assert_allclose(_np(r), [3.5, 1.482051, -1.982051], atol=1e-5)
    np.testing.assert_allclose(_np(i), [0.0, -1.299038, 1.299038], atol=1e-5)
    m = (np.array([[1., 2.], [2., 1.]], "float32"), np.array([[0., 1.], [1., 0.]], "float32"))
    r, i = ops.fft2(m)
    np.testing.assert_allclose(_np(r), [[6, 0], [0, -2]], atol=1e-6)
    np.testing.assert_allclose(_np(i), [[2, 0], [0, -2]], atol=1e-6)
    r, i = ops.ifft2(m)
    np.testing.assert_allclose(_np(r), [[1.5, 0], [0, -0.5]], atol=1e-6)
    np.testing.assert_allclose(_np(i), [[0.5, 0], [0, -0.5]], atol=1e-6)
    # N-D against NumPy's pocketfft
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 4, 3)), rng.random((2, 4, 3))
    r, i = ops.fft2((a, b))
    ref = np.fft.fft2(a + 1j * b)
    np.testing.assert_allclose(_np(r), ref.real, atol=1e-10)
    np.testing.assert_allclose(_np(i), ref.imag, atol=1e-10)


def test_fft_errors():
    with pytest.raises(ValueError, match="should be a tuple of two tensors"):
        ops.fft(np.ones(3, "float32"))
    with pytest.raises(ValueError, match="same shape"):
        ops.fft((np.ones(3, "float32"), np.ones(2, "float32")))
    with pytest.raises(ValueError, match="not of type float"):
        ops.fft((np.ones(3, "int32"), np.ones(3, "int32")))
    with pytest.raises(ValueError, match="rank >= 2"):
        kmath.FFT2().compute_output_spec((np.ones(3), np.ones(3)))
    with pytest.raises(ValueError, match="last dimension fully-defined"):
        kmath.FFT().compute_output_spec((KerasTensor((None,)), KerasTensor((None,))))


def test_fft_gradients():
    # linear maps: the gradients of real-valued losses, from real Keras (torch)
    x = unidl.tensor(X5)
    x.requires_grad = True
    with unidl.autograd.record():
        r, i = ops.rfft(x, 4)
        loss = ops.sum(ops.multiply(r, np.array([1., 2., 3.], "float32"))) + ops.sum(
            ops.multiply(i, np.array([0.5, -1., 2.], "float32")))
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, -1.0, 2.0, -3.0, 0.0], atol=1e-5)
    re, im = unidl.tensor(X5), unidl.tensor(X5[::-1].copy())
    re.requires_grad = im.requires_grad = True
    with unidl.autograd.record():
        loss = ops.sum(ops.multiply(ops.irfft((re, im), 6), np.arange(6, dtype="float32")))
    loss.backward()
    np.testing.assert_allclose(re.grad.numpy(), [2.5, -1.0, -1.0, -0.5, 0.0], atol=1e-5)
    np.testing.assert_allclose(im.grad.numpy(), [0.0, 1.732051, 0.57735, 0.0, 0.0], atol=1e-5)


def test_fft_symbolic_shapes():
    r, i = ops.fft2((KerasTensor((None, 4, 3)), KerasTensor((None, 4, 3))))
    assert r.shape == (None, 4, 3) and i.shape == (None, 4, 3)
    r, _ = ops.rfft(KerasTensor((None, 4, 3)), fft_length=5)
    assert r.shape == (None, 4, 3)
    assert ops.irfft((KerasTensor((2, 4, 3)), KerasTensor((2, 4, 3)))).shape == (2, 4, 4)
    assert kmath.IRFFT(fft_length=10).compute_output_spec((np.ones((4, 8)), np.ones((4, 8)))).shape == (4, 10)
    outs = kmath.RFFT(fft_length=10).compute_output_spec(np.ones((3, 8)))
    assert [o.shape for o in outs] == [(3, 6), (3, 6)]


# -- STFT -------------------------------------------------------------------------------------------

S16 = np.sin(np.arange(16, dtype="float32"))


def test_stft_values():
    r, i = ops.stft(X5, 3, 2, 3)
    np.testing.assert_allclose(_np(r), [[0.75, -0.375], [3.75, -1.875], [5.25, -2.625]], atol=1e-5)
    np.testing.assert_allclose(_np(i), [[0.0, 0.649519], [0.0, 0.649519], [0.0, -0.649519]], atol=1e-5)
    r, i = ops.stft(S16, 4, 2, 6, window="hamming")
    assert r.shape == (9, 4)
    np.testing.assert_allclose(_np(r)[:2], [[0.981533, -0.418022, -0.490766, 0.836045],
                                            [1.439897, -1.174597, 0.643998, -0.378698]], atol=1e-5)
    np.testing.assert_allclose(_np(i)[2], [0.0, -0.577438, 0.451442, 0.0], atol=1e-5)


def test_stft_gradient():
    x = unidl.tensor(S16)
    x.requires_grad = True
    with unidl.autograd.record():
        r, i = ops.stft(x, 4, 2, 6)
        loss = ops.sum(ops.square(r)) + 2 * ops.sum(i)
    loss.backward()
    np.testing.assert_allclose(
        x.grad.numpy(),
        [0.0, 5.435594, 7.27438, 0.205983, -6.05442, -1.399677, -2.235324, 0.958959, 7.914866, 0.601541,
         -4.352168, -1.459619, -4.292584, 1.951358, 15.849718, 2.676138], atol=1e-4)


def test_istft_values():
    r, i = ops.stft(S16, 4, 2, 6, center=False)
    y = ops.istft((r, i), 4, 2, 6, center=False)
    np.testing.assert_allclose(
        _np(y), [0.0, 0.0, 0.454649, 0.14112, -0.756802, -0.958924, -0.279415, 0.656987, 0.989358, 0.412118,
                 -0.544021, -0.99999, -0.536573, 0.420167, 0.495304, 0.0], atol=1e-5)
    # centred round trip: Keras's reference formula reconstructs the signal away from the ends
    r, i = ops.stft(S16, 8, 4, 8)
    y = _np(ops.istft((r, i), 8, 4, 8))
    assert y.shape == (16,)
    np.testing.assert_allclose(y[4:-4], S16[4:-4], atol=1e-5)
    assert _np(ops.istft((r, i), 8, 4, 8, length=10)).shape == (10,)


def test_stft_errors():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(TypeError, match="`float32` or `float64`"):
        ops.stft(np.array([1, 2, 3, 4]), 2, 1, 4)
    with pytest.raises(ValueError, match="`fft_length` must equal or"):
        ops.stft(x, 4, 1, 2)
    with pytest.raises(ValueError, match="If a string is passed to"):
        ops.stft(x, 2, 1, 4, window="nope")
    with pytest.raises(ValueError, match="The shape of `window` must"):
        ops.stft(x, 2, 1, 4, window=np.ones(3))
    for bad in (0, -5, 1.5):
        with pytest.raises(ValueError, match="`sequence_stride` must be a positive integer"):
            ops.stft(x, 2, bad, 4)
        with pytest.raises(ValueError, match="`sequence_stride` must be a positive integer"):
            ops.istft((np.ones((1, 2)), np.ones((1, 2))), 2, bad, 4)


def test_stft_istft_symbolic_shapes():
    r, i = ops.stft(KerasTensor((None, 32)), 10, 3, 15)
    assert r.shape == (None, 11, 8) and i.shape == (None, 11, 8)
    out = ops.istft((KerasTensor((None, 10, 5)), KerasTensor((None, 10, 5))), 4, 1, 8, 1, "hann", False)
    assert out.shape == (None, 1)
    op = kmath.ISTFT(sequence_length=5, sequence_stride=2, fft_length=10)
    with pytest.raises(ValueError, match="should be a tuple of two tensors"):
        op.compute_output_spec(np.array([1, 2, 3]))
    assert op.sequence_length == 5 and op.fft_length == 10


# -- special functions and linear algebra -------------------------------------------------------------

def test_erfinv_erfc():
    y = ops.erfinv(np.array([-0.5, -0.2, 0.0, 0.3, 0.9], "float32"))
    assert y.dtype == "float32"
    np.testing.assert_allclose(_np(y), [-0.476936, -0.179143, 0.0, 0.272463, 1.163087], atol=1e-5)
    edge = _np(ops.erfinv(np.array([-1.0, 1.0, 2.0])))
    assert edge[0] == -np.inf and edge[1] == np.inf and np.isnan(edge[2])
    np.testing.assert_allclose(_np(ops.erfc(np.array([-1.0, 0.0, 0.5, 2.0], "float32"))),
                               [1.842701, 1.0, 0.4795, 0.004678], atol=1e-5)
    # erf(erfinv(x)) == x in float64
    x = np.linspace(-0.999999, 0.999999, 41)
    np.testing.assert_allclose(_np(ops.erf(ops.erfinv(x))), x, rtol=0, atol=1e-14)


def test_erfinv_gradient():
    x = unidl.tensor(np.array([0.3, -0.7]))
    x.requires_grad = True
    with unidl.autograd.record():
        loss = ops.sum(ops.erfinv(x))
    loss.backward()
    y = _np(ops.erfinv(np.array([0.3, -0.7])))
    np.testing.assert_allclose(x.grad.numpy(), np.sqrt(np.pi) / 2 * np.exp(y ** 2), rtol=1e-12)


def test_logdet_and_gradient():
    a = np.array([[4.42, -1.18, 0.06, 0.74], [-1.18, 1.77, -0.84, -1.16],
                  [0.06, -0.84, 5.84, 0.55], [0.74, -1.16, 0.55, 0.77]], "float32")
    np.testing.assert_allclose(_np(ops.logdet(a)), -1.117895, atol=1e-4)
    assert np.isnan(_np(ops.logdet(-np.eye(3))))
    assert ops.logdet(KerasTensor((2, 4, 3, 3))).shape == (2, 4)
    m = np.random.default_rng(1).standard_normal((2, 3, 3)) + 3 * np.eye(3)
    t = unidl.tensor(m)
    t.requires_grad = True
    with unidl.autograd.record():
        loss = ops.sum(ops.logdet(t))
    loss.backward()
    np.testing.assert_allclose(t.grad.numpy(), np.linalg.inv(m).transpose(0, 2, 1), atol=1e-12)


def test_cdist():
    out = ops.cdist(np.array([[0., 0.], [1., 1.], [2., 0.]], "float32"), np.array([[1., 0.], [0., 1.]], "float32"))
    np.testing.assert_allclose(_np(out), [[1, 1], [1, 1], [1, 2.236068]], atol=1e-5)
    with pytest.raises(ValueError):
        ops.cdist(np.ones((3, 4)), np.ones((5, 5)))
    assert ops.cdist(KerasTensor((None, 2)), KerasTensor((1, 2))).shape == (None, 1)


# -- segment reductions and framing ---------------------------------------------------------------------

def test_segment_reductions():
    d = np.array([1., 2., 3., 4., 5., 6.], "float32")
    ids = np.array([0, 0, 2, 2, -1, 1])
    np.testing.assert_allclose(_np(ops.segment_sum(d, ids)), [3, 6, 7])
    np.testing.assert_allclose(_np(ops.segment_max(d, ids, 4)), [2, 6, 4, -np.inf])
    np.testing.assert_allclose(_np(ops.segment_min(d, ids, 4)), [1, 6, 3, np.inf])
    np.testing.assert_allclose(_np(ops.segment_prod(d, ids, 4)), [2, 6, 12, 1])
    np.testing.assert_allclose(_np(kmath.SegmentProd(3)(d, ids)), [2, 6, 12])
    with pytest.raises(ValueError, match="should be an 1-D vector"):
        ops.segment_max(np.array([1, 2, 3, 4]), np.array([[0, 0], [1, 1]]))
    with pytest.raises(ValueError, match="should have same leading dimension"):
        ops.segment_sum(np.array([]), np.array([0, 0, 1, 1]))


def test_segment_symbolic_shapes():
    assert ops.segment_sum(KerasTensor((10, 4)), KerasTensor((10,), dtype="int32")).shape == (None, 4)
    assert ops.segment_max(KerasTensor((None, 4)), KerasTensor((10,), dtype="int32"), num_segments=5).shape == (5, 4)


def test_extract_sequences():
    np.testing.assert_allclose(_np(ops.extract_sequences(np.arange(7, dtype="float32"), 3, 2)),
                               [[0, 1, 2], [2, 3, 4], [4, 5, 6]])
    op = kmath.ExtractSequences(sequence_length=5, sequence_stride=2)
    assert (op.sequence_length, op.sequence_stride) == (5, 2)
    with pytest.raises(ValueError, match="rank >= 1"):
        op.compute_output_spec(np.array(42))
    assert ops.extract_sequences(KerasTensor((None, None)), 3, 2).shape == (None, None, 3)


# -- nn ---------------------------------------------------------------------------------------------

X23 = np.array([[1, 2, 3], [1, 2, 4]], dtype=np.float32)


def test_softmax_log_softmax_axis_none_and_checks():
    np.testing.assert_allclose(_np(ops.softmax(X23, axis=None)),
                               [[0.028644, 0.077863, 0.211653], [0.028644, 0.077863, 0.575333]], atol=1e-6)
    np.testing.assert_allclose(_np(ops.log_softmax(X23, axis=None)),
                               [[-3.552806, -2.552806, -1.552806], [-3.552806, -2.552806, -0.552806]], atol=1e-5)
    with pytest.raises(ValueError, match="axis 10 is out of bounds"):
        ops.softmax(KerasTensor((3, 4)), axis=10)
    with pytest.warns(UserWarning, match="has size 1"):
        ops.softmax(np.ones((3, 1), "float32"), axis=-1)


def test_sparse_sigmoid_and_sparsemax():
    np.testing.assert_allclose(_np(ops.sparse_sigmoid(np.array([-2., -1., -0.5, 0., 0.5, 1., 3.], "float32"))),
                               [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0])
    np.testing.assert_allclose(_np(ops.sparsemax(np.array([-0.5, 0, 1, 2, 3], "float32"))), [0, 0, 0, 0, 1])
    # sparsemax's definition (Martins & Astudillo 2016; Keras's JAX backend): the Euclidean projection onto the
    # simplex; for [0.1, 0.5, 0.4, -1] the support is {0.5, 0.4, 0.1} and tau = (1.0 - 1) / 3 = 0; for
    # [2, 1.9, 0, 1.95] it is {2, 1.95, 1.9} and tau = (5.85 - 1) / 3
    x = np.array([[0.1, 0.5, 0.4, -1.0], [2.0, 1.9, 0.0, 1.95]], "float32")
    np.testing.assert_allclose(_np(ops.sparsemax(x)), [[0.1, 0.5, 0.4, 0], [0.383333, 0.283333, 0, 0.333333]],
                               atol=1e-6)
    np.testing.assert_allclose(_np(ops.sparsemax(x.T, axis=0)), [[0.1, 0.383333], [0.5, 0.283333], [0.4, 0],
                                                                 [0, 0.333333]], atol=1e-6)
    with pytest.raises(ValueError):
        ops.sparsemax(KerasTensor((None, 2, 3)), axis=3)


def test_normalize_and_psnr():
    np.testing.assert_allclose(_np(ops.normalize(X23, order=3)),
                               [[0.302853, 0.605707, 0.90856], [0.239272, 0.478545, 0.957089]], atol=1e-6)
    np.testing.assert_allclose(_np(ops.normalize(X23, axis=None)),
                               [[0.169031, 0.338062, 0.507093], [0.169031, 0.338062, 0.676123]], atol=1e-6)
    np.testing.assert_allclose(_np(ops.normalize(X23, axis=0, order=1)),
                               [[0.5, 0.5, 0.428571], [0.5, 0.5, 0.571429]], atol=1e-6)
    for bad in ("a", -1, 0):
        with pytest.raises(ValueError, match="Argument `order` must be an int >= 1"):
            ops.normalize(np.array([1.0, 2.0]), order=bad)
    np.testing.assert_allclose(float(_np(ops.psnr(np.array([[0.1, 0.2], [0.4, 0.5]]),
                                                  np.array([[0.2, 0.2], [0.4, 0.6]]), 1.0))), 23.0103, atol=1e-4)
    assert ops.psnr(KerasTensor((1, 2, 3)), KerasTensor((5, 6, 7)), 1.0).shape == ()


def test_rms_and_layer_normalization():
    np.testing.assert_allclose(_np(ops.rms_normalization(X23, np.array([1., 2., 0.5], "float32"))),
                               [[0.46291, 1.85164, 0.694365], [0.377964, 1.511858, 0.755929]], atol=1e-5)
    np.testing.assert_allclose(_np(keras.ops.nn.RMSNorm()(X23, np.ones(3, "float32"))),
                               [[0.46291, 0.92582, 1.38873], [0.377964, 0.755929, 1.511858]], atol=1e-5)
    y = ops.layer_normalization(X23, np.array([1., 2., 0.5], "float32"), np.array([0., 1., -1.], "float32"))
    np.testing.assert_allclose(_np(y), [[-1.224745, 1.0, -0.387628], [-1.069045, 0.465478, -0.331847]], atol=1e-4)
    x = np.arange(12, dtype="float32").reshape(2, 3, 2) ** 1.5
    np.testing.assert_allclose(_np(ops.layer_normalization(x, axis=(1, 2), epsilon=1e-5))[0],
                               [[-1.19779, -0.942986], [-0.477094, 0.126213], [0.840646, 1.651011]], atol=1e-5)
    assert ops.layer_normalization(KerasTensor([2, 8, 16]), KerasTensor([2, 16]), KerasTensor([2, 16])).shape \
        == (2, 8, 16)


def test_depth_to_space_space_to_depth():
    a = np.arange(32, dtype="float32").reshape(1, 2, 2, 8)
    d = _np(ops.depth_to_space(a, 2))
    assert d.shape == (1, 4, 4, 2)
    np.testing.assert_array_equal(d[0, :2], [[[0, 1], [2, 3], [8, 9], [10, 11]], [[4, 5], [6, 7], [12, 13], [14, 15]]])
    d = _np(ops.depth_to_space(a.reshape(1, 8, 2, 2), 2, data_format="channels_first"))
    np.testing.assert_array_equal(d[0, 0], [[0, 4, 1, 5], [8, 12, 9, 13], [2, 6, 3, 7], [10, 14, 11, 15]])
    b = np.arange(32, dtype="float32").reshape(1, 4, 4, 2)
    s = _np(ops.space_to_depth(b, 2))
    np.testing.assert_array_equal(s[0, 0], [[0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]])
    s = _np(ops.space_to_depth(b.reshape(1, 2, 4, 4), 2, data_format="channels_first"))
    np.testing.assert_array_equal(s[0, :3], [[[0, 2], [8, 10]], [[1, 3], [9, 11]], [[4, 6], [12, 14]]])
    np.testing.assert_array_equal(_np(ops.depth_to_space(ops.space_to_depth(b, 2), 2)), b)
    with pytest.raises(ValueError, match="`block_size` must be at least 2"):
        ops.depth_to_space(a, 1)


def test_grouped_query_attention():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((1, 3, 4, 2)).astype("float32")
    k = rng.standard_normal((1, 5, 2, 2)).astype("float32")
    v = rng.standard_normal((1, 5, 2, 2)).astype("float32")
    out = _np(ops.dot_product_attention(q, k, v))
    # real Keras (torch), same inputs
    np.testing.assert_allclose(out[0, 0], [[0.436921, 0.271571], [0.411459, 0.217747], [0.1346, -0.059158],
                                           [0.150484, -0.431745]], atol=1e-5)
    np.testing.assert_allclose(out[0, 2, 2], [-0.25926, -0.376645], atol=1e-5)
    assert ops.dot_product_attention(KerasTensor([2, 3, 8, 16]), KerasTensor([2, 4, 6, 16]),
                                     KerasTensor([2, 4, 6, 16])).shape == (2, 3, 8, 16)


# -- core: control flow, scatter, conversion ------------------------------------------------------------

def _tree_np(v):
    return keras.tree.map_structure(lambda t: np.asarray(ops.convert_to_numpy(t)), v)


def test_associative_scan():
    import operator

    np.testing.assert_allclose(_np(ops.associative_scan(operator.add, np.arange(7, dtype="float32"))),
                               [0, 1, 3, 6, 10, 15, 21])
    np.testing.assert_allclose(_np(ops.associative_scan(operator.mul, np.array([[1., 2., 3.], [2., 2., 2.]], "float32"),
                                                        reverse=True, axis=1)), [[6, 6, 3], [8, 4, 2]])
    a, b = ops.associative_scan(lambda x, y: (x[0] + y[0], x[1] * y[1]),
                                (np.array([1., 2., 3., 4.]), np.array([1., 2., 3., 4.])))
    np.testing.assert_allclose(_np(a), [1, 3, 6, 10])
    np.testing.assert_allclose(_np(b), [1, 2, 6, 24])
    with pytest.raises(ValueError, match=" first dimension"):
        ops.associative_scan(lambda x, y: x, (np.array([1, 2]), np.array([5, 6, 7])))
    assert ops.associative_scan(operator.add, KerasTensor((None, 6))).shape == (None, 6)


def test_scan_while_fori_switch_map():
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), np.array(1.0, "float32"), np.array([1., 2., 3.], "float32"))
    assert float(_np(carry)) == 7.0
    np.testing.assert_allclose(_np(ys), [1, 4, 12])
    carry, ys = ops.scan(lambda c, x: (c + x, c), np.array(0.0, "float32"), np.array([1., 2., 3.], "float32"),
                         reverse=True)
    assert float(_np(carry)) == 6.0
    np.testing.assert_allclose(_np(ys), [5, 3, 0])
    with pytest.raises(TypeError, match="should be a callable."):
        ops.scan(123, 0.0, np.ones(3))
    with pytest.raises(ValueError, match="to scan over and"):
        ops.scan(lambda c, x: (c, c), 0.0)
    x, y = ops.while_loop(lambda x, y: x < 5, lambda x, y: (x + 1, y * 2), (0, 1))
    assert (int(_np(x)), int(_np(y))) == (5, 32)
    assert int(_np(ops.while_loop(lambda x: x < 10, lambda x: x + 1, 0, maximum_iterations=3))) == 3
    assert ops.while_loop(lambda x: x < 10, lambda x: x + 1, KerasTensor((None,))).shape == (None,)
    assert float(_np(ops.fori_loop(0, 5, lambda i, s: s + i, np.array(0.0)))) == 10.0
    assert ops.fori_loop(0, 10, lambda i, s: s + i, KerasTensor((3, None))).shape == (3, None)
    assert float(_np(ops.switch(5, [lambda x: x + 1, lambda x: x * 10], np.array(2.0)))) == 20.0
    assert float(_np(ops.switch(-2, [lambda x: x + 1, lambda x: x * 10], np.array(2.0)))) == 3.0
    out = _tree_np(ops.map(lambda x: {"a": x ** 2, "b": x + 1}, np.array([1., 2., 3.], "float32")))
    np.testing.assert_allclose(out["a"], [1, 4, 9])
    np.testing.assert_allclose(out["b"], [2, 3, 4])
    spec = ops.map(lambda x: {"a": x ** 2, "b": x * 10}, KerasTensor((None, 5)))
    assert spec["a"].shape == (None, 5) and spec["b"].shape == (None, 5)


def test_cond_symbolic_checks():
    x = KerasTensor((2, 3))
    assert ops.cond(ops.greater(x[0, 0], 0), lambda: x + 1, lambda: x * 2).shape == (2, 3)
    with pytest.raises(ValueError, match="should return outputs of the same kind"):
        ops.cond(ops.greater(x[0, 0], 0), lambda: x, lambda: x[0])
    assert float(_np(ops.cond(np.array(False), lambda: np.float32(1.0), lambda: np.float32(2.0)))) == 2.0


def test_scatter_update_reductions():
    np.testing.assert_allclose(_np(ops.scatter_update(np.zeros((4,)), [[0], [0], [1]], np.array([1.0, 2.0, 3.0]),
                                                      reduction="add")), [3, 3, 0, 0])
    np.testing.assert_allclose(_np(ops.scatter_update(np.zeros((4,)), [[0], [0], [1]], np.array([3.0, 5.0, 2.0]),
                                                      reduction="max")), [5, 2, 0, 0])
    np.testing.assert_allclose(_np(ops.scatter_update(np.full((4,), 10.0), [[0], [0], [1]],
                                                      np.array([3.0, 5.0, 2.0]), reduction="min")), [3, 2, 10, 10])
    np.testing.assert_allclose(_np(ops.scatter_update(np.array([2.0, 3.0, 1.0, 1.0]), [[0], [0], [1]],
                                                      np.array([3.0, 5.0, 2.0]), reduction="mul")), [30, 6, 1, 1])
    np.testing.assert_allclose(_np(ops.scatter_update(np.ones((2, 3)), [[1, 2], [0, 0], [1, 2]],
                                                      np.array([4.0, 5.0, 6.0]), reduction="max")),
                               [[5, 1, 1], [1, 1, 6]])
    # float indices are accepted (as Keras converts them)
    np.testing.assert_allclose(_np(ops.scatter(np.array([[1.0], [3.0]]), np.array([1.0, 2.0]), (4,))), [0, 1, 0, 2])


def test_unstack_slice_convert_checks():
    with pytest.raises(ValueError, match="Cannot infer argument `num` from shape"):
        ops.unstack(KerasTensor((2, None, None)), axis=1)
    with pytest.raises(ValueError, match="axis 10 is out of bounds"):
        ops.unstack(KerasTensor((3, 4)), axis=10)
    assert [o.shape for o in ops.unstack(KerasTensor((2, None, None)), num=3, axis=1)] == [(2, None)] * 3
    with pytest.raises(ValueError, match="dimensions in `inputs` must match"):
        ops.slice(KerasTensor((3, 3)), (1, 1), (2, 2, 2))
    assert ops.slice(KerasTensor((3, 3)), KerasTensor((2,), dtype="int32"), (-1, -1)).shape == (None, None)
    assert [str(ops.convert_to_tensor(np.array(0, dtype=d)).dtype) for d in ("float16", "int8", "float64")] == \
        ["float16", "int8", "float64"]
    assert ops.convert_to_tensor(KerasTensor((2, 3), sparse=True), sparse=False).sparse is False


def test_custom_gradient():
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    x = unidl.tensor(np.array([100.0, 0.0], "float32"))
    x.requires_grad = True
    with np.errstate(over="ignore"), unidl.autograd.record():
        y = log1pexp(x)
        loss = ops.sum(y)
    loss.backward()
    # the stated gradient sigmoid(x): finite at 100 where the ops' own derivative would give NaN
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.5])


# -- nn: CTC, im2col/col2im, symbolic conv checks -----------------------------------------------------

CTC_LOGITS = np.random.default_rng(3).standard_normal((2, 6, 5)).astype("float32")


def test_ctc_loss_and_decode():
    loss = ops.ctc_loss(np.array([[1, 2, 1], [1, 2, 2]]),
                        np.array([[[0.4, 0.8, 0.4], [0.2, 0.8, 0.3], [0.9, 0.4, 0.5]],
                                  [[0.4, 0.8, 0.4], [0.2, 0.3, 0.3], [0.4, 0.3, 0.2]]], "float32"),
                        np.array([3, 2]), np.array([3, 2]))
    np.testing.assert_allclose(_np(loss), [3.441167, 1.916802], atol=1e-5)
    (dec,), scores = ops.ctc_decode(CTC_LOGITS, np.array([6, 4]), strategy="greedy", mask_index=4)
    np.testing.assert_array_equal(_np(dec), [[0, 0, 3, 1, -1, -1], [2, 1, -1, -1, -1, -1]])
    np.testing.assert_allclose(_np(scores), [[-10.028373], [-4.009989]], atol=1e-5)
    dec, scores = ops.ctc_decode(CTC_LOGITS, np.array([6, 4]), strategy="beam_search", beam_width=3, top_paths=3,
                                 mask_index=4)
    np.testing.assert_array_equal(_np(dec), [[[0, 0, 3, 1, -1, -1], [2, 1, -1, -1, -1, -1]],
                                             [[0, 0, 1, -1, -1, -1], [2, 0, -1, -1, -1, -1]],
                                             [[0, 2, 3, 1, -1, -1], [2, 0, 1, -1, -1, -1]]])
    np.testing.assert_allclose(_np(scores), [[-3.276605, -3.703509, -3.75271], [-2.284077, -2.960542, -3.047252]],
                               atol=1e-5)
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(CTC_LOGITS, np.array([6, 4]), strategy="nope")
    d, s = ops.ctc_decode(KerasTensor([None, 2, 3]), KerasTensor([None]), strategy="beam_search", top_paths=2)
    assert d.shape == (2, None, 2) and s.shape == (None, 2)
    with pytest.raises(ValueError, match="must have the same first dimension"):
        keras.ops.nn.CTCLoss()._check_shape_first_dim("labels", (2, 3), "logits", (3, 4, 5))


def test_unfold_fold():
    x = np.arange(2 * 3 * 4 * 5, dtype="float32").reshape(2, 3, 4, 5)
    u = ops.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    assert u.shape == (2, 18, 9)
    np.testing.assert_array_equal(_np(u)[0, :3], [[0, 0, 0, 0, 5, 6, 0, 15, 16], [0, 0, 0, 6, 7, 8, 16, 17, 18],
                                                  [0, 0, 0, 8, 9, 0, 18, 19, 0]])
    np.testing.assert_array_equal(_np(u)[1, -2:], [[101, 102, 103, 111, 112, 113, 0, 0, 0],
                                                   [103, 104, 0, 113, 114, 0, 0, 0, 0]])
    f = ops.fold(u, (4, 5), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    np.testing.assert_array_equal(_np(f)[0, 0], [[0, 2, 2, 6, 4], [5, 12, 7, 16, 9], [10, 22, 12, 26, 14],
                                                 [15, 32, 17, 36, 19]])
    with pytest.raises(ValueError, match="Input must be a 4D tensor"):
        ops.unfold(np.ones((2, 3, 4)), 2)
    assert ops.unfold(KerasTensor((None, 2, 4, 4)), 2, stride=2).shape == (None, 8, 4)


def test_symbolic_conv_channel_checks():
    with pytest.raises(ValueError, match="input channels must match the kernel"):
        ops.conv(KerasTensor((2, 10, 3)), KerasTensor([3, 5, 4]))
    with pytest.raises(ValueError, match="input channels must match the kernel"):
        ops.conv_transpose(KerasTensor((2, 4, 3)), KerasTensor([2, 4, 5]), 2)
    # an unknown channel count is not checked
    assert ops.conv_transpose(KerasTensor((2, 4, None)), KerasTensor([2, 4, 5]), 2).shape == (2, 8, 4)
    assert ops.conv(KerasTensor((None, 20, 3)), KerasTensor([4, 3, 2]), 2, padding="same").shape == (None, 10, 2)
    with pytest.raises(ValueError, match="`offset` must be a vector of length"):
        ops.batch_normalization(KerasTensor([None, 3, 4]), KerasTensor([4]), KerasTensor([4]), axis=-1,
                                offset=KerasTensor([3]))
    assert ops.one_hot(KerasTensor([2, 3, 1]), 5, 1).shape == (2, 5, 3, 1)
    assert ops.multi_hot(KerasTensor([2, 3, 1]), 5).shape == (2, 1, 5)


def test_adaptive_pools():
    x = np.arange(2 * 7 * 5 * 3, dtype="float32").reshape(2, 7, 5, 3) ** 1.3
    np.testing.assert_allclose(_np(ops.adaptive_average_pool(x, (3, 2)))[1, :, :, 2],
                               [[533.1249, 566.5299], [704.6626, 740.2585], [886.5623, 924.0713]], rtol=1e-5)
    np.testing.assert_allclose(_np(ops.adaptive_max_pool(x, 4))[0, 1:3, :, 0],
                               [[153.3252, 165.898, 178.6948, 191.7067], [288.2192, 302.7126, 317.3679, 332.1811]],
                               rtol=1e-5)
    y = np.arange(2 * 3 * 9, dtype="float32").reshape(2, 3, 9) % 7
    np.testing.assert_allclose(_np(ops.adaptive_average_pool(y, 4, data_format="channels_first"))[1, 0],
                               [2.3333, 2.0, 4.0, 3.6667], atol=1e-4)
    assert ops.adaptive_max_pool(KerasTensor((None, 9, 9, 3)), (2, 3)).shape == (None, 2, 3, 3)
    assert keras.ops.nn.AdaptiveAveragePool(2, "channels_first")(y).shape == (2, 3, 2)


def test_segment_reduction_gradients():
    # d/d data of sum(w * segment_op(data)): max/min pick the extreme row, prod the product of the others
    d = np.array([[1., 2.], [3., 0.], [3., 5.], [4., 4.], [2., -1.]])
    ids = np.array([0, 0, 1, 1, -1])
    w = np.array([[1., 2.], [3., 4.]])
    expected = {"sum": [[1, 2], [1, 2], [3, 4], [3, 4], [0, 0]],
                "max": [[0, 2], [1, 0], [0, 4], [3, 0], [0, 0]],
                "min": [[1, 0], [0, 2], [3, 0], [0, 4], [0, 0]],
                "prod": [[3, 0], [1, 4], [12, 16], [9, 20], [0, 0]]}
    for kind, grad in expected.items():
        t = unidl.tensor(d)
        t.requires_grad = True
        with unidl.autograd.record():
            loss = ops.sum(ops.multiply(getattr(ops, f"segment_{kind}")(t, ids, 2), w))
        loss.backward()
        np.testing.assert_allclose(t.grad.numpy(), grad, err_msg=kind)
    # a big segment count stays cheap (no (segments x rows) mask)
    big = ops.segment_max(np.ones((100000, 2), "float32"), np.arange(100000) % 50000, 50000)
    assert big.shape == (50000, 2) and float(_np(big).min()) == 1.0
