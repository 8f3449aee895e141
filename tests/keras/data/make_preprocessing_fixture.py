"""Make preprocessing_keras.npz with real Keras 3 (torch backend): image ops and preprocessing layers.

Run: KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/keras/data/make_preprocessing_fixture.py
(StringLookup / IntegerLookup / TextVectorization need TensorFlow in real Keras, so their tests use
hand-computed expectations instead.)
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
import numpy as np  # noqa: E402
import keras  # noqa: E402


def main(path):
    cv = keras.ops.convert_to_numpy
    rng = np.random.default_rng(0)
    x = rng.random((2, 7, 9, 3)).astype("float32")
    t = np.array([[0.9, -0.3, 1.5, 0.35, 1.1, -1.2, 0, 0], [1.2, 0.1, -2.0, -0.2, 0.8, 0.7, 0, 0]], "float32")
    out = {"x": x, "t": t}
    out["resize_bilinear_up"] = cv(keras.ops.image.resize(x, (11, 13)))
    out["resize_bilinear_down"] = cv(keras.ops.image.resize(x, (4, 5)))
    out["resize_nearest_up"] = cv(keras.ops.image.resize(x, (11, 13), interpolation="nearest"))
    out["resize_nearest_down"] = cv(keras.ops.image.resize(x, (4, 5), interpolation="nearest"))
    out["resize_crop"] = cv(keras.ops.image.resize(x, (5, 5), crop_to_aspect_ratio=True))
    out["resize_pad"] = cv(keras.ops.image.resize(x, (5, 5), pad_to_aspect_ratio=True, fill_value=0.25))
    for fm in ("constant", "nearest", "wrap", "mirror", "reflect"):
        for ip in ("bilinear", "nearest"):
            out[f"affine_{fm}_{ip}"] = cv(keras.ops.image.affine_transform(
                x, t, interpolation=ip, fill_mode=fm, fill_value=0.5))
    out["patches_3"] = cv(keras.ops.image.extract_patches(x[:, :6], 3))
    out["patches_2x3_s1x2"] = cv(keras.ops.image.extract_patches(x, (2, 3), strides=(1, 2)))
    out["patches_same"] = cv(keras.ops.image.extract_patches(x, (2, 2), strides=(2, 2), padding="same"))
    # layers (deterministic parts)
    img = (rng.random((3, 8, 10, 3)) * 255).astype("float32")
    out["img"] = img
    out["rescaling"] = cv(keras.layers.Rescaling(1.0 / 255, offset=-0.5)(img))
    out["resizing"] = cv(keras.layers.Resizing(5, 6)(img))
    out["center_crop"] = cv(keras.layers.CenterCrop(4, 6)(img))
    out["center_crop_up"] = cv(keras.layers.CenterCrop(9, 9)(img))
    n = keras.layers.Normalization()
    n.adapt(img)
    out["norm_mean"], out["norm_var"] = cv(n.mean), cv(n.variance)
    out["norm_out"] = cv(n(img))
    n2 = keras.layers.Normalization(axis=None)
    n2.adapt(img)  # (real Keras needs TensorFlow for adapt() on a list of batches)
    out["norm_all_out"] = cv(n2(img))
    out["norm_fixed"] = cv(keras.layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25])(
        np.array([[3.0, 2.5], [1.0, 0.0]], "float32")))
    out["norm_invert"] = cv(keras.layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25], invert=True)(
        np.array([[3.0, 2.5], [1.0, 0.0]], "float32")))
    ids = np.array([[0, 3], [1, 1], [2, 0]])
    for mode in ("one_hot", "multi_hot", "count"):
        src = ids[:, :1] if mode == "one_hot" else ids
        out[f"category_{mode}"] = cv(keras.layers.CategoryEncoding(4, output_mode=mode)(src))
    vals = np.array([[-1.0, 0.0, 0.5], [1.0, 2.0, 3.0]], "float32")
    out["discretization"] = cv(keras.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])(vals))
    out["discretization_vals"] = vals
    # inference is identity for the random layers
    for name, layer in (("flip", keras.layers.RandomFlip()), ("rotation", keras.layers.RandomRotation(0.2)),
                        ("zoom", keras.layers.RandomZoom(0.2)),
                        ("translation", keras.layers.RandomTranslation(0.1, 0.1)),
                        ("contrast", keras.layers.RandomContrast(0.3))):
        out[f"infer_{name}"] = cv(layer(img, training=False))
    np.savez(path, **out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "preprocessing_keras.npz"))
