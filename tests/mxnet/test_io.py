"""mx.io: NDArrayIter batching (pad / discard / roll_over) against MXNet 1.9.1, DataBatch, DataDesc,
shuffling with unidl's generator, and the clear error for record-file iterators."""
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl.aliases import UnsupportedAPIError

FIX = np.load(os.path.join(os.path.dirname(__file__), "data", "porting_mxnet191.npz"))
DATA = np.arange(14, dtype=np.float64).reshape(7, 2)
LABEL = np.arange(7) * 10


@pytest.mark.parametrize("handle", ["pad", "discard", "roll_over"])
def test_ndarrayiter_batches_match_mxnet(handle):
    it = mx.io.NDArrayIter(DATA, LABEL, batch_size=3, last_batch_handle=handle)
    batches, labels, pads = [], [], []
    for epoch in range(3):
        for b in it:
            assert isinstance(b, mx.io.DataBatch)
            batches.append(b.data[0].asnumpy())
            labels.append(b.label[0].asnumpy())
            pads.append([epoch, b.pad])
        it.reset()
    np.testing.assert_array_equal(np.stack(batches), FIX[f"iter_{handle}_data"])
    np.testing.assert_array_equal(np.stack(labels), FIX[f"iter_{handle}_label"])
    np.testing.assert_array_equal(np.array(pads), FIX[f"iter_{handle}_pad"])
    assert batches[0].dtype == np.float32  # host float64 becomes float32, as mx.nd.array does


def test_batch_larger_than_data_wraps_around():
    b = next(iter(mx.io.NDArrayIter(np.arange(2, dtype=np.float32), batch_size=5)))
    np.testing.assert_array_equal(b.data[0].asnumpy(), FIX["iter_bigbatch"])
    assert b.pad == int(FIX["iter_bigbatch_pad"])


def test_provide_data_names_and_shapes():
    it = mx.io.NDArrayIter({"b": DATA, "a": DATA[:, :1]}, batch_size=4)
    assert [(d.name, d.shape) for d in it.provide_data] == [("a", (4, 1)), ("b", (4, 2))]  # sorted by name
    assert it.provide_label == []
    it = mx.io.NDArrayIter([DATA, DATA], LABEL, batch_size=2, data_name="x")
    assert [d.name for d in it.provide_data] == ["_0_x", "_1_x"]
    assert it.provide_label[0].name == "softmax_label" and it.provide_label[0].shape == (2,)
    assert it.provide_data[0].dtype == np.float32 and it.provide_data[0].layout == "NCHW"


def test_datadesc_and_databatch():
    d = mx.io.DataDesc("x", (2, 3))
    assert d == ("x", (2, 3)) and d.dtype == np.float32 and d.layout == "NCHW"
    assert repr(d) == "DataDesc[x,(2, 3),<class 'numpy.float32'>,NCHW]"
    assert mx.io.DataDesc.get_batch_axis("TNC") == 1 and mx.io.DataDesc.get_batch_axis(None) == 0
    b = mx.io.DataBatch([mx.nd.ones((2, 3))], pad=1)
    assert str(b) == "DataBatch: data shapes: [(2, 3)] label shapes: None"
    with pytest.raises(mx.MXNetError, match="list of NDArrays"):
        mx.io.DataBatch(mx.nd.ones((2, 3)))


def test_shuffle_is_a_seeded_permutation_kept_aligned_with_labels():
    def epoch(seed):
        mx.random.seed(seed)
        it = mx.io.NDArrayIter(DATA, LABEL, batch_size=7, shuffle=True)
        b = next(iter(it))
        return b.data[0].asnumpy(), b.label[0].asnumpy()

    x1, y1 = epoch(3)
    x2, y2 = epoch(3)
    np.testing.assert_array_equal(x1, x2)
    assert sorted(x1[:, 0].tolist()) == DATA[:, 0].tolist() and x1[:, 0].tolist() != DATA[:, 0].tolist()
    np.testing.assert_array_equal(y1, x1[:, 0] * 5)  # label i*10 stays with row (2i, 2i+1)


def test_resize_and_prefetching_iters():
    base = mx.io.NDArrayIter(DATA, batch_size=3, last_batch_handle="discard")
    assert len(list(mx.io.ResizeIter(base, 5))) == 5  # restarts the 2-batch iterator as needed
    a = mx.io.NDArrayIter(DATA, batch_size=3, last_batch_handle="discard", data_name="a")
    b = mx.io.NDArrayIter(DATA * 2, batch_size=3, last_batch_handle="discard", data_name="b")
    batches = list(mx.io.PrefetchingIter([a, b]))
    assert len(batches) == 2 and len(batches[0].data) == 2
    np.testing.assert_array_equal(batches[1].data[1].asnumpy(), DATA[3:6] * 2)


def test_bad_input_errors():
    with pytest.raises(mx.MXNetError, match="last_batch_handle"):
        mx.io.NDArrayIter(DATA, last_batch_handle="keep")
    with pytest.raises(mx.MXNetError, match="7 samples"):
        mx.io.NDArrayIter(DATA, LABEL[:5], batch_size=2)
    with pytest.raises(TypeError, match="NDArrayIter"):
        mx.io.NDArrayIter("not data")


def test_record_file_iterators_raise_a_clear_error():
    with pytest.raises(UnsupportedAPIError, match="ImageRecordIter.*not supported by unidl.*NDArrayIter"):
        mx.io.ImageRecordIter(path_imgrec="train.rec")
    with pytest.raises(AttributeError):
        mx.io.NoSuchIter
