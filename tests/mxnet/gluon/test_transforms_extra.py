"""The extra gluon.data.vision.transforms of MXNet 1.9.1 (tests/mxnet/data/transforms_extra_make_fixtures.py).

Random transforms draw from unidl's generator, so their draws differ from MXNet's; their arithmetic is compared
with MXNet's by fixing the draw (MXNet's side used a degenerate range min_factor == max_factor). Deterministic
transforms (CropResize, Rotate, RandomResizedCrop with a fixed window) are compared directly.
"""
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.gluon.data.vision import transforms as T

FIX = np.load(os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "transforms_extra_mxnet191.npz"))
U8 = mx.nd.array(FIX["u8_in"], dtype="uint8")


def _nd(key):
    a = FIX[key]
    return mx.nd.array(a, dtype=a.dtype)


def _fixed_draw(monkeypatch, value):
    monkeypatch.setattr(T, "_uniform", lambda low, high: float(np.float32(value)))


@pytest.mark.parametrize("name,cls,srcs", [("brightness", T.RandomBrightness, ("u8", "f32", "g8")),
                                           ("contrast", T.RandomContrast, ("u8", "f32", "g8")),
                                           ("saturation", T.RandomSaturation, ("u8", "f32", "g8")),
                                           ("hue", T.RandomHue, ("u8", "f32"))])  # 1-channel hue: MXNet
# leaves its output unwritten, so there is nothing to compare
def test_color_arithmetic_matches_mxnet(monkeypatch, name, cls, srcs):
    i = 0
    while f"{name}{i}_arg" in FIX:
        _fixed_draw(monkeypatch, FIX[f"{name}{i}_arg"])
        for src in srcs:
            out = cls(0.5)(_nd(src + "_in"))
            assert out.dtype == FIX[src + "_in"].dtype
            np.testing.assert_array_equal(out.asnumpy(), FIX[f"{name}{i}_{src}_out"], err_msg=f"{name}{i} {src}")
        i += 1
    assert i >= 3


class _Fixed:
    """Stands in for the Tensor unidl.random.normal returns."""

    def __init__(self, a):
        self._a = np.asarray(a, np.float32)

    def numpy(self):
        return self._a


def test_lighting_arithmetic_matches_mxnet(monkeypatch):
    for i in range(2):
        alpha = FIX[f"lighting{i}_arg"]
        monkeypatch.setattr(T._urandom, "normal", lambda loc, scale, shape, dtype=None, _a=alpha: _Fixed(_a))
        for src in ("u8", "f32"):
            out = T.RandomLighting(0.1)(_nd(src + "_in"))
            np.testing.assert_array_equal(out.asnumpy(), FIX[f"lighting{i}_{src}_out"])


def test_brightness_factor_by_hand(monkeypatch):
    _fixed_draw(monkeypatch, 1.37)
    x = FIX["u8_in"]
    expect = np.clip(np.floor(x.astype(np.float32) * np.float32(1.37)), 0, 255)  # clamp, then truncate
    np.testing.assert_array_equal(T.RandomBrightness(0.5)(U8).asnumpy(), expect)


def test_brightness_factor_stays_in_range():
    x = mx.nd.full((2, 2, 3), 100, dtype="float32")
    mx.random.seed(11)
    factors = {float(T.RandomBrightness(0.25)(x).asnumpy()[0, 0, 0]) / 100 for _ in range(40)}
    assert len(factors) > 30 and min(factors) >= 0.75 and max(factors) <= 1.25


@pytest.mark.parametrize("block", [T.RandomBrightness(0), T.RandomContrast(0), T.RandomSaturation(0),
                                   T.RandomLighting(0), T.RandomColorJitter()])
def test_zero_range_is_identity(block):
    np.testing.assert_array_equal(block(U8).asnumpy(), FIX["u8_in"])


def test_hue_zero_range_turns_a_full_circle():
    # MXNet's range for hue=0 is [1, 1]: a 360-degree shift, identity up to float rounding
    out = T.RandomHue(0)(U8).asnumpy().astype(int)
    assert np.abs(out - FIX["u8_in"]).max() <= 1


