"""keras.ops.image and the image preprocessing layers against real Keras 3 (torch backend) fixtures."""
import os

import numpy as np
import pytest

import unidl_keras as keras

R = np.load(os.path.join(os.path.dirname(__file__), "..", "data", "preprocessing_keras.npz"))
L = keras.layers


def close(got, name, atol=1e-5):
    got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
    ref = R[name]
    assert got.shape == ref.shape, (name, got.shape, ref.shape)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=atol, err_msg=name)


@pytest.mark.parametrize("name,size,interp", [("resize_bilinear_up", (11, 13), "bilinear"),
                                              ("resize_bilinear_down", (4, 5), "bilinear"),
                                              ("resize_nearest_up", (11, 13), "nearest"),
                                              ("resize_nearest_down", (4, 5), "nearest")])
def test_resize_matches_keras(name, size, interp):
    close(keras.ops.image.resize(R["x"], size, interpolation=interp), name)


def test_resize_crop_and_pad_to_aspect_ratio():
    close(keras.ops.image.resize(R["x"], (5, 5), crop_to_aspect_ratio=True), "resize_crop")
    close(keras.ops.image.resize(R["x"], (5, 5), pad_to_aspect_ratio=True, fill_value=0.25), "resize_pad")


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("interp", ["bilinear", "nearest"])
def test_affine_transform_matches_keras(fill_mode, interp):
    got = keras.ops.image.affine_transform(R["x"], R["t"], interpolation=interp, fill_mode=fill_mode, fill_value=0.5)
    close(got, f"affine_{fill_mode}_{interp}")


def test_extract_patches_matches_keras():
    close(keras.ops.image.extract_patches(R["x"][:, :6], 3), "patches_3")
    close(keras.ops.image.extract_patches(R["x"], (2, 3), strides=(1, 2)), "patches_2x3_s1x2")
    close(keras.ops.image.extract_patches(R["x"], (2, 2), strides=(2, 2), padding="same"), "patches_same")


def test_resize_is_differentiable_and_unbatched_images_work():
    import unidl

    x = unidl.tensor(R["x"][0], requires_grad=True)
    with unidl.record():
        y = keras.ops.image.resize(x, (5, 4))
        s = unidl.ops.sum(y)
    s.backward()
    assert y.shape == (5, 4, 3)
    # each output pixel's weights sum to 1, so the input gradient sums to the number of output pixels
    np.testing.assert_allclose(x.grad.numpy().sum(), 5 * 4 * 3, rtol=1e-5)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="Invalid images rank"):
        keras.ops.image.resize(np.zeros((4, 4)), (2, 2))
    with pytest.raises(ValueError, match="fill_mode"):
        keras.ops.image.affine_transform(R["x"], R["t"], fill_mode="bogus")
    with pytest.raises(ValueError, match="unknown mode"):
        L.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="factor"):
        L.RandomRotation(3.0)


def test_rescaling_resizing_center_crop_match_keras():
    close(L.Rescaling(1.0 / 255, offset=-0.5)(R["img"]), "rescaling")
    close(L.Resizing(5, 6)(R["img"]), "resizing", atol=1e-3)
    close(L.CenterCrop(4, 6)(R["img"]), "center_crop")
    close(L.CenterCrop(9, 9)(R["img"]), "center_crop_up", atol=1e-3)


@pytest.mark.parametrize("name,layer", [("flip", lambda: L.RandomFlip()), ("rotation", lambda: L.RandomRotation(0.2)),
                                        ("zoom", lambda: L.RandomZoom(0.2)),
                                        ("translation", lambda: L.RandomTranslation(0.1, 0.1)),
                                        ("contrast", lambda: L.RandomContrast(0.3))])
def test_random_layers_are_identity_at_inference(name, layer):
    close(layer()(R["img"], training=False), f"infer_{name}")


def test_random_flip_flips_whole_images_and_is_seeded():
    img = R["img"]
    a = L.RandomFlip("horizontal", seed=3)(img, training=True).numpy()
    b = L.RandomFlip("horizontal", seed=3)(img, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    for i in range(len(img)):
        assert np.array_equal(a[i], img[i]) or np.array_equal(a[i], img[i, :, ::-1])


def test_random_rotation_half_turn_is_a_point_reflection():
    img = R["img"]
    out = L.RandomRotation((0.5, 0.5), fill_mode="constant")(img, training=True).numpy()
    np.testing.assert_allclose(out, img[:, ::-1, ::-1], atol=1e-2)


def test_random_zoom_and_translation_change_pixels_in_training_only():
    img = R["img"]
    z = L.RandomZoom((0.5, 0.5), seed=1)(img, training=True).numpy()  # zoom out by 50%: centre kept
    assert z.shape == img.shape and not np.allclose(z, img)
    np.testing.assert_allclose(z[:, 4, 4], img[:, 4, 4] * 0 + z[:, 4, 4])  # finite everywhere
    t = L.RandomTranslation((0.25, 0.25), (0.0, 0.0), fill_mode="constant", seed=1)(img, training=True).numpy()
    np.testing.assert_allclose(t[:, 2:], img[:, :-2], atol=1e-4)  # 0.25 * 8 rows down
    assert np.all(t[:, :2] == 0)


def test_random_contrast_scales_around_the_channel_mean():
    img = R["img"] / 4 + 100  # [100, 164]: stays inside [0, 255] after scaling by <= 2
    out = L.RandomContrast((0.0, 1.0), seed=2)(img, training=True).numpy()
    mean = img.mean(axis=(1, 2), keepdims=True)
    dev = img - mean
    ok = np.abs(dev) > 1.0  # ratios are unstable next to the mean
    f = np.where(ok, (out - mean) / np.where(ok, dev, 1.0), np.nan)
    assert np.all(f[ok] >= 1 - 1e-3) and np.all(f[ok] <= 2 + 1e-3)
    for i in range(len(img)):  # one factor per image
        np.testing.assert_allclose(f[i][ok[i]], np.nanmedian(f[i]), rtol=1e-3)


def test_augmentation_pipeline_in_a_model_trains():
    x = R["img"].astype("float32")
    y = np.array([0, 1, 0])
    m = keras.Sequential([keras.Input((8, 10, 3)), L.Rescaling(1 / 255.0), L.RandomFlip("horizontal", seed=1),
                          L.RandomRotation(0.1, seed=1), L.Resizing(6, 6), L.Flatten(), L.Dense(2)])
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = m.fit(x, y, epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    assert m.predict(x, verbose=0).shape == (3, 2)
