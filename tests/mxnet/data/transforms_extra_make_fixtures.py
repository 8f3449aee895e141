"""Regenerate transforms_extra_mxnet191.npz with real MXNet 1.9.1 (see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/transforms_extra_make_fixtures.py

The random colour operators are made deterministic by a degenerate range (min_factor == max_factor), so the
arithmetic of brightness / contrast / saturation / hue is compared exactly; lighting uses adjust_lighting with
fixed alphas. Also: CropResize, RandomResizedCrop with scale=(1, 1) and the image's own aspect ratio (a plain
resize), Rotate with fixed angles (float32 CHW / NCHW, with and without zoom).
Keys: ``<case>_in`` / ``<case>_out`` (and ``<case>_arg`` for the factor).
"""
import os

import mxnet as mx
import numpy as np
from mxnet.gluon.data.vision import transforms as T

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(99)
out = {}
u8 = rng.randint(0, 256, (5, 7, 3)).astype(np.uint8)
f32 = (rng.rand(4, 6, 3) * 255).astype(np.float32)
g8 = rng.randint(0, 256, (4, 5, 1)).astype(np.uint8)
out["u8_in"], out["f32_in"], out["g8_in"] = u8, f32, g8
ops = {"brightness": mx.nd.image.random_brightness, "contrast": mx.nd.image.random_contrast,
       "saturation": mx.nd.image.random_saturation, "hue": mx.nd.image.random_hue}
factors = {"brightness": (0.0, 0.63, 1.37, 2.5), "contrast": (0.0, 0.55, 1.0, 1.8),
           "saturation": (0.0, 0.4, 1.6), "hue": (0.0, 0.1, 0.35, 0.9, 1.25)}
for name, fn in ops.items():
    for i, f in enumerate(factors[name]):
        for src in ("u8", "f32", "g8"):
            x = mx.nd.array(out[src + "_in"], dtype=out[src + "_in"].dtype)
            out[f"{name}{i}_{src}_out"] = fn(x, min_factor=f, max_factor=f).asnumpy()
        out[f"{name}{i}_arg"] = np.float32(f)
for i, alpha in enumerate([(0.1, -0.2, 0.05), (-1.0, 0.5, 2.0)]):
    for src in ("u8", "f32"):
        x = mx.nd.array(out[src + "_in"], dtype=out[src + "_in"].dtype)
        out[f"lighting{i}_{src}_out"] = mx.nd.image.adjust_lighting(x, alpha=alpha).asnumpy()
    out[f"lighting{i}_arg"] = np.array(alpha, np.float32)

img = rng.randint(0, 256, (9, 12, 3)).astype(np.uint8)
batch = rng.randint(0, 256, (2, 9, 12, 3)).astype(np.uint8)
out["crop_in"], out["crop_batch_in"] = img, batch
out["cropresize_out"] = T.CropResize(2, 1, 7, 6)(mx.nd.array(img, dtype="uint8")).asnumpy()
out["cropresize_size_out"] = T.CropResize(2, 1, 7, 6, size=(4, 5), interpolation=1)(
    mx.nd.array(img, dtype="uint8")).asnumpy()
out["cropresize_batch_out"] = T.CropResize(1, 2, 5, 4, size=(8, 3), interpolation=0)(mx.nd.array(batch, dtype="uint8")).asnumpy()
out["rrc_out"] = T.RandomResizedCrop((5, 4), scale=(1.0, 1.0), ratio=(12 / 9, 12 / 9))(
    mx.nd.array(img, dtype="uint8")).asnumpy()

chw = rng.rand(3, 7, 10).astype(np.float32)
nchw = rng.rand(2, 2, 6, 6).astype(np.float32)
out["rot_in"], out["rot_batch_in"] = chw, nchw
for i, (deg, zin, zout) in enumerate([(30.0, False, False), (-90.0, False, False), (45.0, True, False),
                                     (20.0, False, True), (0.0, False, False), (180.0, False, False)]):
    out[f"rot{i}_out"] = T.Rotate(deg, zoom_in=zin, zoom_out=zout)(mx.nd.array(chw)).asnumpy()
    out[f"rot{i}_arg"] = np.array([deg, zin, zout], np.float32)
out["rot_batch_out"] = T.Rotate(60.0)(mx.nd.array(nchw)).asnumpy()
np.savez_compressed(os.path.join(here, "transforms_extra_mxnet191.npz"), **out)
print("wrote", len(out), "arrays")
