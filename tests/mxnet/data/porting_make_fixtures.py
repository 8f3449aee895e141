"""Regenerate porting_mxnet191.npz, the real-MXNet fixtures of the porting-coverage tests (mx.io, mx.kv,
CTC loss, nd.image / mx.image, PixelShuffle, depth_to_space, np.unique). Run with MXNet 1.9.1:

    /tmp/mxvenv/bin/python tests/mxnet/data/porting_make_fixtures.py
"""
import os

import mxnet as mx
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out = {}

# -- NDArrayIter: 7 samples, batch 3, two epochs per last_batch_handle (no shuffle) ----------------
data = np.arange(14, dtype=np.float64).reshape(7, 2)
label = np.arange(7) * 10
for handle in ("pad", "discard", "roll_over"):
    it = mx.io.NDArrayIter(data, label, batch_size=3, last_batch_handle=handle)
    batches, labels, pads = [], [], []
    for epoch in range(3):
        for b in it:
            batches.append(b.data[0].asnumpy())
            labels.append(b.label[0].asnumpy())
            pads.append([epoch, b.pad])
        it.reset()
    out[f"iter_{handle}_data"] = np.stack(batches)
    out[f"iter_{handle}_label"] = np.stack(labels)
    out[f"iter_{handle}_pad"] = np.array(pads)
# batch larger than the data: pad wraps around
it = mx.io.NDArrayIter(np.arange(2, dtype=np.float32), batch_size=5)
b = next(iter(it))
out["iter_bigbatch"] = b.data[0].asnumpy()
out["iter_bigbatch_pad"] = np.array(b.pad)

# -- kvstore: push sums, updater, set_optimizer ---------------------------------------------------------
kv = mx.kv.create("local")
kv.init(3, mx.nd.ones((2, 3)) * 2)
a = mx.nd.zeros((2, 3))
kv.push(3, [mx.nd.ones((2, 3)) * 4, mx.nd.ones((2, 3)) * 5])
kv.pull(3, out=a)
out["kv_push_sum"] = a.asnumpy()
kv._set_updater(lambda key, inp, stored: stored.__iadd__(inp * 2))
kv.push(3, mx.nd.ones((2, 3)))
kv.pull(3, out=a)
out["kv_updater"] = a.asnumpy()
kv2 = mx.kv.create("device")
kv2.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
kv2.init("w", mx.nd.array([1.0, 2.0, 3.0]))
w = mx.nd.zeros(3)
for g in ([1.0, 1.0, 1.0], [0.5, -1.0, 2.0]):
    kv2.push("w", mx.nd.array(g))
kv2.pull("w", out=w)
out["kv_sgd"] = w.asnumpy()

# -- CTC -------------------------------------------------------------------------------------------------
rs = np.random.RandomState(0)
T, N, C = 6, 3, 5
x = rs.randn(N, T, C).astype(np.float32)
lab = np.array([[0, 1, 1], [2, -1, -1], [3, 0, -1]], dtype=np.float32)
out["ctc_x"], out["ctc_label"] = x, lab
for name, args in (("plain", ()), ("lengths", (mx.nd.array([6, 4, 5]), mx.nd.array([3, 1, 2])))):
    xn = mx.nd.array(x)
    xn.attach_grad()
    with mx.autograd.record():
        loss = mx.gluon.loss.CTCLoss()(xn, mx.nd.array(lab), *args)
    loss.backward()
    out[f"ctc_{name}_loss"], out[f"ctc_{name}_grad"] = loss.asnumpy(), xn.grad.asnumpy()
# the operator with the blank first (labels 1..C-1, 0 pads), TNC data
lab_first = np.array([[1, 2, 2], [3, 0, 0], [4, 1, 0]], dtype=np.float32)
out["ctc_first_label"] = lab_first
out["ctc_first_loss"] = mx.nd.ctc_loss(mx.nd.array(x.transpose(1, 0, 2)), mx.nd.array(lab_first)).asnumpy()

# -- images ----------------------------------------------------------------------------------------------
img = mx.nd.array(np.arange(6 * 8 * 3).reshape(6, 8, 3) % 251, dtype="uint8")
out["img"] = img.asnumpy()
out["img_imresize"] = mx.image.imresize(img, 5, 4).asnumpy()
out["img_center_crop"] = mx.image.center_crop(img, (4, 4), interp=1)[0].asnumpy()
out["img_resize_short"] = mx.image.resize_short(img, 3, interp=1).asnumpy()
t = mx.nd.image.to_tensor(img)
out["img_to_tensor"] = t.asnumpy()
out["img_normalize"] = mx.nd.image.normalize(t, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5)).asnumpy()

# -- PixelShuffle / depth_to_space --------------------------------------------------------------------
ps_in = mx.nd.arange(1, 1 + 24).reshape((1, 12, 1, 2))
out["pixel_shuffle2d"] = mx.gluon.contrib.nn.PixelShuffle2D((2, 3))(ps_in).asnumpy()
out["depth_to_space"] = mx.nd.depth_to_space(mx.nd.arange(32).reshape((2, 4, 2, 2)), 2).asnumpy()
out["space_to_depth"] = mx.nd.space_to_depth(mx.nd.arange(32).reshape((2, 2, 2, 4)), 2).asnumpy()

# -- np.unique ------------------------------------------------------------------------------------------
u = mx.np.unique(mx.np.array([3, 1, 1, 2, 3, 3]), return_index=True, return_inverse=True, return_counts=True)
for name, arr in zip(("values", "index", "inverse", "counts"), u):
    out[f"unique_{name}"] = arr.asnumpy()

np.savez(os.path.join(here, "porting_mxnet191.npz"), **out)
print("wrote", len(out), "arrays")
