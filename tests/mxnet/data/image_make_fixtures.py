"""Regenerate the image fixtures (two steps; see make_fixtures.py for the MXNet venv):

    python tests/mxnet/data/image_make_fixtures.py files                      # Pillow: image_*.png/.jpg
    /tmp/mxvenv/bin/python tests/mxnet/data/image_make_fixtures.py mxnet     # MXNet 1.9.1 -> image_mxnet191.npz

Step 1 writes small image files with a fixed NumPy RandomState. Step 2 decodes each with MXNet 1.9.1
(``mx.image.imdecode``, flag 1 and 0, to_rgb 1 and 0) and resizes random uint8 / float32 images with
``mx.image.imresize`` for every OpenCV interpolation code MXNet accepts (0-4), storing inputs and outputs.
"""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
FILES = ["image_rgb.png", "image_gray.png", "image_rgba.png", "image_pal.png", "image_gray16.png",
         "image_photo.jpg", "image_gray.jpg"]


def make_files():
    from PIL import Image

    rng = np.random.RandomState(2024)
    Image.fromarray(rng.randint(0, 256, (5, 7, 3)).astype(np.uint8), "RGB").save(os.path.join(here, FILES[0]))
    Image.fromarray(rng.randint(0, 256, (4, 6)).astype(np.uint8), "L").save(os.path.join(here, FILES[1]))
    Image.fromarray(rng.randint(0, 256, (4, 5, 4)).astype(np.uint8), "RGBA").save(os.path.join(here, FILES[2]))
    pal = Image.fromarray(rng.randint(0, 8, (5, 6)).astype(np.uint8), "P")
    pal.putpalette(list(rng.randint(0, 256, 8 * 3).astype(int)))
    pal.save(os.path.join(here, FILES[3]))
    Image.fromarray(rng.randint(0, 65536, (3, 4)).astype(np.uint16)).save(os.path.join(here, FILES[4]))
    yy, xx = np.mgrid[0:16, 0:24]
    photo = np.stack([xx * 10, yy * 15, (xx + yy) * 6], -1) + rng.randint(0, 20, (16, 24, 3))
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8), "RGB").save(os.path.join(here, FILES[5]), quality=90)
    Image.fromarray(np.clip(photo[..., 0], 0, 255).astype(np.uint8), "L").save(os.path.join(here, FILES[6]),
                                                                                quality=90)
    print("wrote", FILES)


def make_mxnet():
    import mxnet as mx

    out = {}
    for name in FILES:
        with open(os.path.join(here, name), "rb") as f:
            buf = f.read()
        key = os.path.splitext(name)[0] + "_" + name.rsplit(".", 1)[1]
        for flag in (1, 0):
            for to_rgb in (1, 0):
                out[f"{key}_f{flag}_rgb{to_rgb}"] = mx.image.imdecode(buf, flag=flag, to_rgb=to_rgb).asnumpy()
    rng = np.random.RandomState(7)
    cases = [((12, 16, 3), (8, 6)), ((12, 16, 3), (5, 7)), ((8, 8, 3), (4, 4)), ((9, 12, 3), (3, 3)),
             ((5, 7, 3), (11, 13)), ((6, 9, 1), (20, 4)), ((10, 10, 4), (7, 13)), ((13, 11, 3), (11, 13)),
             ((20, 30, 3), (9, 7))]
    for i, (shape, (w, h)) in enumerate(cases):
        img = rng.randint(0, 256, shape).astype(np.uint8)
        out[f"resize{i}_in"] = img
        out[f"resize{i}_wh"] = np.array([w, h])
        for interp in range(5):
            out[f"resize{i}_i{interp}"] = mx.image.imresize(mx.nd.array(img, dtype="uint8"), w, h,
                                                            interp=interp).asnumpy()
    fimg = (rng.rand(9, 11, 3) * 255).astype(np.float32)
    out["resizef_in"] = fimg
    for interp in range(5):
        out[f"resizef_i{interp}"] = mx.image.imresize(mx.nd.array(fimg), 6, 5, interp=interp).asnumpy()
        out[f"resizef_up_i{interp}"] = mx.image.imresize(mx.nd.array(fimg), 15, 13, interp=interp).asnumpy()
    # the python-level helpers (default interp=2, bicubic)
    base = rng.randint(0, 256, (10, 14, 3)).astype(np.uint8)
    out["helpers_in"] = base
    src = mx.nd.array(base, dtype="uint8")
    out["helpers_resize_short"] = mx.image.resize_short(src, 6).asnumpy()
    out["helpers_center_crop"] = mx.image.center_crop(src, (8, 8))[0].asnumpy()
    out["helpers_fixed_crop"] = mx.image.fixed_crop(src, 2, 1, 9, 7, size=(5, 4)).asnumpy()
    out["helpers_fixed_crop_area"] = mx.image.fixed_crop(src, 2, 1, 9, 7, size=(5, 4), interp=3).asnumpy()
    np.savez_compressed(os.path.join(here, "image_mxnet191.npz"), **out)
    print("wrote", len(out), "arrays")


if __name__ == "__main__":
    {"files": make_files, "mxnet": make_mxnet}[sys.argv[1]]()
