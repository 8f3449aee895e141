"""Regenerate recordio_mxnet191.rec / .idx with real MXNet 1.9.1 (see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/recordio_make_fixtures.py

Records (keys 0..5 in the .idx; the .rec holds them in this order):
  0  pack(IRHeader(0, 3.0, 7, 0), b"hello")                      scalar label, 5 bytes (padding)
  1  pack(IRHeader(0, [1, 2.5, -4], 8, 1), <16 bytes>)          array label
  2  pack(IRHeader(0, 1.0, 9, 0), <payload with the magic word at aligned offsets 0, 8 and 28>)
                                                                  continuation parts (cflag 1, 2, 3)
  3  pack(IRHeader(0, 2.0, 10, 0), image_rgb.png bytes)          an image record (PNG written by Pillow)
  4  pack(IRHeader(0, 5.0, 11, 0), image_photo.jpg bytes)        an image record (JPEG)
  5  b""                                                          empty record
recordio_mxnet191.npz holds what MXNet reads back: the raw records (rec0..rec5) and, for the image records,
mx.image.imdecode of the payload (img3, img4).
"""
import os
import struct

import mxnet as mx
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
MAGIC = struct.pack("<I", 0xCED7230A)


def records():
    with open(os.path.join(here, "image_rgb.png"), "rb") as f:
        png = f.read()
    with open(os.path.join(here, "image_photo.jpg"), "rb") as f:
        jpg = f.read()
    tricky = MAGIC + b"abcd" + MAGIC + b"0123456789ab" + b"wxyz" + MAGIC + b"tail!"
    hdr = mx.recordio.IRHeader
    return [mx.recordio.pack(hdr(0, 3.0, 7, 0), b"hello"),
            mx.recordio.pack(hdr(0, [1, 2.5, -4], 8, 1), bytes(range(16))),
            mx.recordio.pack(hdr(0, 1.0, 9, 0), b"") [:24] + tricky,
            mx.recordio.pack(hdr(0, 2.0, 10, 0), png),
            mx.recordio.pack(hdr(0, 5.0, 11, 0), jpg),
            b""]


def main():
    rec, idx = (os.path.join(here, "recordio_mxnet191" + e) for e in (".rec", ".idx"))
    recs = records()
    w = mx.recordio.MXIndexedRecordIO(idx, rec, "w")
    for i, r in enumerate(recs):
        w.write_idx(i, r)
    w.close()
    r = mx.recordio.MXIndexedRecordIO(idx, rec, "r")
    out = {}
    for i in range(len(recs)):
        out[f"rec{i}"] = np.frombuffer(r.read_idx(i), dtype=np.uint8)
        assert out[f"rec{i}"].tobytes() == recs[i]
    for i in (3, 4):
        header, payload = mx.recordio.unpack(r.read_idx(i))
        out[f"img{i}"] = mx.image.imdecode(payload).asnumpy()
    r.close()
    np.savez_compressed(os.path.join(here, "recordio_mxnet191.npz"), **out)
    print("wrote", rec, os.path.getsize(rec), "bytes")


if __name__ == "__main__":
    main()
