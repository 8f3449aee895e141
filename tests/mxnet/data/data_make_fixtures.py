"""Regenerate data_transforms_mxnet191.npz and data_loader_mxnet191.npz with real MXNet 1.9.1
(see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/data_make_fixtures.py

Inputs come from a fixed NumPy RandomState; every key ``<case>_in`` has the matching ``<case>_out``.
Cases: Resize (uint8 and float32, bilinear and nearest, HWC and NHWC, up and down, keep_ratio),
CenterCrop (crop, and upsampling when the image is smaller), ToTensor, Normalize, Cast.
data_loader_mxnet191.npz holds one JSON string, ``loader``: what DataLoader/Dataset calls return (batches
described as ["nd", shape, dtype, flat values] or [container type, items...]), keyed by case name.
"""
import json
import os

import mxnet as mx
from mxnet.gluon.data import ArrayDataset, BatchSampler, DataLoader, SequentialSampler, SimpleDataset
import numpy as np
from mxnet.gluon.data.vision import transforms as T

from batch_desc import describer

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(1234)
out = {}


def case(name, block, x):
    out[name + "_in"] = x
    out[name + "_out"] = block(mx.nd.array(x, dtype=x.dtype)).asnumpy()


u8 = lambda *s: rng.randint(0, 256, s).astype(np.uint8)  # noqa: E731
f32 = lambda *s: (rng.rand(*s) * 255).astype(np.float32)  # noqa: E731

case("resize_u8_down", T.Resize((6, 3)), u8(5, 7, 3))
case("resize_u8_up", T.Resize((23, 17)), u8(5, 7, 3))
case("resize_u8_wide", T.Resize((40, 30)), u8(17, 23, 3))
case("resize_u8_half", T.Resize((16, 12)), u8(24, 32, 3))
case("resize_u8_gray", T.Resize((9, 11)), u8(20, 13, 1))
case("resize_u8_keep", T.Resize(10, keep_ratio=True), u8(15, 21, 3))
case("resize_u8_batch", T.Resize((5, 6)), u8(2, 9, 8, 3))
case("resize_u8_nearest", T.Resize((11, 4), interpolation=0), u8(7, 5, 3))
case("resize_f32_down", T.Resize((6, 3)), f32(5, 7, 3))
case("resize_f32_up", T.Resize((19, 13)), f32(6, 8, 3))
case("centercrop_u8", T.CenterCrop((6, 4)), u8(10, 12, 3))
case("centercrop_u8_small", T.CenterCrop(20), u8(10, 12, 3))
case("totensor_u8", T.ToTensor(), u8(4, 5, 3))
case("totensor_batch", T.ToTensor(), u8(2, 4, 5, 3))
case("normalize", T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)), rng.rand(3, 4, 5).astype(np.float32))
case("normalize_scalar", T.Normalize(0.5, 0.25), rng.rand(2, 1, 4, 5).astype(np.float32))
case("compose", T.Compose([T.Resize(8), T.CenterCrop(6), T.ToTensor(), T.Normalize(0.5, 0.2)]), u8(10, 13, 3))
case("cast_f16", T.Cast("float16"), u8(3, 4, 3))

np.savez_compressed(os.path.join(here, "data_transforms_mxnet191.npz"), **out)
print("wrote", len(out) // 2, "cases")

desc = describer(mx)
X = mx.nd.array(np.arange(20).reshape(10, 2))
y = mx.nd.array(np.arange(10), dtype="int32")
ds = ArrayDataset(X, y)
loader = {"sample0": desc(ds[0])}
for lb in ("keep", "discard", "rollover"):
    dl = DataLoader(ds, batch_size=4, last_batch=lb)
    loader["last_batch_" + lb] = [len(dl)] + [[desc(b) for b in dl] for _ in range(3)]
first = lambda dl: desc(next(iter(dl)))  # noqa: E731
pair = ArrayDataset(np.arange(6).reshape(3, 2).astype("float64"), [1, 2, 3])
loader["numpy_pair"] = first(DataLoader(pair, batch_size=2))
loader["numpy_single"] = first(DataLoader(ArrayDataset(np.arange(6).reshape(3, 2).astype("float64")), batch_size=2))
loader["tuples"] = first(DataLoader(SimpleDataset([(1, 2.5), (3, 4.5)]), batch_size=2))
loader["lists"] = first(DataLoader(SimpleDataset([[1, 2.5], [3, 4.5]]), batch_size=2))
loader["ndarray_dataset"] = first(DataLoader(X, batch_size=3))
loader["shard"] = [[desc(s) for s in ds.shard(3, i)] for i in range(3)]
loader["take"] = [len(ds.take(4)), len(ds.take(None)), len(ds.take(50))]
loader["filter"] = [desc(s) for s in ds.filter(lambda s: s[1] % 3 == 0)]
loader["transform_first"] = desc(ds.transform_first(lambda x: x * 2)[1])
loader["transform"] = desc(ds.transform(lambda x, lab: lab)[2])
loader["transform_eager"] = [desc(s) for s in ds.transform(lambda x, lab: x + 1, lazy=False)]
bs = BatchSampler(SequentialSampler(5), 2, "rollover")
loader["rollover_sampler"] = [[list(bs), len(bs)] for _ in range(3)]
loader["sequential_start"] = list(BatchSampler(SequentialSampler(5, 2), 2, "keep"))
np.savez_compressed(os.path.join(here, "data_loader_mxnet191.npz"), loader=np.array(json.dumps(loader)))
print("wrote", len(loader), "loader cases")
