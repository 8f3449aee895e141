"""mx.image decoding (Pillow) and resampling against MXNet 1.9.1 fixtures (tests/mxnet/data/image_make_fixtures.py).

PNG decoding must match MXNet's (OpenCV's) pixels exactly; JPEG decoders may differ by a few levels, so JPEG
is held to a stated tolerance (max 3 levels, mean under 0.5). Resampling of uint8 images must match exactly
for every interpolation code 0-4.
"""
import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl_mxnet as mx
from unidl.aliases import UnsupportedAPIError

from PIL import Image as PIL  # noqa: E402  (Pillow comes with the `test` extra)
HERE = os.path.join(os.path.dirname(__file__), "data")
FIX = np.load(os.path.join(HERE, "image_mxnet191.npz"))
PNGS = ["image_rgb.png", "image_gray.png", "image_rgba.png", "image_pal.png", "image_gray16.png"]
JPGS = ["image_photo.jpg", "image_gray.jpg"]
JPEG_MAX, JPEG_MEAN = 3, 0.5


def _key(name, flag, rgb):
    return f"{os.path.splitext(name)[0]}_{name.rsplit('.', 1)[1]}_f{flag}_rgb{rgb}"


def _read(name):
    with open(os.path.join(HERE, name), "rb") as f:
        return f.read()


@pytest.mark.parametrize("name", PNGS)
@pytest.mark.parametrize("flag", [1, 0])
@pytest.mark.parametrize("to_rgb", [1, 0])
def test_imdecode_png_matches_mxnet_exactly(name, flag, to_rgb):
    out = mx.image.imdecode(_read(name), flag=flag, to_rgb=to_rgb)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), FIX[_key(name, flag, to_rgb)])


@pytest.mark.parametrize("name", JPGS)
@pytest.mark.parametrize("flag", [1, 0])
def test_imdecode_jpeg_within_tolerance(name, flag):
    ref = FIX[_key(name, flag, 1)]
    out = mx.image.imdecode(_read(name), flag=flag).asnumpy()
    assert out.shape == ref.shape
    diff = np.abs(out.astype(int) - ref.astype(int))
    assert diff.max() <= JPEG_MAX and diff.mean() < JPEG_MEAN


def test_imread_and_buffer_types(tmp_path):
    rng = np.random.RandomState(0)
    arr = rng.randint(0, 256, (6, 9, 3)).astype(np.uint8)
    path = str(tmp_path / "x.png")
    PIL.fromarray(arr).save(path)
    img = mx.image.imread(path)
    assert img.shape == (6, 9, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img.asnumpy(), arr)
    np.testing.assert_array_equal(mx.image.imread(path, to_rgb=False).asnumpy(), arr[:, :, ::-1])
    gray = mx.image.imread(path, flag=0).asnumpy()
    assert gray.shape == (6, 9, 1)
    # libpng's RGB->gray: 15-bit weights 9797, 19234, 3737, truncated
    r, g, b = (arr[..., i].astype(np.int64) for i in range(3))
    np.testing.assert_array_equal(gray[..., 0], (9797 * r + 19234 * g + 3737 * b) >> 15)
    buf = open(path, "rb").read()
    for b in (bytearray(buf), np.frombuffer(buf, np.uint8), mx.nd.array(np.frombuffer(buf, np.uint8), dtype="uint8")):
        np.testing.assert_array_equal(mx.image.imdecode(b).asnumpy(), arr)
    out = mx.nd.zeros((6, 9, 3), dtype="uint8")
    mx.image.imdecode(buf, out=out)
    np.testing.assert_array_equal(out.asnumpy(), arr)


def test_decode_errors(tmp_path):
    with pytest.raises(ValueError, match="buf must be of type bytes"):
        mx.image.imdecode("not bytes")
    with pytest.raises(mx.MXNetError, match="Decoding failed. Invalid image file"):
        mx.image.imdecode(b"definitely not an image")
    with pytest.raises(mx.MXNetError, match="couldn't open file"):
        mx.image.imread(str(tmp_path / "missing.png"))
    with pytest.raises(mx.MXNetError, match="flag must be 0"):
        mx.image.imdecode(_read("image_rgb.png"), flag=-1)
    with pytest.raises(UnsupportedAPIError, match="ImageIter"):
        mx.image.ImageIter


def test_without_pillow_every_file_api_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    buf = _read("image_rgb.png")
    for call in (lambda: mx.image.imdecode(buf), lambda: mx.image.imread(os.path.join(HERE, "image_rgb.png")),
                 lambda: mx.recordio.unpack_img(mx.recordio.pack((0, 1.0, 0, 0), buf)),
                 lambda: mx.recordio.pack_img((0, 1.0, 0, 0), np.zeros((2, 2, 3), np.uint8))):
        with pytest.raises(ImportError, match=r"pip install Pillow.*unidl\[image\]"):
            call()


@pytest.mark.parametrize("case", range(9))
@pytest.mark.parametrize("interp", range(5))
def test_imresize_uint8_matches_mxnet_exactly(case, interp):
    w, h = (int(v) for v in FIX[f"resize{case}_wh"])
    out = mx.image.imresize(mx.nd.array(FIX[f"resize{case}_in"], dtype="uint8"), w, h, interp=interp)
    np.testing.assert_array_equal(out.asnumpy(), FIX[f"resize{case}_i{interp}"])