@pytest.mark.parametrize("make", [lambda: T.RandomColorJitter(0.3, 0.3, 0.3, 0.1), lambda: T.RandomLighting(0.2),
                                  lambda: T.RandomResizedCrop(5), lambda: T.RandomHue(0.3),
                                  lambda: T.RandomApply(T.RandomBrightness(0.5), 0.5)])
def test_seed_reproducibility(make):
    img = _nd("crop_in")
    mx.random.seed(42)
    a = [make()(img).asnumpy() for _ in range(3)]
    mx.random.seed(42)
    b = [make()(img).asnumpy() for _ in range(3)]
    for x, y in zip(a, b):
        assert x.dtype == np.uint8
        np.testing.assert_array_equal(x, y)


def test_crop_resize_matches_mxnet():
    img, batch = _nd("crop_in"), _nd("crop_batch_in")
    np.testing.assert_array_equal(T.CropResize(2, 1, 7, 6)(img).asnumpy(), FIX["cropresize_out"])
    np.testing.assert_array_equal(T.CropResize(2, 1, 7, 6, size=(4, 5), interpolation=1)(img).asnumpy(),
                                  FIX["cropresize_size_out"])
    np.testing.assert_array_equal(T.CropResize(1, 2, 5, 4, size=(8, 3), interpolation=0)(batch).asnumpy(),
                                  FIX["cropresize_batch_out"])
    with pytest.raises(mx.MXNetError, match="does not fit"):
        T.CropResize(8, 0, 5, 4)(img)


def test_random_resized_crop():
    img = _nd("crop_in")  # (9, 12, 3)
    fixed = T.RandomResizedCrop((5, 4), scale=(1.0, 1.0), ratio=(12 / 9, 12 / 9))(img)
    np.testing.assert_array_equal(fixed.asnumpy(), FIX["rrc_out"])
    mx.random.seed(0)
    for size in (6, (7, 3)):
        out = T.RandomResizedCrop(size)(img)
        assert out.shape == ((6, 6, 3) if size == 6 else (3, 7, 3)) and out.dtype == np.uint8
    # no window of aspect ratio 50 fits: falls back to the centre crop
    fallback = T.RandomResizedCrop((4, 4), scale=(0.5, 0.6), ratio=(50, 60))(img)
    np.testing.assert_array_equal(fallback.asnumpy(), mx.image.center_crop(img, (4, 4), interp=1)[0].asnumpy())


def test_rotate_matches_mxnet():
    chw = _nd("rot_in")
    for i in range(6):
        deg, zin, zout = FIX[f"rot{i}_arg"]
        out = T.Rotate(float(deg), zoom_in=bool(zin), zoom_out=bool(zout))(chw)
        np.testing.assert_allclose(out.asnumpy(), FIX[f"rot{i}_out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(T.Rotate(60.0)(_nd("rot_batch_in")).asnumpy(), FIX["rot_batch_out"],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="only supports float32"):
        T.Rotate(10)(U8)


def test_random_rotation():
    chw = _nd("rot_in")
    assert T.RandomRotation((-5, 5), rotate_with_proba=0.0)(chw) is chw
    mx.random.seed(1)
    a = T.RandomRotation((-30, 30))(chw).asnumpy()
    mx.random.seed(1)
    b = T.RandomRotation((-30, 30))(chw).asnumpy()
    np.testing.assert_array_equal(a, b)
    assert a.shape == chw.shape and not np.array_equal(a, FIX["rot_in"])
    with pytest.raises(ValueError, match="ordered tuple"):
        T.RandomRotation((5, -5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomRotation((-5, 5), rotate_with_proba=2)


def test_random_apply_and_errors():
    bright = T.RandomBrightness(0.0)
    assert T.RandomApply(T.Cast("float32"), p=0.0)(U8).dtype == np.uint8
    assert T.RandomApply(T.Cast("float32"), p=1.0)(U8).dtype == np.float32
    with pytest.raises(mx.MXNetError, match=r"expected an \(H, W, C\) image"):
        bright(mx.nd.zeros((2, 4, 4, 3), dtype="uint8"))
    with pytest.raises(ValueError, match=">= 0"):
        T.RandomContrast(-1)
