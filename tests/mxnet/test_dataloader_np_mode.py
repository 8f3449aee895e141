"""Under npx.set_np() a DataLoader hands out mx.np arrays (MXNet 1.9.1's default_batchify_fn)."""
import numpy as onp

import unidl_mxnet as mx
from unidl_mxnet import gluon, np, npx


def test_batches_are_np_arrays_in_numpy_mode_and_ndarrays_otherwise():
    npx.set_np()
    try:
        x = np.array(onp.arange(20, dtype="float32").reshape(10, 2))
        y = np.arange(10)
        batch = next(iter(gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=4)))
        assert all(type(b) is np.ndarray for b in batch)
        assert batch[0].shape == (4, 2) and batch[1].tolist() == [0.0, 1.0, 2.0, 3.0]
    finally:
        npx.reset_np()
    batch = next(iter(gluon.data.DataLoader(gluon.data.ArrayDataset(mx.nd.ones((10, 2)), mx.nd.arange(10)),
                                            batch_size=4)))
    assert all(type(b) is mx.nd.NDArray for b in batch)