@pytest.mark.parametrize("interp", range(5))
def test_imresize_float32_matches_mxnet(interp):
    src = mx.nd.array(FIX["resizef_in"])
    np.testing.assert_allclose(mx.image.imresize(src, 6, 5, interp=interp).asnumpy(), FIX[f"resizef_i{interp}"],
                               rtol=1e-5, atol=2e-4)
    np.testing.assert_allclose(mx.image.imresize(src, 15, 13, interp=interp).asnumpy(),
                               FIX[f"resizef_up_i{interp}"], rtol=1e-5, atol=2e-4)


def test_imresize_bad_interp():
    with pytest.raises(mx.MXNetError, match="unknown interpolation method 7"):
        mx.image.imresize(mx.nd.zeros((4, 4, 3), dtype="uint8"), 2, 2, interp=7)


@settings(max_examples=25, deadline=None)
@given(k=st.integers(2, 4), oh=st.integers(1, 4), ow=st.integers(1, 4), c=st.sampled_from([1, 3]),
       seed=st.integers(0, 2 ** 16))
def test_area_integer_factor_is_rounded_block_mean(k, oh, ow, c, seed):
    img = np.random.RandomState(seed).randint(0, 256, (oh * k, ow * k, c)).astype(np.uint8)
    out = mx.image.imresize(mx.nd.array(img, dtype="uint8"), ow, oh, interp=3).asnumpy()
    total = img.astype(np.int64).reshape(oh, k, ow, k, c).sum(axis=(1, 3))
    # OpenCV: 2x2 rounds halves up, larger blocks round half to even
    expect = (total + 2) // 4 if k == 2 else np.rint(total / (k * k))
    np.testing.assert_array_equal(out, expect)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), oh=st.integers(1, 12), ow=st.integers(1, 12),
       v=st.integers(0, 255), interp=st.integers(0, 4))
def test_constant_image_stays_constant(h, w, oh, ow, v, interp):
    img = mx.nd.full((h, w, 3), v, dtype="uint8")
    out = mx.image.imresize(img, ow, oh, interp=interp).asnumpy()
    assert out.shape == (oh, ow, 3)
    assert (out == v).all()


def test_crop_helpers_default_bicubic_match_mxnet():
    src = mx.nd.array(FIX["helpers_in"], dtype="uint8")
    np.testing.assert_array_equal(mx.image.resize_short(src, 6).asnumpy(), FIX["helpers_resize_short"])
    np.testing.assert_array_equal(mx.image.center_crop(src, (8, 8))[0].asnumpy(), FIX["helpers_center_crop"])
    np.testing.assert_array_equal(mx.image.fixed_crop(src, 2, 1, 9, 7, size=(5, 4)).asnumpy(),
                                  FIX["helpers_fixed_crop"])
    np.testing.assert_array_equal(mx.image.fixed_crop(src, 2, 1, 9, 7, size=(5, 4), interp=3).asnumpy(),
                                  FIX["helpers_fixed_crop_area"])
    # interp=9 picks area to shrink both sides, as MXNet's _get_interp_method does
    np.testing.assert_array_equal(mx.image.fixed_crop(src, 2, 1, 9, 7, size=(5, 4), interp=9).asnumpy(),
                                  FIX["helpers_fixed_crop_area"])


def test_random_size_crop():
    src = mx.nd.array(FIX["helpers_in"], dtype="uint8")  # (10, 14, 3)
    mx.random.seed(3)
    a, rect_a = mx.image.random_size_crop(src, (6, 5), (0.3, 0.9), (0.75, 1.33), interp=1)
    mx.random.seed(3)
    b, rect_b = mx.image.random_size_crop(src, (6, 5), (0.3, 0.9), (0.75, 1.33), interp=1)
    assert a.shape == (5, 6, 3) and rect_a == rect_b
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    x0, y0, w, h = rect_a
    assert 0 <= x0 <= 14 - w and 0 <= y0 <= 10 - h
    assert 0.3 * 140 - 14 <= w * h <= 0.9 * 140 + 14
    whole, rect = mx.image.random_size_crop(src, (7, 5), (1.0, 1.0), (1.4, 1.4), interp=1)
    assert rect == (0, 0, 14, 10)
    np.testing.assert_array_equal(whole.asnumpy(), mx.image.imresize(src, 7, 5, interp=1).asnumpy())


def test_imrotate_errors():
    with pytest.raises(TypeError, match="float32"):
        mx.image.imrotate(mx.nd.zeros((3, 4, 4), dtype="uint8"), 10)
    with pytest.raises(ValueError, match="cannot be both True"):
        mx.image.imrotate(mx.nd.zeros((3, 4, 4)), 10, zoom_in=True, zoom_out=True)
    with pytest.raises(ValueError, match="number of images"):
        mx.image.imrotate(mx.nd.zeros((2, 3, 4, 4)), mx.nd.array([1.0, 2.0, 3.0]))
